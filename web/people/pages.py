"""People administration and personal API tokens."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, g, render_template, request, url_for

from app.paging import PageQueryArgsSchema
from app.people import queries as people_queries
from app.people.schemas import (
    AccessReasonFormSchema,
    PasswordChangeFormSchema,
    PersonFormSchema,
    RoleChangeFormSchema,
    TimeZoneFormSchema,
    TokenFormSchema,
)
from app.people.time_zones import available_time_zones
from domain.errors import PermissionDenied
from domain.people.person import FUNCTIONS, ROLES
from web.context import login_required, read_model, services
from web.forms import handle_form, validate
from web.people.sessions import end_sessions

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
    args, page_errors = validate(PageQueryArgsSchema(), request.args.to_dict())
    page = people_queries.people_page(read_model(), **(args or {}))
    return render_template("people/index.html", page=page, people=page["items"],
                           page_errors=page_errors, form=form, errors=errors,
                           functions=FUNCTIONS, roles=ROLES)


@bp.post("/me/tokens")
@login_required
def new_token() -> Response | tuple[str, int]:
    """Issue a new API token for the signed-in person."""
    return handle_form(
        TokenFormSchema(), lambda data: services().people.issue_token(g.user["id"], **data),
        success=lambda token: (f"Your new API token (copy it now, it is shown once): {token}",
                               url_for("people.index")),
        retry=url_for("people.index"))


@bp.get("/<person_id>")
@login_required
def person(person_id: str) -> str:
    """One person's access: their tokens (for them and admins) and the admin's controls."""
    shown = services().people.get_person(person_id)
    if shown["id"] != g.user["id"] and "admin" not in g.user["roles"]:
        raise PermissionDenied("only admins see other people's access", code="role_required",
                               required=["admin"])
    return _person_page(shown, {}, {})


def _person_page(shown: dict[str, Any], errors: dict[str, Any], form: dict[str, Any]) -> str:
    return render_template("people/person.html", person=shown, roles=ROLES,
                           tokens=people_queries.list_tokens(read_model(), shown["id"]),
                           locked_until=locked_until(shown), errors=errors, form=form,
                           time_zones=sorted(available_time_zones()))


def locked_until(person: dict[str, Any]) -> datetime | None:
    """When the person's sign-in lock runs out (None when they are not locked now)."""
    until = person.get("sign_in_locked_until")
    moment = datetime.fromtimestamp(current_app.extensions["govledger_sign_in"].clock(),
                                    timezone.utc)
    return until if until is not None and moment < until else None


@bp.post("/<person_id>/unlock")
@login_required
def unlock(person_id: str) -> Response | tuple[str, int]:
    """Lift a person's sign-in lock before it runs out (admins only)."""
    return handle_form(AccessReasonFormSchema(),
                       lambda _: current_app.extensions["govledger_sign_in"].unlock(person_id),
                       success=("Sign-in unlocked.",
                                url_for("people.person", person_id=person_id)),
                       retry=url_for("people.person", person_id=person_id), reason="reason")


@bp.post("/<person_id>/deactivate")
@login_required
def deactivate(person_id: str) -> Response | tuple[str, int]:
    """Deactivate a person (admins only)."""
    return handle_form(AccessReasonFormSchema(),
                       lambda _: (services().people.deactivate_person(person_id),
                                  end_sessions(person_id)),
                       success=("Deactivated: their sign-in and tokens no longer work.",
                                url_for("people.person", person_id=person_id)),
                       retry=url_for("people.person", person_id=person_id), reason="reason")


@bp.post("/<person_id>/reactivate")
@login_required
def reactivate(person_id: str) -> Response | tuple[str, int]:
    """Reactivate a person (admins only)."""
    return handle_form(AccessReasonFormSchema(),
                       lambda _: services().people.reactivate_person(person_id),
                       success=("Reactivated.", url_for("people.person", person_id=person_id)),
                       retry=url_for("people.person", person_id=person_id), reason="reason")


@bp.post("/<person_id>/role")
@login_required
def change_role(person_id: str) -> Response | tuple[str, int]:
    """Change a person's role (admins only)."""
    return handle_form(RoleChangeFormSchema(),
                       lambda data: services().people.change_role(person_id, data["role"]),
                       success=("Role changed.", url_for("people.person", person_id=person_id)),
                       retry=url_for("people.person", person_id=person_id), reason="reason")


@bp.post("/<person_id>/tokens/<token_id>/revoke")
@login_required
def revoke_token(person_id: str, token_id: str) -> Response | tuple[str, int]:
    """Revoke one of a person's tokens (their own, or anyone's for admins)."""
    return handle_form(AccessReasonFormSchema(),
                       lambda _: services().people.revoke_token(person_id, token_id),
                       success=(f"Token {token_id} revoked.",
                                url_for("people.person", person_id=person_id)),
                       retry=url_for("people.person", person_id=person_id), reason="reason")


@bp.post("/me/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    """Change one's own password (the current one is required)."""
    return handle_form(PasswordChangeFormSchema(),
                       lambda data: services().people.change_own_password(**data),
                       success=("Your password is changed.",
                                url_for("people.person", person_id=g.user["id"])),
                       retry=url_for("people.person", person_id=g.user["id"]))


@bp.post("/me/time-zone")
@login_required
def set_time_zone() -> Response | tuple[str, int]:
    """Choose the time zone one's pages show times in and read typed times in."""
    return handle_form(
        TimeZoneFormSchema(),
        lambda data: services().people.set_own_time_zone(data["time_zone"]),
        success=lambda me: (f"Times are now shown and read in {me['time_zone']}.",
                            url_for("people.person", person_id=me["id"])),
        retry=lambda errors, form: _person_page(g.user, errors, form))
