"""Marshmallow schemas: the one description of input and output for forms, API, CLI and exports."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from domain.changes.change_request import CATEGORIES, RISKS, STATUSES
from domain.people.person import FUNCTIONS, ROLES

__all__ = ["ValidationError"]

UTC = timezone.utc


class Text(fields.String):
    """A string with surrounding whitespace removed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def when(**kwargs: Any) -> fields.AwareDateTime:
    """An ISO 8601 date-time; one without an offset is taken as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


class ChangeRequestInputSchema(Schema):
    """Fields of a new change request (API body or web form)."""

    board_id = fields.UUID(load_default=None, allow_none=True)
    title = Text(required=True, validate=validate.Length(min=3, max=200))
    description = Text(required=True, validate=validate.Length(min=1, max=20_000))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    risk = fields.String(required=True, validate=validate.OneOf(RISKS))
    systems = fields.List(Text(validate=validate.Length(min=1, max=100)), required=True,
                          validate=validate.Length(min=1, max=50))
    planned_start = when(required=True)
    planned_end = when(required=True)
    rollback_plan = Text(load_default="", validate=validate.Length(max=20_000))

    @validates_schema
    def check_plan(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A window ends after it starts; only standard changes may omit a rollback plan."""
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            raise ValidationError("must be after planned_start", "planned_end")
        if data.get("category") in ("normal", "emergency") and not data.get("rollback_plan"):
            raise ValidationError("required for normal and emergency changes", "rollback_plan")


class ChangeRequestFormSchema(ChangeRequestInputSchema):
    """The same fields from an HTML form (systems as text; blank fields count as missing)."""

    @pre_load
    def from_form(self, data: Any, **kwargs: Any) -> Any:
        """Drop blank fields, and split a comma- or line-separated systems string."""
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        if isinstance(data.get("systems"), str):
            data["systems"] = [s for s in re.split(r"[,\n]", data["systems"]) if s.strip()]
        return data


class ChangeRequestSchema(Schema):
    """A change request as shown to clients."""

    id = fields.String(dump_only=True)
    board_id = fields.String(allow_none=True)
    title = fields.String()
    description = fields.String()
    category = fields.String()
    risk = fields.String()
    systems = fields.List(fields.String())
    planned_start = fields.DateTime()
    planned_end = fields.DateTime()
    rollback_plan = fields.String()
    status = fields.String()
    requester_id = fields.String()
    requester_name = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class ChangeRequestQueryArgsSchema(Schema):
    """Filters for the change request list."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.OneOf(STATUSES))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    risk = fields.String(validate=validate.OneOf(RISKS))
    requester_id = fields.String()
    board_id = fields.String()
    system = fields.String()
    q = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))

    @pre_load
    def drop_blanks(self, data: Any, **kwargs: Any) -> Any:
        """Treat empty filter fields (from a GET form) as absent."""
        return {k: v for k, v in dict(data).items() if v not in ("", None)}


class ChangeRequestPageSchema(Schema):
    """A page of change requests."""

    items = fields.List(fields.Nested(ChangeRequestSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class WithdrawSchema(Schema):
    """Optional reason for withdrawing."""

    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class HistoryEventSchema(Schema):
    """One event of an entity's history."""

    type = fields.String()
    version = fields.Integer()
    recorded_at = fields.DateTime()
    actor_id = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    on_behalf_of = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    data = fields.Function(lambda e: jsonable(e["data"]))
    position = fields.Integer(allow_none=True)
    sealed = fields.Function(lambda e: None if not e.get("sealed") else {
        "included": e["sealed"]["included"], "checkpoint_id": e["sealed"]["checkpoint"]["id"],
        "tree_size": e["sealed"]["checkpoint"]["tree_size"]})


class HistorySchema(Schema):
    """An entity's events, oldest first."""

    events = fields.List(fields.Nested(HistoryEventSchema))


class PersonInputSchema(Schema):
    """A new person (admin form, API, CLI)."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    function = fields.String(required=True, validate=validate.OneOf(FUNCTIONS))
    role = fields.String(load_default="member", validate=validate.OneOf(ROLES))
    password = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=12, max=200), load_only=True)


class PersonSchema(Schema):
    """A person as shown to clients."""

    id = fields.String(dump_only=True)
    name = fields.String()
    email = fields.String()
    function = fields.String()
    roles = fields.List(fields.String())
    active = fields.Boolean()


class LoginSchema(Schema):
    """Web login form."""

    class Meta:
        unknown = EXCLUDE

    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1))


class ErrorSchema(Schema):
    """The one error body: {"error": {"code", "message", "details"}}."""

    class ErrorBody(Schema):
        code = fields.String(required=True)
        message = fields.String(required=True)
        details = fields.Dict()

    error = fields.Nested(ErrorBody, required=True)


def jsonable(value: Any) -> Any:
    """Turn event data (datetimes, UUIDs, decimals, tuples) into JSON-ready values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    return value
