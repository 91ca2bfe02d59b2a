"""Schemas of the action item tracker (forms, API, OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from app.schemas import Text
from domain.reviews.action_item import PRIORITIES, SOURCES, STATUSES


def _blanks_to_none(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    return {k: (None if v == "" else v) for k, v in dict(data).items()}


class ActionItemInputSchema(Schema):
    """A new action item."""

    title = Text(required=True, validate=validate.Length(min=3, max=200))
    description = Text(load_default="", validate=validate.Length(max=20_000))
    owner_id = fields.UUID(required=True)
    priority = fields.String(load_default="P2", validate=validate.OneOf(PRIORITIES))
    due = fields.Date(load_default=None, allow_none=True)
    source_type = fields.String(load_default="manual", validate=validate.OneOf(SOURCES))
    source_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))


class ActionItemFormSchema(ActionItemInputSchema):
    """The same fields from an HTML form (blank optional fields)."""

    @pre_load
    def from_form(self, data: Any, **kwargs: Any) -> Any:
        """Treat blank optional fields as absent."""
        data = _blanks_to_none(data)
        for key in ("description", "priority", "source_type"):
            if isinstance(data, dict) and data.get(key) is None:
                data.pop(key, None)
        return data


class StatusUpdateSchema(Schema):
    """A status update with a note (the note is required when blocked)."""

    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    note = Text(load_default="", validate=validate.Length(max=5000))


class ReassignSchema(Schema):
    """A new owner and why."""

    owner_id = fields.UUID(required=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class DueChangeSchema(Schema):
    """A new due date and why."""

    due = fields.Date(required=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class ActionItemQueryArgsSchema(Schema):
    """Filters for the action item list."""

    class Meta:
        unknown = EXCLUDE

    owner_id = fields.String()
    status = fields.String(validate=validate.OneOf((*STATUSES, "not_completed")))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    source_type = fields.String(validate=validate.OneOf(SOURCES))
    source_id = fields.String()
    overdue = fields.Boolean()
    q = fields.String()
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))

    @pre_load
    def drop_blanks(self, data: Any, **kwargs: Any) -> Any:
        """Treat empty filter fields (from a GET form) as absent."""
        return {k: v for k, v in dict(data).items() if v not in ("", None)}


class ActionItemUpdateSchema(Schema):
    """One change to an item."""

    version = fields.Integer()
    kind = fields.String()
    status = fields.String(allow_none=True)
    note = fields.String()
    review_id = fields.String(allow_none=True)
    owner_id = fields.String(allow_none=True)
    due = fields.Date(allow_none=True)
    actor_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    at = fields.DateTime()


class ActionItemSchema(Schema):
    """An action item as shown to clients (``overdue`` derived from the clock)."""

    id = fields.String(dump_only=True)
    title = fields.String()
    description = fields.String()
    owner_id = fields.String()
    owner_name = fields.String(allow_none=True)
    due = fields.Date()
    priority = fields.String()
    status = fields.String()
    status_note = fields.String()
    overdue = fields.Boolean()
    source_type = fields.String()
    source_id = fields.String(allow_none=True)
    raised_by = fields.String(allow_none=True)
    raised_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    updates = fields.List(fields.Nested(ActionItemUpdateSchema))


class ActionItemPageSchema(Schema):
    """A page of action items."""

    items = fields.List(fields.Nested(ActionItemSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class PolicyInputSchema(Schema):
    """A follow-up policy: items matching source and priority are completed within N days."""

    name = Text(required=True, validate=validate.Length(min=3, max=200))
    source_type = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(SOURCES))
    priority = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(PRIORITIES))
    within_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))

    @pre_load
    def from_form(self, data: Any, **kwargs: Any) -> Any:
        """Treat blank optional fields as absent."""
        return _blanks_to_none(data)


class PolicySchema(Schema):
    """A follow-up policy as shown to clients."""

    id = fields.String(dump_only=True)
    name = fields.String()
    source_type = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    within_days = fields.Integer()
    active = fields.Boolean()
    defined_at = fields.DateTime()


class ViolationSchema(Schema):
    """An item breaking a follow-up policy."""

    policy_id = fields.String()
    policy_name = fields.String()
    why = fields.String()
    item = fields.Nested(ActionItemSchema)


class ViolationReportSchema(Schema):
    """Every current violation."""

    violations = fields.List(fields.Nested(ViolationSchema))
