"""People administration and personal API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, g, render_template, request, url_for

from app.people import queries as people_queries
from app.people.schemas import PersonFormSchema, TokenFormSchema
from domain.people.person import FUNCTIONS, ROLES
from web.context import login_required, read_model, services
from web.forms import handle_form

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.route("/", methods=("GET", "POST"))
@login_required
def index() -> str | Response | tuple[str, int]:
    """List people; admins can add someone."""
    if request.method == "POST":
        return handle_form(
            PersonFormSchema(),
            lambda data: {"name": data["name"], **services().people.register_person(**data)},
            success=lambda added: (f"Added {added['name']}. Their API token (shown once): "
                                   f"{added['token']}", url_for("people.index")),
            retry=_page)
    return _page({}, {})


def _page(errors: dict[str, Any], form: dict[str, Any]) -> str:
    return render_template("people/index.html", people=people_queries.list_people(read_model()),
                           form=form, errors=errors, functions=FUNCTIONS, roles=ROLES)


@bp.post("/me/tokens")
@login_required
def new_token() -> Response | tuple[str, int]:
    """Issue a new API token for the signed-in person."""
    return handle_form(
        TokenFormSchema(), lambda data: services().people.issue_token(g.user["id"], label=data["label"]),
        success=lambda token: (f"Your new API token (copy it now, it is shown once): {token}",
                               url_for("people.index")),
        retry=url_for("people.index"))
