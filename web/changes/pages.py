"""Change request pages: list with filters, submit form, detail with history, withdraw."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, render_template, request, url_for
from markupsafe import Markup

from app.ccb import queries as ccb_queries
from app.changes import queries as change_queries
from app.changes.schemas import (
    ChangeRequestFormSchema,
    ChangeRequestQueryArgsSchema,
    WithdrawFormSchema,
)
from domain.changes.change_request import CATEGORIES, RISKS, STATUSES, ChangeRequest
from web.context import login_required, read_model, services
from web.forms import handle_form, validate
from web.history import history_rows
from web.links import url_for as link
from web.messages import words
from web.timezones import time_tag

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint("changes", __name__, url_prefix="/changes")

CHOICES = {"categories": CATEGORIES, "risks": RISKS, "statuses": STATUSES}


@bp.get("/")
@login_required
def index() -> str:
    """List change requests, filtered by the query string."""
    args, errors = validate(ChangeRequestQueryArgsSchema(), request.args.to_dict())
    page = change_queries.list_change_requests(read_model(), **(args or {}))
    return render_template("changes/index.html", page=page, items=listed(page["items"]),
                           args=request.args, errors=errors, **CHOICES)


def listed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Change requests as ``changes/_table.html`` shows them: each row's link, words, times
    and systems worked out here, in one plain function, rather than by the template cell by
    cell (the list page and the home page). The template escapes every text."""
    return [{**c, "href": link("changes.detail", change_id=c["id"]),
             "status_words": words(c.get("status")), "category_words": words(c.get("category")),
             "risk_words": words(c.get("risk")),
             "systems_text": ", ".join(str(s) for s in c.get("systems") or ()),
             "window": Markup(f"{time_tag(c.get('planned_start'))} → "
                              f"{time_tag(c.get('planned_end'))}"),
             "submitted": time_tag(c.get("submitted_at"))} for c in items]


@bp.route("/new", methods=("GET", "POST"))
@login_required
def new() -> str | Response | tuple[str, int]:
    """Show the change request form, or submit it."""
    if request.method == "POST":
        return handle_form(
            ChangeRequestFormSchema(), lambda data: services().changes.submit_change_request(**data),
            success=lambda result: ("Change request submitted.",
                                    url_for("changes.detail", change_id=result["id"])),
            retry=lambda errors, form: _form(form, errors))
    return _form({}, {})


def _form(form: dict[str, Any], errors: Any) -> str:
    return render_template("changes/new.html", form=form, errors=errors,
                           boards=ccb_queries.list_boards(read_model()), **CHOICES)


@bp.get("/<change_id>")
@login_required
def detail(change_id: str) -> str:
    """Show one change request with its history."""
    change = change_queries.get_change_request(read_model(), change_id)
    events = history_rows(ChangeRequest, change_id)
    return render_template("changes/detail.html", change=change, events=events,
                           tab=request.args.get("tab", "details"))


@bp.post("/<change_id>/withdraw")
@login_required
def withdraw(change_id: str) -> Response | tuple[str, int]:
    """Withdraw a change request (requester only, before a decision)."""
    return handle_form(
        WithdrawFormSchema(), lambda data: services().changes.withdraw_change_request(change_id),
        reason="reason", failure="Not withdrawn",
        success=("Change request withdrawn.",
                 url_for("changes.detail", change_id=change_id, tab="history")),
        retry=url_for("changes.detail", change_id=change_id))
