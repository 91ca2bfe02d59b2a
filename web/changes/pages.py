"""Change request pages: list with filters, submit form, detail with history, withdraw."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.changes import queries as change_queries
from app.changes.schemas import (
    ChangeRequestFormSchema,
    ChangeRequestQueryArgsSchema,
    WithdrawSchema,
)
from domain.changes.change_request import CATEGORIES, RISKS, STATUSES, ChangeRequest
from domain.errors import DomainError, PermissionDenied
from web.context import acting, form_data, login_required, read_model, services
from web.history import history_rows

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint("changes", __name__, url_prefix="/changes")

CHOICES = {"categories": CATEGORIES, "risks": RISKS, "statuses": STATUSES}


@bp.get("/")
@login_required
def index() -> str:
    """List change requests, filtered by the query string."""
    try:
        args = ChangeRequestQueryArgsSchema().load(request.args.to_dict())
        errors: dict[str, Any] = {}
    except ValidationError as exc:
        args, errors = {}, exc.messages
    page = change_queries.list_change_requests(read_model(), **args)
    return render_template("changes/index.html", page=page, args=request.args, errors=errors,
                           **CHOICES)


@bp.route("/new", methods=("GET", "POST"))
@login_required
def new() -> str | Response | tuple[str, int]:
    """Show the change request form, or submit it."""
    form = form_data()
    if request.method == "POST":
        try:
            data = ChangeRequestFormSchema().load(form)
            with acting():
                result = services().changes.submit_change_request(**data)
        except ValidationError as exc:
            return _form(form, exc.messages), 422
        flash("Change request submitted.")
        return redirect(url_for("changes.detail", change_id=result["id"]))
    return _form(form, {})


def _form(form: dict[str, Any], errors: Any) -> str:
    return render_template("changes/new.html", form=form, errors=errors, **CHOICES)


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
def withdraw(change_id: str) -> Response:
    """Withdraw a change request (requester only, before a decision)."""
    data = WithdrawSchema().load({"reason": request.form.get("reason") or None})
    try:
        with acting(reason=data["reason"]):
            services().changes.withdraw_change_request(change_id)
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not withdrawn: {exc.message}", "error")
        return redirect(url_for("changes.detail", change_id=change_id))
    flash("Change request withdrawn.")
    return redirect(url_for("changes.detail", change_id=change_id, tab="history"))
