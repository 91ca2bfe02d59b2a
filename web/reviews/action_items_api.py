"""JSON API of the action item tracker under /api/v1."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

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
from domain.errors import NotAuthenticated
from domain.reviews.action_item import ActionItem, FollowUpPolicy
from web.api import openapi
from web.changes.api import body
from web.context import acting, read_model, services, view_now
from web.history import history_rows

bp = Blueprint("api_actions", __name__, url_prefix="/api/v1")


@bp.before_request
def require_token() -> None:
    """Every call needs a valid bearer token."""
    if g.get("user") is None:
        raise NotAuthenticated("send a valid bearer token in the Authorization header")


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
    return ActionItemSchema().dump(q.get_action_item(read_model(), item_id, view_now().date()))


@bp.get("/action-items")
def list_items() -> dict[str, Any]:
    """List action items with filters (overdue derived from the clock)."""
    args = list_args(ActionItemQueryArgsSchema().load(request.args.to_dict()))
    return ActionItemPageSchema().dump(
        q.list_action_items(read_model(), view_now().date(), **args))


@bp.get("/action-items/export.csv")
def export_items() -> Response:
    """The filtered list as CSV."""
    args = list_args(ActionItemQueryArgsSchema().load(request.args.to_dict()))
    args.update(limit=1_000_000, offset=0)
    items = q.list_action_items(read_model(), view_now().date(), **args)["items"]
    return Response(q.action_items_csv(items), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=action-items.csv"})


@bp.post("/action-items")
def create_item() -> tuple[dict[str, Any], int]:
    """Raise an action item (due date defaults from the priority)."""
    data = body(ActionItemInputSchema())
    with acting():
        result = services().actions.create_action_item(**data)
    return _item(result["id"]), 201


@bp.get("/action-items/<item_id>")
def get_item(item_id: str) -> dict[str, Any]:
    """One action item with its updates."""
    return _item(item_id)


@bp.post("/action-items/<item_id>/status")
def update_status(item_id: str) -> dict[str, Any]:
    """Record a status update (blocked needs a note saying why)."""
    data = body(StatusUpdateSchema())
    with acting():
        services().actions.update_action_item_status(item_id, data["status"], data["note"])
    return _item(item_id)


@bp.post("/action-items/<item_id>/reassign")
def reassign(item_id: str) -> dict[str, Any]:
    """Give the item to someone else, with a reason."""
    data = body(ReassignSchema())
    with acting(reason=data["reason"]):
        services().actions.reassign_action_item(item_id, str(data["owner_id"]))
    return _item(item_id)


@bp.post("/action-items/<item_id>/due")
def change_due(item_id: str) -> dict[str, Any]:
    """Move the due date, with a reason."""
    data = body(DueChangeSchema())
    with acting(reason=data["reason"]):
        services().actions.change_action_item_due(item_id, data["due"])
    return _item(item_id)


@bp.get("/action-items/<item_id>/history")
def item_history(item_id: str) -> dict[str, Any]:
    """Every event of an action item, oldest first."""
    return HistorySchema().dump({"events": history_rows(ActionItem, item_id)})


@bp.get("/follow-up-policies")
def list_policies() -> dict[str, Any]:
    """Every follow-up policy."""
    return {"items": PolicySchema(many=True).dump(q.list_policies(read_model()))}


@bp.post("/follow-up-policies")
def define_policy() -> tuple[dict[str, Any], int]:
    """Define a follow-up policy (admins only)."""
    data = body(PolicyInputSchema())
    with acting():
        result = services().actions.define_follow_up_policy(**data)
    policies = {p["id"]: p for p in q.list_policies(read_model())}
    return PolicySchema().dump(policies[result["id"]]), 201


@bp.post("/follow-up-policies/<policy_id>/retire")
def retire_policy(policy_id: str) -> dict[str, Any]:
    """Stop applying a policy (admins only)."""
    with acting():
        services().actions.retire_follow_up_policy(policy_id)
    policies = {p["id"]: p for p in q.list_policies(read_model())}
    return PolicySchema().dump(policies[policy_id])


@bp.get("/follow-up-policies/<policy_id>/history")
def policy_history(policy_id: str) -> dict[str, Any]:
    """Every event of a follow-up policy, oldest first."""
    return HistorySchema().dump({"events": history_rows(FollowUpPolicy, policy_id)})


@bp.get("/follow-up-policies/violations")
def violations() -> dict[str, Any]:
    """Items breaking an active policy now."""
    return ViolationReportSchema().dump(
        {"violations": q.policy_violations(read_model(), view_now())})


def _id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "string", "format": "uuid"}}]


R = openapi.responses
TAG = ["action items"]
openapi.add({
    "/action-items": {
        "get": {"summary": "List action items (filters; overdue derived from the clock)",
                "tags": TAG, "parameters": [{"in": "query", "schema": ActionItemQueryArgsSchema}],
                "responses": R("200", "ActionItemPage", "A page", ("401", "422"))},
        "post": {"summary": "Raise an action item", "tags": TAG,
                 "requestBody": openapi.body("ActionItemInput"),
                 "responses": R("201", "ActionItem", "Raised", ("401", "403", "404", "409",
                                                                "422"))}},
    "/action-items/export.csv": {"get": {
        "summary": "The filtered list as CSV", "tags": TAG,
        "parameters": [{"in": "query", "schema": ActionItemQueryArgsSchema}],
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}}}},
    "/action-items/{item_id}": {"get": {
        "summary": "One action item with its updates", "tags": TAG, "parameters": _id("item_id"),
        "responses": R("200", "ActionItem", "The item", ("401", "404"))}},
    "/action-items/{item_id}/status": {"post": {
        "summary": "Record a status update", "tags": TAG, "parameters": _id("item_id"),
        "requestBody": openapi.body("StatusUpdate"),
        "responses": R("200", "ActionItem", "Updated", ("401", "403", "404", "409", "422"))}},
    "/action-items/{item_id}/reassign": {"post": {
        "summary": "Reassign (reason required)", "tags": TAG, "parameters": _id("item_id"),
        "requestBody": openapi.body("Reassign"),
        "responses": R("200", "ActionItem", "Reassigned", ("401", "403", "404", "409", "422"))}},
    "/action-items/{item_id}/due": {"post": {
        "summary": "Change the due date (reason required)", "tags": TAG,
        "parameters": _id("item_id"), "requestBody": openapi.body("DueChange"),
        "responses": R("200", "ActionItem", "Moved", ("401", "403", "404", "409", "422"))}},
    "/action-items/{item_id}/history": {"get": {
        "summary": "Every event of an action item", "tags": [*TAG, "audit"],
        "parameters": _id("item_id"),
        "responses": R("200", "History", "Events, oldest first", ("401", "404"))}},
    "/follow-up-policies": {
        "get": {"summary": "List follow-up policies", "tags": TAG,
                "responses": R("200", None, "Policies", ("401",))},
        "post": {"summary": "Define a follow-up policy (admin)", "tags": TAG,
                 "requestBody": openapi.body("PolicyInput"),
                 "responses": R("201", "Policy", "Defined", ("401", "403", "422"))}},
    "/follow-up-policies/{policy_id}/retire": {"post": {
        "summary": "Retire a policy (admin)", "tags": TAG, "parameters": _id("policy_id"),
        "responses": R("200", "Policy", "Retired", ("401", "403", "404", "409"))}},
    "/follow-up-policies/{policy_id}/history": {"get": {
        "summary": "Every event of a follow-up policy", "tags": [*TAG, "audit"],
        "parameters": _id("policy_id"),
        "responses": R("200", "History", "Events, oldest first", ("401", "404"))}},
    "/follow-up-policies/violations": {"get": {
        "summary": "Items breaking an active policy now", "tags": TAG,
        "responses": R("200", "ViolationReport", "Violations", ("401",))}},
}, {
    "ActionItem": ActionItemSchema, "ActionItemInput": ActionItemInputSchema,
    "ActionItemPage": ActionItemPageSchema, "StatusUpdate": StatusUpdateSchema,
    "Reassign": ReassignSchema, "DueChange": DueChangeSchema, "PolicyInput": PolicyInputSchema,
    "Policy": PolicySchema, "ViolationReport": ViolationReportSchema,
})
