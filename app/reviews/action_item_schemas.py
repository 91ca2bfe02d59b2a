"""Schemas of the action item tracker (forms, API, OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from app.paging import DEFAULT_LIMIT, page_schema
from app.schemas import FormSchema, Integer, Limit, Schema, String, Text
from domain.reviews.action_item import PRIORITIES, SOURCES, STATUSES


class ActionItemInputSchema(Schema):
    """A new action item."""

    title = Text(required=True, validate=validate.Length(min=3, max=200))
    description = Text(load_default="", validate=validate.Length(max=20_000))
    owner_id = fields.UUID(required=True)
    priority = String(load_default="P2", validate=validate.OneOf(PRIORITIES))
    due = fields.Date(load_default=None, allow_none=True)
    due_reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                      metadata={"description": "why the item is due later than its priority's "
                                               "window (P0 today, P1 Sunday, P2 month end)"})
    source_type = String(load_default="manual", validate=validate.OneOf(SOURCES))
    source_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))


class ActionItemFormSchema(FormSchema, ActionItemInputSchema):
    """The same fields from an HTML form (blank optional fields are absent); the source picker
    sends one ``source`` field, ``manual`` or ``<type>:<id>`` (e.g. ``incident:<uuid>``)."""

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """``source`` → ``source_type`` and ``source_id``."""
        source = data.pop("source", None)
        if isinstance(source, str):
            kind, _, ref = source.partition(":")
            data["source_type"] = kind
            if ref:
                data["source_id"] = ref
        return data


class StatusUpdateSchema(Schema):
    """A status update with a note (the note is required when blocked)."""

    status = String(required=True, validate=validate.OneOf(STATUSES))
    note = Text(load_default="", validate=validate.Length(max=5000))


class StatusUpdateFormSchema(FormSchema, StatusUpdateSchema):
    """The item page's status form."""


class ReassignSchema(Schema):
    """A new owner and why."""

    owner_id = fields.UUID(required=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class ReassignFormSchema(FormSchema, ReassignSchema):
    """The item page's reassign form."""


class DueChangeSchema(Schema):
    """A new due date and why."""

    due = fields.Date(required=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class DueChangeFormSchema(FormSchema, DueChangeSchema):
    """The item page's due date form."""


class ActionItemQueryArgsSchema(FormSchema):
    """Filters for the action item list (blank filters are absent)."""

    owner_id = String()
    status = String(validate=validate.OneOf((*STATUSES, "not_completed")))
    priority = String(validate=validate.OneOf(PRIORITIES))
    source_type = String(validate=validate.OneOf(SOURCES))
    source_id = String()
    overdue = fields.Boolean()
    q = String()
    limit = Limit(cap=1000, load_default=DEFAULT_LIMIT,
                  metadata={"description": "page size, at most 1000 (larger is clamped)"})
    offset = Integer(load_default=0, validate=validate.Range(min=0),
                     metadata={"description": "rows to skip"})


class ActionItemUpdateSchema(Schema):
    """One change to an item."""

    version = Integer()
    kind = String()
    status = String(allow_none=True)
    note = String()
    review_id = String(allow_none=True)
    owner_id = String(allow_none=True)
    due = fields.Date(allow_none=True)
    actor_id = String(allow_none=True)
    reason = String(allow_none=True)
    at = fields.DateTime()


class ActionItemSchema(Schema):
    """An action item as shown to clients (``overdue`` derived from the clock)."""

    id = String(dump_only=True)
    title = String()
    description = String()
    owner_id = String()
    owner_name = String(allow_none=True)
    due = fields.Date()
    priority = String()
    status = String()
    status_note = String()
    overdue = fields.Boolean()
    beyond_window = fields.Boolean(allow_none=True, metadata={
        "description": "due later than its priority's window (with due_reason); null for "
                       "items raised before the rule"})
    due_reason = String(allow_none=True)
    source_type = String()
    source_id = String(allow_none=True)
    raised_by = String(allow_none=True)
    raised_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    version = Integer()
    updates = fields.List(fields.Nested(ActionItemUpdateSchema))


ActionItemPageSchema = page_schema(ActionItemSchema, "ActionItemPage")
"""A page of action items, earliest due first."""


class PolicyInputSchema(Schema):
    """A follow-up policy: items matching source and priority are completed within N days."""

    name = Text(required=True, validate=validate.Length(min=3, max=200))
    source_type = String(load_default=None, allow_none=True,
                                validate=validate.OneOf(SOURCES))
    priority = String(load_default=None, allow_none=True,
                             validate=validate.OneOf(PRIORITIES))
    within_days = Integer(required=True, validate=validate.Range(min=0, max=365))


class PolicyFormSchema(FormSchema, PolicyInputSchema):
    """The policies page's form (a blank source or priority matches any)."""


class PolicySchema(Schema):
    """A follow-up policy as shown to clients."""

    id = String(dump_only=True)
    name = String()
    source_type = String(allow_none=True)
    priority = String(allow_none=True)
    within_days = Integer()
    active = fields.Boolean()
    defined_at = fields.DateTime()


class ViolationSchema(Schema):
    """An item breaking a follow-up policy."""

    policy_id = String()
    policy_name = String()
    why = String()
    item = fields.Nested(ActionItemSchema)


class ViolationReportSchema(Schema):
    """Every current violation."""

    violations = fields.List(fields.Nested(ViolationSchema))
