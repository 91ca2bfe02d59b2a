"""JSON API of the action item tracker under /api/v1."""

from __future__ import annotations

from typing import Any

from flask import Response, g

from app.reviews import action_item_queries as q
from app.reviews.action_item_schemas import (
    ActionItemInputSchema,
    ActionItemPageSchema,
    ActionItemQueryArgsSchema,
    ActionItemSchema,
    DueChangeSchema,
    PolicyInputSchema,
    PolicySchema,
    ReassignSchema,
    StatusUpdateSchema,
    ViolationReportSchema,
)
from app.schemas import HistorySchema
from domain.reviews.action_item import ActionItem, FollowUpPolicy
from web.api import AreaBlueprint, listing
from web.context import acting, read_model, services, view_now
from web.history import history_page

bp = AreaBlueprint("action_items", __name__, tag="action items")

PolicyListSchema = listing(PolicySchema, "PolicyList")
WRITE_ERRORS = (404, 409)


def list_args(args: dict[str, Any]) -> dict[str, Any]:
    """Turn loaded query args into list_action_items keywords."""
    args = dict(args)
    if args.get("owner_id") == "me":
        args["owner_id"] = g.user["id"]
    if args.get("status") == "not_completed":
        args.pop("status")
        args["open_only"] = True
    return args


def _item(item_id: str) -> dict[str, Any]:
    return q.get_action_item(read_model(), item_id, view_now().date())


def _policy(policy_id: str) -> dict[str, Any]:
    return {p["id"]: p for p in q.list_policies(read_model())}[policy_id]


@bp.get("/action-items")
@bp.arguments(ActionItemQueryArgsSchema, location="query")
@bp.response(200, ActionItemPageSchema)
def list_items(args: dict[str, Any]) -> dict[str, Any]:
    """List action items with filters (overdue derived from the clock)."""
    return q.list_action_items(read_model(), view_now().date(), **list_args(args))


@bp.get("/action-items/export.csv")
@bp.arguments(ActionItemQueryArgsSchema, location="query")
@bp.response(200, {"type": "string"}, content_type="text/csv", description="CSV")
def export_items(args: dict[str, Any]) -> Response:
    """Every item matching the filters as CSV, streamed (``limit`` and ``offset`` are
    ignored)."""
    args = list_args(args)
    args.pop("limit"), args.pop("offset")
    items = q.iter_action_items(read_model(), view_now().date(), **args)
    return Response(q.action_items_csv_lines(items), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=action-items.csv"})


@bp.post("/action-items")
@bp.arguments(ActionItemInputSchema)
@bp.response(201, ActionItemSchema)
@bp.errors(*WRITE_ERRORS)
def create_item(data: dict[str, Any]) -> dict[str, Any]:
    """Raise an action item (due date defaults from the priority)."""
    with acting():
        result = services().actions.create_action_item(**data)
    return _item(result["id"])


@bp.get("/action-items/<item_id>")
@bp.response(200, ActionItemSchema)
@bp.errors(404)
def get_item(item_id: str) -> dict[str, Any]:
    """One action item with its updates."""
    return _item(item_id)


@bp.post("/action-items/<item_id>/status")
@bp.arguments(StatusUpdateSchema)
@bp.response(200, ActionItemSchema)
@bp.errors(*WRITE_ERRORS)
def update_status(data: dict[str, Any], item_id: str) -> dict[str, Any]:
    """Record a status update (blocked needs a note saying why)."""
    with acting():
        services().actions.update_action_item_status(item_id, data["status"], data["note"])
    return _item(item_id)


@bp.post("/action-items/<item_id>/reassign")
@bp.arguments(ReassignSchema)
@bp.response(200, ActionItemSchema)
@bp.errors(*WRITE_ERRORS)
def reassign(data: dict[str, Any], item_id: str) -> dict[str, Any]:
    """Give the item to someone else, with a reason."""
    with acting(reason=data["reason"]):
        services().actions.reassign_action_item(item_id, str(data["owner_id"]))
    return _item(item_id)


@bp.post("/action-items/<item_id>/due")
@bp.arguments(DueChangeSchema)
@bp.response(200, ActionItemSchema)
@bp.errors(*WRITE_ERRORS)
def change_due(data: dict[str, Any], item_id: str) -> dict[str, Any]:
    """Move the due date, with a reason."""
    with acting(reason=data["reason"]):
        services().actions.change_action_item_due(item_id, data["due"])
    return _item(item_id)


@bp.get("/action-items/<item_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def item_history(item_id: str) -> dict[str, Any]:
    """Every event of an action item, oldest first."""
    return history_page(ActionItem, item_id)


@bp.get("/follow-up-policies")
@bp.response(200, PolicyListSchema)
def list_policies() -> dict[str, Any]:
    """Every follow-up policy."""
    return {"items": q.list_policies(read_model())}


@bp.post("/follow-up-policies")
@bp.arguments(PolicyInputSchema)
@bp.response(201, PolicySchema)
@bp.errors(409)
def define_policy(data: dict[str, Any]) -> dict[str, Any]:
    """Define a follow-up policy (admins only)."""
    with acting():
        result = services().actions.define_follow_up_policy(**data)
    return _policy(result["id"])


@bp.post("/follow-up-policies/<policy_id>/retire")
@bp.response(200, PolicySchema)
@bp.errors(*WRITE_ERRORS)
def retire_policy(policy_id: str) -> dict[str, Any]:
    """Stop applying a policy (admins only)."""
    with acting():
        services().actions.retire_follow_up_policy(policy_id)
    return _policy(policy_id)


@bp.get("/follow-up-policies/<policy_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def policy_history(policy_id: str) -> dict[str, Any]:
    """Every event of a follow-up policy, oldest first."""
    return history_page(FollowUpPolicy, policy_id)


@bp.get("/follow-up-policies/violations")
@bp.response(200, ViolationReportSchema)
def violations() -> dict[str, Any]:
    """Items breaking an active policy now."""
    return {"violations": q.policy_violations(read_model(), view_now())}
