"""Schemas of launches and post-launch reviews (forms, API, OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    post_dump,
    validate,
    validates_schema,
)

from app.paging import PageArgsSchema
from app.schemas import FormSchema, Integer, jsonable, Schema, String, Text
from domain.reviews.action_item import PRIORITIES, STATUSES
from domain.reviews.review import REVIEW_STATUSES, TICKET_SEVERITIES

PERCENT = validate.Range(min=0, max=100)
COUNT = validate.Range(min=0)

TARGETS = ("uptime_min", "error_rate_max", "p95_max_ms")


class TargetsSchema(Schema):
    """Targets of a launch: uptime at least, error rate below, p95 below."""

    uptime_min = fields.Decimal(validate=validate.Range(min=0, max=100,
                                                                  min_inclusive=False),
                                as_string=True)
    error_rate_max = fields.Decimal(validate=validate.Range(
        min=0, max=100, min_inclusive=False), as_string=True)
    p95_max_ms = Integer(validate=validate.Range(min=1, max=600_000))


class TargetsFormSchema(FormSchema, TargetsSchema):
    """The launch page's targets form (a blank target keeps its value)."""


class LaunchInputSchema(Schema):
    """A production launch."""

    name = Text(required=True, validate=validate.Length(min=3, max=200))
    system = Text(required=True, validate=validate.Length(min=1, max=100))
    launch_date = fields.Date(required=True)
    description = Text(load_default="", validate=validate.Length(max=20_000))
    targets = fields.Nested(TargetsSchema, load_default=None, allow_none=True)


class LaunchFormSchema(FormSchema, LaunchInputSchema):
    """The same from a form (targets as flat fields; none given: the defaults)."""

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Gather the target fields."""
        targets = {key: data.pop(key) for key in TARGETS if key in data}
        return {**data, "targets": targets or None}


class MoveReviewSchema(Schema):
    """A new day for a review, and optionally why."""

    scheduled_for = fields.Date(required=True)
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class MoveReviewFormSchema(FormSchema, MoveReviewSchema):
    """A review's move form on the launch page."""


class ExtendScheduleSchema(Schema):
    """How many more monthly reviews to schedule."""

    months = Integer(load_default=3, validate=validate.Range(min=1, max=24))


class ExtendScheduleFormSchema(FormSchema, ExtendScheduleSchema):
    """The schedule-more-reviews form."""


class CancelReviewSchema(Schema):
    """Why a review is cancelled."""

    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class CancelReviewFormSchema(FormSchema, CancelReviewSchema):
    """A review's cancel form on the launch page."""


class MetricsInputSchema(Schema):
    """Metrics of a review period (a monitoring system may post them)."""

    uptime_pct = fields.Decimal(load_default=None, allow_none=True, validate=PERCENT)
    error_rate_pct = fields.Decimal(load_default=None, allow_none=True, validate=PERCENT)
    p95_ms = Integer(load_default=None, allow_none=True, validate=COUNT)
    active_users = Integer(load_default=None, allow_none=True, validate=COUNT)
    tickets = fields.Dict(keys=String(validate=validate.OneOf(TICKET_SEVERITIES)),
                          values=Integer(validate=COUNT), load_default=dict)
    source = String(load_default="api", validate=validate.OneOf(
        ("form", "api", "monitoring")))

    @validates_schema
    def some_metric(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a recording without any value."""
        keys = ("uptime_pct", "error_rate_pct", "p95_ms", "active_users")
        if all(data.get(k) is None for k in keys) and not data.get("tickets"):
            raise ValidationError("give at least one metric", "uptime_pct")


class MetricsFormSchema(FormSchema, MetricsInputSchema):
    """The same from a form (tickets as one field per severity)."""

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Gather the ticket counts; the source is the form."""
        tickets = {s: data.pop(f"tickets_{s}") for s in TICKET_SEVERITIES
                   if f"tickets_{s}" in data}
        return {**data, "tickets": tickets, "source": "form"}


class ReviewStatusUpdateSchema(Schema):
    """A status update of an action item, recorded in a review."""

    item_id = fields.UUID(required=True)
    status = String(required=True, validate=validate.OneOf(STATUSES))
    note = Text(load_default="", validate=validate.Length(max=5000))


class ReviewStatusUpdateFormSchema(FormSchema, ReviewStatusUpdateSchema):
    """An open item's status-update form in the review."""


class ReviewIssueSchema(Schema):
    """A new issue found in a review (raised as an action item)."""

    title = Text(required=True, validate=validate.Length(min=3, max=200))
    owner_id = fields.UUID(required=True)
    priority = String(load_default="P2", validate=validate.OneOf(PRIORITIES))
    due = fields.Date(load_default=None, allow_none=True)
    due_reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                      metadata={"description": "why the item is due later than its priority's "
                                               "window (P0 today, P1 Sunday, P2 month end)"})
    description = Text(load_default="", validate=validate.Length(max=20_000))


class ReviewIssueFormSchema(FormSchema, ReviewIssueSchema):
    """The raise-an-issue form (blank optional fields are absent)."""


class ReviewNotesSchema(Schema):
    """Backlog, feedback themes, next review date and focus areas."""

    backlog = fields.List(Text(validate=validate.Length(min=1, max=500)), load_default=list)
    positive = fields.List(Text(validate=validate.Length(min=1, max=500)), load_default=list)
    negative = fields.List(Text(validate=validate.Length(min=1, max=500)), load_default=list)
    next_review_date = fields.Date(load_default=None, allow_none=True)
    focus_areas = fields.List(Text(validate=validate.Length(min=1, max=500)),
                              load_default=list)


class ReviewNotesFormSchema(FormSchema, ReviewNotesSchema):
    """The notes form: one list item per line (an item may contain commas)."""

    separators = {name: r"\n" for name in ("backlog", "positive", "negative", "focus_areas")}


class AddendumSchema(Schema):
    """A correction to a finalised review."""

    text = Text(required=True, validate=validate.Length(min=1, max=20_000))


class AddendumFormSchema(FormSchema, AddendumSchema):
    """The addendum form of a finalised review."""


class ReviewQueryArgsSchema(FormSchema, PageArgsSchema):
    """Filters and page of the review list (blank filters are absent)."""

    status = String(validate=validate.OneOf(REVIEW_STATUSES))
    launch_id = String()


class ReviewSchema(Schema):
    """A review as listed."""

    id = String(dump_only=True)
    launch_id = String()
    seq = Integer()
    kind = String()
    scheduled_for = fields.Date()
    originally_scheduled_for = fields.Date()
    period_start = fields.Date()
    period_end = fields.Date()
    status = String()
    cancel_reason = String(allow_none=True)
    uptime_pct = fields.Decimal(as_string=True, allow_none=True)
    error_rate_pct = fields.Decimal(as_string=True, allow_none=True)
    p95_ms = Integer(allow_none=True)
    active_users = Integer(allow_none=True)
    tickets = fields.Dict(keys=String(), values=Integer())
    metrics_source = String(allow_none=True)
    backlog = fields.List(String())
    positive = fields.List(String())
    negative = fields.List(String())
    next_review_date = fields.Date(allow_none=True)
    focus_areas = fields.List(String())
    finalised_at = fields.DateTime(allow_none=True)
    version = Integer()


class LaunchSummarySchema(Schema):
    """A launch as listed (without its reviews)."""

    id = String(dump_only=True)
    name = String()
    system = String()
    launch_date = fields.Date()
    description = String()
    owner_id = String()
    targets = fields.Nested(TargetsSchema)
    recorded_at = fields.DateTime()


class LaunchSchema(LaunchSummarySchema):
    """A launch with its review schedule."""

    reviews = fields.List(fields.Nested(ReviewSchema))


class DashboardPointSchema(Schema):
    """One held review on the launch's trend charts (times in minutes)."""

    label = String()
    date = fields.Date()
    kind = String()
    id = String()
    uptime_pct = fields.Float(allow_none=True)
    error_rate_pct = fields.Float(allow_none=True)
    p95_ms = Integer(allow_none=True)
    active_users = Integer(allow_none=True)
    incidents = fields.Dict(keys=String(), values=Integer())
    opened = Integer()
    closed = Integer()
    overdue = Integer()
    mtta_min = fields.Float(allow_none=True)
    mttr_min = fields.Float(allow_none=True)


class DashboardSchema(Schema):
    """Trends over a launch's reviews."""

    launch_id = String()
    points = fields.List(fields.Nested(DashboardPointSchema))


class ReviewDocumentSchema(Schema):
    """A review with everything its document shows (incidents, items, comparison, addenda)."""

    review = fields.Nested(ReviewSchema)
    launch_id = String()
    metrics = fields.List(fields.Dict())
    targets = fields.Dict()
    incidents = fields.List(fields.Dict())
    previous_review_id = String(allow_none=True)
    previous_items = fields.List(fields.Dict())
    new_issues = fields.List(fields.Dict())
    missing_updates = fields.List(fields.Dict())
    comparison = fields.List(fields.Dict())
    addenda = fields.List(fields.Dict())
    markdown = String()

    @post_dump
    def plain(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Make nested values JSON-ready."""
        return jsonable(data)


def review_document(doc: dict[str, Any], markdown: str) -> dict[str, Any]:
    """A review document in the API's shape, to be dumped by ``ReviewDocumentSchema``."""
    return {
        **{k: doc[k] for k in ("review", "metrics", "targets", "incidents", "previous_items",
                               "new_issues", "missing_updates", "comparison", "addenda")},
        "launch_id": doc["launch"]["id"],
        "previous_review_id": doc["previous"]["id"] if doc["previous"] else None,
        "markdown": markdown}
