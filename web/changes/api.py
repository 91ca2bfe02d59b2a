"""JSON API of people and change requests under /api/v1: each view loads its schema, calls the
service and returns what its response schema dumps."""

from __future__ import annotations

from typing import Any

from flask import g

from app.changes import queries as change_queries
from app.changes.schemas import (
    ChangeRequestInputSchema,
    ChangeRequestPageSchema,
    ChangeRequestQueryArgsSchema,
    ChangeRequestSchema,
    WithdrawSchema,
)
from app.paging import PageQueryArgsSchema, page_schema
from app.people import queries as people_queries
from app.people.schemas import (
    PersonCreatedSchema,
    PersonInputSchema,
    PersonSchema,
    TimeZoneSchema,
)
from app.schemas import HistorySchema
from domain.changes.change_request import ChangeRequest
from web.api import AreaBlueprint, self_service
from web.context import acting, read_model, services
from web.history import history_page

bp = AreaBlueprint("changes", __name__, tag="change requests")

PersonListSchema = page_schema(PersonSchema, "PersonList")


@bp.get("/me")
@bp.response(200, PersonSchema)
def me() -> dict[str, Any]:
    """The person the token belongs to."""
    return g.user


@bp.patch("/me")
@self_service
@bp.arguments(TimeZoneSchema)
@bp.response(200, PersonSchema)
def update_me(data: dict[str, Any]) -> dict[str, Any]:
    """Change one's own settings: the time zone pages show and read times in (auditors too;
    the API keeps answering in UTC)."""
    with acting():
        return services().people.set_own_time_zone(data["time_zone"])


@bp.post("/people")
@bp.arguments(PersonInputSchema)
@bp.response(201, PersonCreatedSchema)
@bp.errors(409)
def create_person(data: dict[str, Any]) -> dict[str, Any]:
    """Register a person (admins only); returns their id and first API token."""
    with acting():
        return services().people.register_person(**data)


@bp.get("/people")
@bp.arguments(PageQueryArgsSchema, location="query")
@bp.response(200, PersonListSchema)
def list_people(page: dict[str, Any]) -> dict[str, Any]:
    """A page of the directory, by name, and how many people there are."""
    return people_queries.people_page(read_model(), **page)


@bp.post("/change-requests")
@bp.arguments(ChangeRequestInputSchema)
@bp.response(201, ChangeRequestSchema)
@bp.errors(404, 409)
def submit_change_request(data: dict[str, Any]) -> dict[str, Any]:
    """Submit a change request as the token's owner."""
    with acting():
        result = services().changes.submit_change_request(**data)
    return change_queries.get_change_request(read_model(), result["id"])


@bp.get("/change-requests")
@bp.arguments(ChangeRequestQueryArgsSchema, location="query")
@bp.response(200, ChangeRequestPageSchema)
def list_change_requests(args: dict[str, Any]) -> dict[str, Any]:
    """List change requests with filters and paging."""
    return change_queries.list_change_requests(read_model(), **args)


@bp.get("/change-requests/<change_id>")
@bp.response(200, ChangeRequestSchema)
@bp.errors(404)
def get_change_request(change_id: str) -> dict[str, Any]:
    """One change request."""
    return change_queries.get_change_request(read_model(), change_id)


@bp.post("/change-requests/<change_id>/withdraw")
@bp.arguments(WithdrawSchema)
@bp.response(200, ChangeRequestSchema)
@bp.errors(404, 409)
def withdraw_change_request(data: dict[str, Any], change_id: str) -> dict[str, Any]:
    """Withdraw a change request (requester only, before a decision)."""
    with acting(reason=data["reason"]):
        services().changes.withdraw_change_request(change_id)
    return change_queries.get_change_request(read_model(), change_id)


@bp.get("/change-requests/<change_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def change_request_history(change_id: str) -> dict[str, Any]:
    """Every event of a change request, oldest first."""
    return history_page(ChangeRequest, change_id)
