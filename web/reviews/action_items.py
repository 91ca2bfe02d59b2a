"""Action item pages: tracker with filters, my items, CSV, item detail with updates and history,
follow-up policies and their violations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from flask import (
    Blueprint,
    Response,
    g,
    render_template,
    request,
    url_for,
)

from app import references
from app.people import queries as people_queries
from app.reviews import action_item_queries as q
from app.reviews.action_item_schemas import (
    ActionItemFormSchema,
    ActionItemQueryArgsSchema,
    DueChangeFormSchema,
    PolicyFormSchema,
    ReassignFormSchema,
    StatusUpdateFormSchema,
)
from app.schemas import FormSchema
from domain.errors import NotFound
from domain.reviews.action_item import (
    PRIORITIES,
    SOURCES,
    STATUSES,
    ActionItem,
    FollowUpPolicy,
)
from web.context import (
    at_position,
    can_write,
    login_required,
    read_model,
    services,
    view_now,
)
from web.forms import handle_form, validate
from web.history import history_rows
from web.links import url_for as link
from web.messages import words
from web.references import linked
from web.reviews.action_items_api import list_args

if TYPE_CHECKING:
    from marshmallow import Schema
    from werkzeug.wrappers import Response as BaseResponse

    from web.forms import Errors, FormInput

bp = Blueprint("actions", __name__, url_prefix="/action-items")

CHOICES = {"priorities": PRIORITIES, "sources": SOURCES, "statuses": STATUSES}


def _filtered(extra: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    args, errors = validate(ActionItemQueryArgsSchema(),
                            {**request.args.to_dict(), **(extra or {})})
    page = q.list_action_items(read_model(), view_now().date(), **list_args(args or {}))
    items = page["items"]
    sources = linked([(i.get("source_type"), i.get("source_id")) for i in items])
    return {**page, "items": [_listed(i, s) for i, s in zip(items, sources)]}, errors


def _listed(item: dict[str, Any], source: Any) -> dict[str, Any]:
    """An item as the list shows it: its link, words and source (``source``: its reference,
    resolved with the page's others) worked out here, in one plain function, rather than by
    the template's expressions cell by cell. The template escapes every text (a source's
    reference is already HTML)."""
    source_id, source_type = item.get("source_id"), item.get("source_type")
    due = item.get("due")
    return {**item, "href": link("actions.detail", item_id=item["id"]),
            "status_words": words(item.get("status")), "source_words": words(source_type),
            "due_text": due.isoformat() if due is not None else "",
            "source_ref": (source_id if source_type == "manual" else source)
            if source_id else None}


def _person_choices() -> list[dict[str, Any]]:
    """The owner filter's choices, read again only once the people read model has moved."""
    return at_position("people", ("person-choices",),
                       lambda: people_queries.person_choices(read_model()))


@bp.get("/")
@login_required
def index() -> str:
    """The tracker: every item, filtered by the query string."""
    page, errors = _filtered()
    return render_template("reviews/action_items/index.html", page=page, args=request.args, errors=errors,
                           people=_person_choices(), mine=False, **CHOICES)


@bp.get("/mine")
@login_required
def mine() -> str:
    """The signed-in person's items."""
    page, errors = _filtered({"owner_id": g.user["id"]})
    return render_template("reviews/action_items/index.html", page=page, args=request.args, errors=errors,
                           people=_person_choices(), mine=True, **CHOICES)


@bp.get("/export.csv")
@login_required
def export() -> Response:
    """The filtered list as CSV: every matching item, streamed."""
    args, _ = validate(ActionItemQueryArgsSchema(), request.args.to_dict())
    args = list_args(args or {})
    args.pop("limit", None), args.pop("offset", None)
    items = q.iter_action_items(read_model(), view_now().date(), **args)
    return Response(q.action_items_csv_lines(items), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=action-items.csv"})


@bp.route("/new", methods=("GET", "POST"))
@login_required
def new() -> str | BaseResponse | tuple[str, int]:
    """Show the new item form, or raise the item."""
    if request.method == "POST":
        return handle_form(
            ActionItemFormSchema(), lambda data: services().actions.create_action_item(
                **{**data, "owner_id": str(data["owner_id"])}),
            success=lambda result: ("Action item raised.",
                                    url_for("actions.detail", item_id=result["id"])),
            retry=lambda errors, form: _new_form(form, errors))
    return _new_form(request.args.to_dict(), {})


SOURCE_GROUPS = (("meeting", "CCB meetings"), ("incident", "Incidents"),
                 ("review", "Post-launch reviews"), ("rehearsal", "Release rehearsals"),
                 ("launch", "Launches"))
"""The source picker's groups: a source type and the records it may name."""


def _new_form(form: dict[str, Any], errors: Any) -> str:
    engine = read_model()
    sources = [(kind, title, references.choices(engine, kind)) for kind, title in SOURCE_GROUPS]
    chosen = form.get("source") or (
        f"{form['source_type']}:{form['source_id']}" if form.get("source_id")
        else form.get("source_type", "manual"))
    if "source_id" in errors and "source" not in errors:
        errors = {**errors, "source": errors["source_id"]}
    return render_template("reviews/action_items/new.html", form=form, errors=errors,
                           people=people_queries.list_people(engine), source_groups=sources,
                           chosen_source=chosen, **CHOICES)


@bp.get("/<item_id>")
@login_required
def detail(item_id: str) -> str:
    """One item: fields, updates, forms to change it, and its history."""
    return _detail(item_id, {}, {})


def _detail(item_id: str, errors: Errors, form: FormInput) -> str:
    item = q.get_action_item(read_model(), item_id, view_now().date())
    names = people_queries.people_names(read_model())
    return render_template("reviews/action_items/detail.html", item=item, names=names,
                           events=history_rows(ActionItem, item_id),
                           people=people_queries.list_people(read_model()),
                           tab=request.args.get("tab", "details"), form=form,
                           errors=errors, writer=can_write(), **CHOICES)


def _command(item_id: str, schema: Schema, run: Callable[[dict[str, Any]], Any],
             done: str) -> BaseResponse | tuple[str, int]:
    """A form on the item page (status, reassign, due date; the last two with a reason)."""
    return handle_form(
        schema, run, reason="reason",
        success=(done, url_for("actions.detail", item_id=item_id)),
        retry=lambda errors, form: _detail(item_id, errors, form))


@bp.post("/<item_id>/status")
@login_required
def update_status(item_id: str) -> BaseResponse | tuple[str, int]:
    """Record a status update."""
    return _command(item_id, StatusUpdateFormSchema(), lambda d: services().actions.update_action_item_status(
        item_id, d["status"], d["note"]), "Status updated.")


@bp.post("/<item_id>/reassign")
@login_required
def reassign(item_id: str) -> BaseResponse | tuple[str, int]:
    """Give the item to someone else."""
    return _command(item_id, ReassignFormSchema(), lambda d: services().actions.reassign_action_item(
        item_id, str(d["owner_id"])), "Item reassigned.")


@bp.post("/<item_id>/due")
@login_required
def change_due(item_id: str) -> BaseResponse | tuple[str, int]:
    """Move the due date."""
    return _command(item_id, DueChangeFormSchema(), lambda d: services().actions.change_action_item_due(
        item_id, d["due"]), "Due date changed.")


@bp.route("/policies", methods=("GET", "POST"))
@login_required
def policies() -> str | BaseResponse | tuple[str, int]:
    """Follow-up policies, the violations report, and (admins) a form to define one."""
    if request.method == "POST":
        return handle_form(PolicyFormSchema(),
                           lambda data: services().actions.define_follow_up_policy(**data),
                           success=("Policy defined.", url_for("actions.policies")),
                           retry=_policies_page)
    return _policies_page({}, {})


def _policies_page(errors: Errors, form: FormInput) -> str:
    engine = read_model()
    return render_template("reviews/action_items/policies.html", policies=q.list_policies(engine),
                           violations=q.policy_violations(engine, view_now()), form=form,
                           errors=errors, **CHOICES)


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
def retire_policy(policy_id: str) -> BaseResponse | tuple[str, int]:
    """Stop applying a policy."""
    back = url_for("actions.policies")
    return handle_form(FormSchema(), lambda data: services().actions.retire_follow_up_policy(policy_id),
                       success=("Policy retired.", back), retry=back)
