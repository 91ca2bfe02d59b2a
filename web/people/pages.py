"""People administration and personal API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.people import queries as people_queries
from app.people.schemas import PersonInputSchema
from domain.errors import DomainError, PermissionDenied
from domain.people.person import FUNCTIONS, ROLES
from web.context import acting, form_data, login_required, read_model, services

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.route("/", methods=("GET", "POST"))
@login_required
def index() -> str | tuple[str, int]:
    """List people; admins can add someone."""
    form = form_data()
    errors: dict = {}
    if request.method == "POST":
        try:
            data = PersonInputSchema().load(form)
            with acting():
                result = services().people.register_person(**data)
            flash(f"Added {data['name']}. Their API token (shown once): {result['token']}")
            form = {}
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        except (DomainError, PermissionDenied) as exc:
            errors = {"_form": [exc.message]}
    people = people_queries.list_people(read_model())
    return render_template("people/index.html", people=people, form=form, errors=errors,
                           functions=FUNCTIONS, roles=ROLES), (422 if errors else 200)


@bp.post("/me/tokens")
@login_required
def new_token() -> Response:
    """Issue a new API token for the signed-in person."""
    with acting():
        token = services().people.issue_token(g.user["id"], label=request.form.get("label", "web"))
    flash(f"Your new API token (copy it now, it is shown once): {token}")
    return redirect(url_for("people.index"))
