"""Marshmallow schemas of release rehearsals (API bodies, web forms, OpenAPI, output)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import (
    EXCLUDE,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from app.paging import PageArgsSchema, page_schema
from app.schemas import FormSchema, Integer, Schema, String, Text
from domain.rehearsals.rehearsal import (
    COMPARATORS,
    DECISIONS,
    PREFLIGHT_KINDS,
    SEVERITIES,
    STATUSES,
)
from domain.reviews.action_item import PRIORITIES

FORM_STEP_ROWS = 12
"""How many step rows the create form offers (blank rows are ignored)."""

MANUAL_PREFLIGHT = tuple(k for k in PREFLIGHT_KINDS if k != "parity")
ADJUSTMENT_KINDS = ("action_item", "runbook_revision")


def form_rows(form: Any) -> int:
    """How many step rows a plan form has: at least ``FORM_STEP_ROWS``, more when a prefilled
    playbook (from a runbook or an earlier rehearsal) is longer, at most 100."""
    numbers = [int(m.group(1)) for key in form
               if (m := re.fullmatch(r"step_(?:name|minutes|owner)_(\d{1,3})", str(key)))]
    return min(100, max([FORM_STEP_ROWS, *numbers]))


class RehearsalStepInputSchema(Schema):
    """One playbook step."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    planned_minutes = Integer(required=True, validate=validate.Range(min=1, max=1440))
    owner_id = fields.UUID(required=True)


class RehearsalInputSchema(Schema):
    """A new rehearsal: release, staging environment, playbook name and its ordered steps."""

    release_version = Text(required=True, validate=validate.Length(min=1, max=100))
    environment = Text(required=True, validate=validate.Length(min=1, max=100))
    playbook = Text(load_default="Release runbook", validate=validate.Length(min=1, max=200))
    steps = fields.List(fields.Nested(RehearsalStepInputSchema), required=True,
                        validate=validate.Length(min=1, max=100))


class RehearsalPlanInputSchema(RehearsalInputSchema):
    """The API body: either ``steps`` or ``from_runbook_id`` (the runbook's numbered steps, owned
    by the caller; ``playbook`` defaults to the runbook's title)."""

    steps = fields.List(fields.Nested(RehearsalStepInputSchema),
                        validate=validate.Length(min=1, max=100))
    from_runbook_id = fields.UUID()

    @validates_schema
    def steps_or_runbook(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Exactly one source of steps."""
        if "steps" in data and "from_runbook_id" in data:
            raise ValidationError("give either steps or from_runbook_id, not both",
                                  "from_runbook_id")
        if "steps" not in data and "from_runbook_id" not in data:
            raise ValidationError("give the steps, or from_runbook_id to take them from a "
                                  "runbook", "steps")


class RehearsalFormSchema(FormSchema, RehearsalInputSchema):
    """The same from the HTML form: rows ``step_name_N``, ``step_minutes_N``, ``step_owner_N``;
    hidden ``source_runbook_id``/``source_runbook_revision`` when prefilled from a runbook."""

    source_runbook_id = fields.UUID(load_default=None)
    source_runbook_revision = Integer(load_default=None)

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Collect the step rows with a name or minutes into ``steps`` (blank rows are none)."""
        steps = []
        for n in range(1, form_rows(data) + 1):
            row = {key: data.pop(f"step_{name}_{n}") for key, name in STEP_COLUMNS
                   if f"step_{name}_{n}" in data}
            if "name" in row or "planned_minutes" in row:
                steps.append(row)
        return {**data, "steps": steps}


STEP_COLUMNS = (("name", "name"), ("planned_minutes", "minutes"), ("owner_id", "owner"))
"""A step's fields and the column of the plan form's row (``step_<column>_<N>``) holding each."""


class RehearsalStepSchema(Schema):
    """A playbook step with its timing."""

    number = Integer()
    name = String()
    planned_minutes = Integer()
    owner_id = String()
    owner_name = String(allow_none=True)
    status = String()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    actual_seconds = Integer(allow_none=True)
    variance_seconds = Integer(allow_none=True)
    variance_percent = fields.Decimal(as_string=True, allow_none=True)
    skip_reason = String(allow_none=True)


class RehearsalParityItemSchema(Schema):
    """One compared item (config, secrets present, resources, data shape, versions ...)."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    category = Text(load_default="", validate=validate.Length(max=100))
    expected = Text(required=True, validate=validate.Length(max=1000))
    actual = Text(required=True, validate=validate.Length(max=1000))
    matches = fields.Boolean(dump_only=True)


class ParityInputSchema(Schema):
    """A parity check: the compared items."""

    items = fields.List(fields.Nested(RehearsalParityItemSchema), required=True,
                        validate=validate.Length(min=1, max=500))


class ParityFormSchema(FormSchema, ParityInputSchema):
    """Parity items from a textarea, one ``name | expected | actual`` per line."""

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Split the lines into items (a line without two ``|`` is an error)."""
        if not isinstance(data.get("items"), str):
            return data
        items = []
        for number, line in enumerate(data["items"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3:
                raise ValidationError(f"line {number}: write name | expected | actual", "items")
            items.append(dict(zip(("name", "expected", "actual"), parts)))
        return {"items": items}


class PreflightInputSchema(Schema):
    """A pre-flight check result (parity is recorded as a parity check)."""

    kind = String(required=True, validate=validate.OneOf(MANUAL_PREFLIGHT))
    passed = fields.Boolean(required=True)
    evidence = Text(required=True, validate=validate.Length(min=1, max=5000))


class PreflightFormSchema(FormSchema, PreflightInputSchema):
    """A pre-flight check's form (passed or failed chosen from a list)."""


class RehearsalCheckSchema(Schema):
    """A pre-flight check run."""

    kind = String()
    label = String()
    passed = fields.Boolean(allow_none=True)
    evidence = String()
    runs = Integer()
    checked_at = fields.DateTime(allow_none=True)
    checked_by_name = String(allow_none=True)
    parity_items = fields.List(fields.Dict(), allow_none=True)


class ReasonSchema(Schema):
    """A reason (skip, abort): required by the rule, checked by the rehearsal (409)."""

    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReasonFormSchema(FormSchema, ReasonSchema):
    """The start, finish, skip and abort buttons (skip and abort with their reason)."""


class IssueInputSchema(Schema):
    """An issue logged against a step."""

    step = Integer(required=True, validate=validate.Range(min=1))
    severity = String(required=True, validate=validate.OneOf(SEVERITIES))
    description = Text(required=True, validate=validate.Length(min=1, max=5000))
    resolution = Text(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class IssueFormSchema(FormSchema, IssueInputSchema):
    """The log-an-issue form (a blank resolution is none yet)."""


class ResolveIssueSchema(Schema):
    """How an issue was resolved."""

    resolution = Text(required=True, validate=validate.Length(min=1, max=5000))


class ResolveIssueFormSchema(FormSchema, ResolveIssueSchema):
    """An issue's resolve form."""


class RehearsalIssueSchema(Schema):
    """An issue with its resolution."""

    issue = Integer()
    step = Integer()
    severity = String()
    description = String()
    resolution = String(allow_none=True)
    logged_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class RollbackInputSchema(Schema):
    """The rollback test's result."""

    performed = fields.Boolean(required=True)
    passed = fields.Boolean(required=True)
    duration_minutes = Integer(load_default=None, allow_none=True,
                                      validate=validate.Range(min=0, max=10_000))
    notes = Text(load_default="", validate=validate.Length(max=5000))


class RollbackFormSchema(FormSchema, RollbackInputSchema):
    """The rollback test form (unchecked boxes are false; a blank duration is unknown)."""

    checkboxes = ("performed", "passed")


class RehearsalRollbackSchema(Schema):
    """A rollback test result."""

    performed = fields.Boolean()
    passed = fields.Boolean()
    duration_minutes = Integer(allow_none=True)
    notes = String()
    tested_at = fields.DateTime()


def number(**kwargs: Any) -> fields.Decimal:
    """An exact decimal (never a float), shown as a string."""
    return fields.Decimal(as_string=True, allow_nan=False, **kwargs)


class RehearsalExtraCriterionSchema(Schema):
    """An optional extra Go/No-Go criterion with its measured value."""

    name = Text(required=True, validate=validate.Length(min=1, max=100))
    measured = number(required=True)
    comparator = String(required=True, validate=validate.OneOf(COMPARATORS))
    threshold = number(required=True)
    unit = Text(load_default="", validate=validate.Length(max=20))


class MetricsInputSchema(Schema):
    """Measured post-deployment metrics (percentages in %, latency in ms)."""

    error_rate = number(required=True, validate=validate.Range(min=0, max=100))
    p95_latency_ms = number(required=True, validate=validate.Range(min=0))
    uptime = number(required=True, validate=validate.Range(min=0, max=100))
    extra_criteria = fields.List(fields.Nested(RehearsalExtraCriterionSchema), load_default=list,
                                 validate=validate.Length(max=20))


class MetricsFormSchema(FormSchema, MetricsInputSchema):
    """The same from the go/no-go form: one optional extra criterion row."""

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Turn the ``extra_*`` fields into one extra criterion when a name is given."""
        extra = {key: data.pop(f"extra_{key}") for key in
                 ("name", "measured", "comparator", "threshold", "unit") if f"extra_{key}" in data}
        return {**data, "extra_criteria": [extra] if "name" in extra else []}


class RehearsalCriterionSchema(Schema):
    """A criterion with its measured value, threshold and verdict."""

    key = String()
    label = String()
    comparator = String()
    threshold = String()
    unit = String()
    measured = String(allow_none=True)
    passed = fields.Boolean()


class RehearsalEvaluationSchema(Schema):
    """A Go/No-Go evaluation and the decision recorded on it."""

    evaluation = Integer()
    criteria = fields.List(fields.Nested(RehearsalCriterionSchema))
    preflight = fields.Dict()
    rollback_passed = fields.Boolean(allow_none=True)
    recommendation = String()
    evaluated_at = fields.DateTime()
    decision = String(allow_none=True)
    against_recommendation = fields.Boolean(allow_none=True)
    decided_by = String(allow_none=True)
    decided_by_name = String(allow_none=True)
    decision_reason = String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class DecisionInputSchema(Schema):
    """The Go/No-Go decision; against the recommendation it needs a reason."""

    decision = String(required=True, validate=validate.OneOf(DECISIONS))
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DecisionFormSchema(FormSchema, DecisionInputSchema):
    """The Go/No-Go decision form."""


class LessonInputSchema(Schema):
    """A lesson learned."""

    text = Text(required=True, validate=validate.Length(min=1, max=5000))


class LessonFormSchema(FormSchema, LessonInputSchema):
    """The lesson form."""


class AdjustmentInputSchema(Schema):
    """A recommended runbook adjustment: an action item or a runbook revision proposal."""

    kind = String(required=True, validate=validate.OneOf(ADJUSTMENT_KINDS))
    text = Text(required=True, validate=validate.Length(min=1, max=5000))
    owner_id = fields.UUID(load_default=None, allow_none=True)
    priority = String(load_default="P2", validate=validate.OneOf(PRIORITIES))
    runbook_category = Text(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=100))
    runbook_name = Text(load_default=None, allow_none=True,
                        validate=validate.Length(min=1, max=200))

    @validates_schema
    def check_target(self, data: dict[str, Any], **kwargs: Any) -> None:
        """An action item needs an owner; a runbook revision names its runbook."""
        if data.get("kind") == "action_item" and not data.get("owner_id"):
            raise ValidationError("required for an action item", "owner_id")
        if data.get("kind") == "runbook_revision":
            for name in ("runbook_category", "runbook_name"):
                if not data.get(name):
                    raise ValidationError("required for a runbook revision", name)


class AdjustmentFormSchema(FormSchema, AdjustmentInputSchema):
    """The runbook adjustment form (blank optional fields are absent)."""


class RehearsalNoteSchema(Schema):
    """A lesson learned or a recommended adjustment."""

    kind = String()
    text = String()
    action_item_id = String(allow_none=True)
    runbook_category = String(allow_none=True)
    runbook_name = String(allow_none=True)
    recorded_at = fields.DateTime()


class RehearsalSummarySchema(Schema):
    """A rehearsal in a list."""

    id = String(dump_only=True)
    release_version = String()
    environment = String()
    playbook = String()
    status = String()
    recommendation = String(allow_none=True)
    decision = String(allow_none=True)
    against_recommendation = fields.Boolean()
    steps_total = Integer()
    steps_done = Integer()
    estimate_accuracy = fields.Decimal(as_string=True, allow_none=True)
    planned_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    version = Integer()


class RehearsalSchema(RehearsalSummarySchema):
    """A rehearsal with everything recorded on it."""

    planned_by = String()
    planned_by_name = String(allow_none=True)
    source = fields.Dict(allow_none=True, metadata={
        "description": "the runbook revision the playbook was taken from, if any"})
    parity_threshold = String()
    abort_reason = String(allow_none=True)
    steps = fields.List(fields.Nested(RehearsalStepSchema))
    preflight = fields.List(fields.Nested(RehearsalCheckSchema))
    issues = fields.List(fields.Nested(RehearsalIssueSchema))
    rollback = fields.Nested(RehearsalRollbackSchema, allow_none=True)
    evaluations = fields.List(fields.Nested(RehearsalEvaluationSchema))
    lessons = fields.List(fields.Nested(RehearsalNoteSchema))
    adjustments = fields.List(fields.Nested(RehearsalNoteSchema))


RehearsalListSchema = page_schema(RehearsalSummarySchema, "RehearsalList")
"""A page of rehearsals, newest first."""


class RehearsalQueryArgsSchema(FormSchema, PageArgsSchema):
    """Filters and page of the rehearsal list (blank filters are absent)."""

    status = String(validate=validate.OneOf(STATUSES))
    release_version = String()
    playbook = String()


class ReportQueryArgsSchema(Schema):
    """Which report format to return."""

    class Meta:
        unknown = EXCLUDE

    format = String(load_default="json", validate=validate.OneOf(
        ("json", "markdown", "pdf")))


def step_row_errors(errors: dict[str, Any]) -> dict[int, dict[str, list[str]]]:
    """Map nested ``steps`` errors to form rows (1-based) for the create form."""
    steps = errors.get("steps")
    if not isinstance(steps, dict):
        return {}
    return {int(i) + 1: v for i, v in steps.items() if re.fullmatch(r"\d+", str(i))}


# -- the rehearsal report (docs/templates/RELEASE_REHEARSAL_REPORT.md) as JSON --------------------

class ReportSummarySchema(Schema):
    """The report's summary block (times to the minute in UTC, or ``-``)."""

    release_version = String()
    environment = String()
    playbook = String()
    planned_by = String()
    status = String()
    abort_reason = String(allow_none=True)
    started_at = String()
    ended_at = String()
    recommendation = String()
    decision = String()
    against_recommendation = fields.Boolean()
    decision_reason = String(allow_none=True)
    decided_by = String(allow_none=True)


class ReportPreflightSchema(Schema):
    """A pre-flight check's line: PASS, FAIL or NOT RUN."""

    check = String()
    result = String()
    evidence = String()
    runs = Integer()


class ReportParitySchema(Schema):
    """The parity threshold and the compared items."""

    threshold = String()
    items = fields.List(fields.Nested(RehearsalParityItemSchema))


class ReportStepSchema(Schema):
    """A timeline row (durations as ``1h 02m 05s``)."""

    number = Integer()
    step = String()
    owner = String()
    planned = String()
    actual = String()
    variance = String()
    status = String()
    skip_reason = String(allow_none=True)


class ReportTotalSchema(Schema):
    """The timeline's totals."""

    planned = String()
    actual = String()
    estimate_accuracy = String()


class ReportIssueSchema(Schema):
    """An issue row (``step``: the step's name)."""

    issue = Integer()
    step = String()
    severity = String()
    description = String()
    resolution = String()


class ReportRollbackSchema(Schema):
    """A rollback test row."""

    performed = String()
    result = String()
    duration = String()
    notes = String()


class ReportCriterionSchema(Schema):
    """A Go/No-Go criterion row."""

    criterion = String()
    measured = String()
    threshold = String()
    verdict = String()


class ReportEvaluationSchema(Schema):
    """An evaluation row."""

    evaluation = Integer()
    evaluated_at = String()
    recommendation = String()
    decision = String()
    decided_by = String(allow_none=True)
    against_recommendation = fields.Boolean()
    reason = String(allow_none=True)
    failed = String()


class ReportAdjustmentSchema(Schema):
    """A recommended adjustment and what it became."""

    text = String()
    becomes = String()
    kind = String()


class RehearsalReportSchema(Schema):
    """The rehearsal report's content, in the template's order."""

    rehearsal_id = String()
    summary = fields.Nested(ReportSummarySchema)
    preflight = fields.List(fields.Nested(ReportPreflightSchema))
    parity = fields.Nested(ReportParitySchema)
    timeline = fields.List(fields.Nested(ReportStepSchema))
    timeline_total = fields.Nested(ReportTotalSchema)
    issues = fields.List(fields.Nested(ReportIssueSchema))
    rollback = fields.Nested(ReportRollbackSchema)
    earlier_rollback_tests = fields.List(fields.Nested(ReportRollbackSchema))
    criteria = fields.List(fields.Nested(ReportCriterionSchema))
    evaluations = fields.List(fields.Nested(ReportEvaluationSchema))
    lessons = fields.List(String())
    adjustments = fields.List(fields.Nested(ReportAdjustmentSchema))
