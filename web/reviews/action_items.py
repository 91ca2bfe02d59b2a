"""Action item pages: tracker with filters, my items, CSV, item detail with updates and history,
follow-up policies and their violations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError

from app.people import queries as people_queries
from app.reviews import action_item_queries as q
from app.reviews.action_item_schemas import (
    ActionItemFormSchema,
    ActionItemQueryArgsSchema,
    DueChangeSchema,
    PolicyInputSchema,
    ReassignSchema,
    StatusUpdateSchema,
)
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.reviews.action_item import (
    PRIORITIES,
    SOURCES,
    STATUSES,
    ActionItem,
    FollowUpPolicy,
)
from web.context import (
    acting,
    can_write,
    form_data,
    login_required,
    read_model,
    services,
    view_now,
)
from web.history import history_rows
from web.reviews.action_items_api import list_args

if TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse

bp = Blueprint("actions", __name__, url_prefix="/action-items")

CHOICES = {"priorities": PRIORITIES, "sources": SOURCES, "statuses": STATUSES}


def _filtered(extra: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        args = ActionItemQueryArgsSchema().load({**request.args.to_dict(), **(extra or {})})
        errors: dict[str, Any] = {}
    except ValidationError as exc:
        args, errors = {}, exc.messages
    page = q.list_action_items(read_model(), view_now().date(), **list_args(args))
    return page, errors


@bp.get("/")
@login_required
def index() -> str:
    """The tracker: every item, filtered by the query string."""
    page, errors = _filtered()
    return render_template("reviews/action_items/index.html", page=page, args=request.args, errors=errors,
                           people=people_queries.list_people(read_model()), mine=False, **CHOICES)


@bp.get("/mine")
@login_required
def mine() -> str:
    """The signed-in person's items."""
    page, errors = _filtered({"owner_id": g.user["id"]})
    return render_template("reviews/action_items/index.html", page=page, args=request.args, errors=errors,
                           people=people_queries.list_people(read_model()), mine=True, **CHOICES)


@bp.get("/export.csv")
@login_required
def export() -> Response:
    """The filtered list as CSV."""
    page, _ = _filtered({"limit": "1000"})
    return Response(q.action_items_csv(page["items"]), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=action-items.csv"})


@bp.route("/new", methods=("GET", "POST"))
@login_required
def new() -> str | BaseResponse | tuple[str, int]:
    """Show the new item form, or raise the item."""
    form = form_data() or {k: v for k, v in request.args.items()}
    if request.method == "POST":
        try:
            data = ActionItemFormSchema().load(form)
            data["owner_id"] = str(data["owner_id"])
            with acting():
                result = services().actions.create_action_item(**data)
        except ValidationError as exc:
            return _new_form(form, exc.messages), 422
        flash("Action item raised.")
        return redirect(url_for("actions.detail", item_id=result["id"]))
    return _new_form(form, {})


def _new_form(form: dict[str, Any], errors: Any) -> str:
    return render_template("reviews/action_items/new.html", form=form, errors=errors,
                           people=people_queries.list_people(read_model()), **CHOICES)


@bp.get("/<item_id>")
@login_required
def detail(item_id: str, form: dict[str, Any] | None = None,
           errors: dict[str, Any] | None = None) -> str:
    """One item: fields, updates, forms to change it, and its history."""
    item = q.get_action_item(read_model(), item_id, view_now().date())
    names = people_queries.people_names(read_model())
    return render_template("reviews/action_items/detail.html", item=item, names=names,
                           events=history_rows(ActionItem, item_id),
                           people=people_queries.list_people(read_model()),
                           tab=request.args.get("tab", "details"), form=form or {},
                           errors=errors or {}, writer=can_write(), **CHOICES)


def _command(item_id: str, schema: Any, run: Any, done: str) -> str | BaseResponse | tuple[str, int]:
    form = form_data()
    try:
        data = schema.load(form)
        with acting(reason=data.get("reason")):
            run(data)
    except ValidationError as exc:
        return detail(item_id, form, exc.messages), 422
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not saved: {exc.message}", "error")
        return redirect(url_for("actions.detail", item_id=item_id))
    flash(done)
    return redirect(url_for("actions.detail", item_id=item_id))


@bp.post("/<item_id>/status")
@login_required
def update_status(item_id: str) -> str | BaseResponse | tuple[str, int]:
    """Record a status update."""
    return _command(item_id, StatusUpdateSchema(), lambda d: services().actions.update_action_item_status(
        item_id, d["status"], d["note"]), "Status updated.")


@bp.post("/<item_id>/reassign")
@login_required
def reassign(item_id: str) -> str | BaseResponse | tuple[str, int]:
    """Give the item to someone else."""
    return _command(item_id, ReassignSchema(), lambda d: services().actions.reassign_action_item(
        item_id, str(d["owner_id"])), "Item reassigned.")


@bp.post("/<item_id>/due")
@login_required
def change_due(item_id: str) -> str | BaseResponse | tuple[str, int]:
    """Move the due date."""
    return _command(item_id, DueChangeSchema(), lambda d: services().actions.change_action_item_due(
        item_id, d["due"]), "Due date changed.")


@bp.route("/policies", methods=("GET", "POST"))
@login_required
def policies() -> str | BaseResponse | tuple[str, int]:
    """Follow-up policies, the violations report, and (admins) a form to define one."""
    form, errors = form_data(), {}
    if request.method == "POST":
        try:
            data = PolicyInputSchema().load(form)
            with acting():
                services().actions.define_follow_up_policy(**data)
            flash("Policy defined.")
            return redirect(url_for("actions.policies"))
        except ValidationError as exc:
            errors = exc.messages
        except PermissionDenied as exc:
            flash(f"Not saved: {exc.message}", "error")
            return redirect(url_for("actions.policies"))
    engine = read_model()
    html = render_template("reviews/action_items/policies.html", policies=q.list_policies(engine),
                           violations=q.policy_violations(engine, view_now()), form=form,
                           errors=errors, **CHOICES)
    return (html, 422) if errors else html


@bp.get("/policies/<policy_id>")
@login_required
def policy(policy_id: str) -> str:
    """One follow-up policy and its history."""
    found = {p["id"]: p for p in q.list_policies(read_model())}
    if policy_id not in found:
        raise NotFound(f"no follow-up policy with id {policy_id}", id=policy_id)
    return render_template("reviews/action_items/policy.html", policy=found[policy_id],
                           events=history_rows(FollowUpPolicy, policy_id))


@bp.post("/policies/<policy_id>/retire")
@login_required
def retire_policy(policy_id: str) -> BaseResponse:
    """Stop applying a policy."""
    try:
        with acting():
            services().actions.retire_follow_up_policy(policy_id)
        flash("Policy retired.")
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not saved: {exc.message}", "error")
    return redirect(url_for("actions.policies"))
