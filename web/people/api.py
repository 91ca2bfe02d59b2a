"""JSON API of access under /api/v1: deactivate and reactivate people, change their role, issue,
list and revoke API tokens. Each view loads its schema, calls the service and dumps the answer;
every change is an event on the person, with the optional ``reason`` in its metadata."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from app.people import queries as people_queries
from app.people.schemas import (
    AccessReasonSchema,
    PersonSchema,
    RoleChangeSchema,
    TokenCreatedSchema,
    TokenInputSchema,
    TokenSchema,
)
from app.people.security import parse_token
from app.tasks.schemas import TasksSchema
from domain.errors import NotFound, PermissionDenied
from web.api import AreaBlueprint, listing, self_service
from web.context import acting, read_model, services
from web.people.sessions import end_sessions
from web.tasks import my_work

bp = AreaBlueprint("access", __name__, tag="access")

TokenListSchema = listing(TokenSchema, "TokenList")
TOKEN_ID = [{"in": "path", "name": "token_id", "required": True,
             "schema": {"type": "string", "pattern": "^[0-9a-f]{8}$"},
             "description": "the token id: the third part of the token string"}]


@bp.post("/people/<person_id>/deactivate")
@bp.arguments(AccessReasonSchema)
@bp.response(200, PersonSchema)
@bp.errors(404, 409)
def deactivate(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    """Deactivate a person (admins only): their sign-in, sessions and tokens stop at once."""
    with acting(data["reason"]):
        services().people.deactivate_person(person_id)
    end_sessions(person_id)
    return services().people.get_person(person_id)


@bp.post("/people/<person_id>/reactivate")
@bp.arguments(AccessReasonSchema)
@bp.response(200, PersonSchema)
@bp.errors(404, 409)
def reactivate(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    """Reactivate a deactivated person (admins only)."""
    with acting(data["reason"]):
        services().people.reactivate_person(person_id)
    return services().people.get_person(person_id)


@bp.post("/people/<person_id>/unlock")
@bp.arguments(AccessReasonSchema)
@bp.response(200, PersonSchema)
@bp.errors(404, 409)
def unlock(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    """Lift a person's password sign-in lock before it runs out (admins only)."""
    with acting(data["reason"]):
        current_app.extensions["govledger_sign_in"].unlock(person_id)
    return services().people.get_person(person_id)


@bp.put("/people/<person_id>/role")
@bp.arguments(RoleChangeSchema)
@bp.response(200, PersonSchema)
@bp.errors(404, 409)
def change_role(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    """Make ``role`` the person's only system role (admins only)."""
    with acting(data["reason"]):
        services().people.change_role(person_id, data["role"])
    return services().people.get_person(person_id)


@bp.get("/people/<person_id>/tokens")
@bp.response(200, TokenListSchema)
@bp.errors(403, 404)
def list_tokens(person_id: str) -> dict[str, Any]:
    """A person's unrevoked API tokens (their own, or anyone's for admins); never secrets."""
    person = services().people.get_person(person_id)
    check_self_or_admin(person["id"])
    return {"items": people_queries.list_tokens(read_model(), person["id"])}


@bp.post("/people/<person_id>/tokens")
@bp.arguments(TokenInputSchema)
@bp.response(201, TokenCreatedSchema)
@bp.errors(404, 409)
def issue_token(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    """Issue an API token to a person (themselves, or admins for anyone); shown once."""
    with acting(data["reason"]):
        token = services().people.issue_token(person_id, label=data["name"],
                                              expires_at=data["expires_at"])
    owner, token_id, _ = parse_token(token)  # type: ignore[misc]
    listed = people_queries.get_token(read_model(), str(owner), token_id)
    return {**(listed or {}), "token": token}


@bp.post("/tokens/<token_id>/revoke", parameters=TOKEN_ID)
@self_service
@bp.arguments(AccessReasonSchema)
@bp.response(200, TokenSchema)
@bp.errors(404, 409)
def revoke_token(data: dict[str, Any], token_id: str) -> dict[str, Any]:
    """Revoke an API token (one's own, or anyone's for admins): it is refused from now on."""
    owner = people_queries.token_owner(read_model(), token_id)
    if owner is None or not may_manage(owner):
        raise NotFound(f"no token with id {token_id}", id=token_id)
    with acting(data["reason"]):
        services().people.revoke_token(owner, token_id)
    return people_queries.get_token(read_model(), owner, token_id) or {}


def may_manage(person_id: str) -> bool:
    """Whether the caller may see and change ``person_id``'s tokens."""
    return g.user["id"] == person_id or "admin" in g.user["roles"]


def check_self_or_admin(person_id: str) -> None:
    """Refuse (403) unless the caller is ``person_id`` or an admin."""
    if not may_manage(person_id):
        raise PermissionDenied("only admins see other people's tokens", code="role_required",
                               required=["admin"])


@bp.get("/me/tasks")
@bp.response(200, TasksSchema)
@bp.errors(422)
def my_tasks() -> dict[str, Any]:
    """My work: every open thing that waits for the signed-in person (votes, emergency
    approvals, incidents paged to them, shifts, swap requests, action items, review updates,
    programme activities), most urgent kinds first, each with its page's URL and due time
    (UTC); ``?as_of=`` judges them as the ledger stood then."""
    return my_work()
