"""Schemas of change requests: the submit form and API body, the output, list filters and pages."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from app.schemas import FormSchema, Integer, Limit, Schema, String, Text, when
from domain.changes.change_request import CATEGORIES, RISKS, STATUSES


class ChangeRequestInputSchema(Schema):
    """Fields of a new change request (API body or web form)."""

    board_id = fields.UUID(load_default=None, allow_none=True)
    title = Text(required=True, validate=validate.Length(min=3, max=200))
    description = Text(required=True, validate=validate.Length(min=1, max=20_000))
    category = String(required=True, validate=validate.OneOf(CATEGORIES))
    risk = String(required=True, validate=validate.OneOf(RISKS))
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


class ChangeRequestFormSchema(FormSchema, ChangeRequestInputSchema):
    """The same fields from an HTML form (systems as one comma- or line-separated text)."""

    separators = {"systems": r"[,\n]"}


class ChangeRequestSchema(Schema):
    """A change request as shown to clients."""

    id = String(dump_only=True)
    board_id = String(allow_none=True)
    title = String()
    description = String()
    category = String()
    risk = String()
    systems = fields.List(String())
    planned_start = fields.DateTime()
    planned_end = fields.DateTime()
    rollback_plan = String()
    status = String()
    requester_id = String()
    requester_name = String(allow_none=True)
    submitted_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = Integer()


class ChangeRequestQueryArgsSchema(FormSchema):
    """Filters for the change request list (a GET form: blank filters are absent)."""

    status = String(validate=validate.OneOf(STATUSES))
    category = String(validate=validate.OneOf(CATEGORIES))
    risk = String(validate=validate.OneOf(RISKS))
    requester_id = String()
    board_id = String()
    system = String()
    q = String()
    limit = Limit(cap=500, load_default=50)
    offset = Integer(load_default=0, validate=validate.Range(min=0))


class ChangeRequestPageSchema(Schema):
    """A page of change requests."""

    items = fields.List(fields.Nested(ChangeRequestSchema))
    total = Integer()
    limit = Integer()
    offset = Integer()


class WithdrawSchema(Schema):
    """Optional reason for withdrawing."""

    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class WithdrawFormSchema(FormSchema, WithdrawSchema):
    """The withdraw form on the detail page."""
