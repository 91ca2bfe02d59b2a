"""JSON API under /api/v1: load the schema, call the service, dump the schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

from flask import Blueprint, g, request
from marshmallow import ValidationError

from app.changes import queries as change_queries
from app.changes.schemas import (
    ChangeRequestInputSchema,
    ChangeRequestPageSchema,
    ChangeRequestQueryArgsSchema,
    ChangeRequestSchema,
    WithdrawSchema,
)
from app.people import queries as people_queries
from app.people.schemas import PersonInputSchema, PersonSchema
from app.schemas import HistorySchema
from domain.changes.change_request import ChangeRequest
from domain.errors import NotAuthenticated
from web.context import acting, read_model, services
from web.errors import ApiError
from web.history import history_rows

if TYPE_CHECKING:
    from marshmallow import Schema

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])


@bp.before_request
def require_token() -> None:
    """Every API call needs a valid bearer token (the OpenAPI document is public)."""
    if g.get("user") is None:
        raise NotAuthenticated("send a valid bearer token in the Authorization header")


def body(schema: Schema) -> dict[str, Any]:
    """Load a JSON request body through ``schema`` (422 on invalid input)."""
    data = request.get_json(silent=True)
    if data is None and request.get_data():
        raise ApiError(400, "malformed_json", "the request body is not valid JSON")
    data = data if data is not None else {}
    if not isinstance(data, list if schema.many else dict):
        raise ValidationError({"_schema": [
            "the body must be a JSON " + ("array" if schema.many else "object")]})
    return schema.load(data)


@bp.get("/me")
def me() -> dict[str, Any]:
    """Return the person the token belongs to."""
    return PersonSchema().dump(g.user)


@bp.post("/people")
def create_person() -> tuple[dict[str, Any], int]:
    """Register a person (admins only); returns their id and first API token."""
    data = body(PersonInputSchema())
    with acting():
        result = services().people.register_person(**data)
    return result, 201


@bp.get("/people")
def list_people() -> dict[str, Any]:
    """List everyone."""
    return {"items": PersonSchema(many=True).dump(people_queries.list_people(read_model()))}


@bp.post("/change-requests")
def submit_change_request() -> tuple[dict[str, Any], int]:
    """Submit a change request as the token's owner."""
    data = body(ChangeRequestInputSchema())
    with acting():
        result = services().changes.submit_change_request(**data)
    return ChangeRequestSchema().dump(change_queries.get_change_request(read_model(), result["id"])), 201


@bp.get("/change-requests")
def list_change_requests() -> dict[str, Any]:
    """List change requests with filters and paging."""
    args = ChangeRequestQueryArgsSchema().load(request.args.to_dict())
    return ChangeRequestPageSchema().dump(change_queries.list_change_requests(read_model(), **args))


@bp.get("/change-requests/<change_id>")
def get_change_request(change_id: str) -> dict[str, Any]:
    """Return one change request."""
    return ChangeRequestSchema().dump(change_queries.get_change_request(read_model(), change_id))


@bp.post("/change-requests/<change_id>/withdraw")
def withdraw_change_request(change_id: str) -> dict[str, Any]:
    """Withdraw a change request (requester only, before a decision)."""
    data = body(WithdrawSchema())
    with acting(reason=data["reason"]):
        services().changes.withdraw_change_request(change_id)
    return ChangeRequestSchema().dump(change_queries.get_change_request(read_model(), change_id))


@bp.get("/change-requests/<change_id>/history")
def change_request_history(change_id: str) -> dict[str, Any]:
    """Return every event of a change request, oldest first."""
    return HistorySchema().dump({"events": history_rows(ChangeRequest, change_id)})
