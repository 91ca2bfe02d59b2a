"""Marshmallow schemas: the one description of input and output for forms, API, CLI and exports."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from marshmallow import (
    Schema,
    ValidationError,
    fields,
)

__all__ = ["ValidationError"]

UTC = timezone.utc


class Text(fields.String):
    """A string with surrounding whitespace removed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def when(**kwargs: Any) -> fields.AwareDateTime:
    """An ISO 8601 date-time; one without an offset is taken as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


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
