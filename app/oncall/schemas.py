"""Marshmallow schemas of the on-call area (API bodies, forms, query strings, outputs)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import (
    EXCLUDE,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from app.oncall.queries import GROUPS
from app.paging import PageArgsSchema, page_schema
from app.schemas import FormSchema, Integer, Schema, String, Text, when
from domain.oncall.handover import check_timezone
from domain.oncall.incident import CATEGORIES, LEVELS, SEVERITIES
from domain.oncall.rotation import ROLES
from domain.oncall.runbook import SIGN_OFFS, TRAINING_TOPICS

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

LIST = r"[,\n]"
"""How a list typed into one form field is separated: commas or lines."""


class RotationInputSchema(Schema):
    """A new rotation."""

    name = Text(required=True, validate=validate.Length(min=2, max=200))
    timezone = String(required=True)
    roster = fields.List(fields.UUID(), required=True, validate=validate.Length(min=2, max=100))
    handover_weekday = Integer(load_default=0, validate=validate.Range(min=0, max=6))
    handover_time = String(load_default="09:00", validate=validate.Regexp(HHMM))

    @validates("timezone")
    def check_tz(self, value: str, **kwargs: Any) -> None:
        """The time zone must be a known IANA name."""
        try:
            check_timezone(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class RotationFormSchema(FormSchema, RotationInputSchema):
    """The rotation form (roster as a multi-select or comma list)."""

    separators = {"roster": LIST}


class PlanInputSchema(Schema):
    """How far ahead to plan, and from which hand-over day (optional)."""

    weeks = Integer(load_default=4, validate=validate.Range(min=4, max=52))
    start = fields.Date(load_default=None, allow_none=True)


class PlanFormSchema(FormSchema, PlanInputSchema):
    """The plan form."""


class RosterInputSchema(Schema):
    """A rotation's new roster."""

    roster = fields.List(fields.UUID(), required=True, validate=validate.Length(min=2, max=100))


class RosterFormSchema(FormSchema, RosterInputSchema):
    """The roster form."""

    separators = {"roster": LIST}


class UnavailabilityInputSchema(Schema):
    """Local dates (inclusive) when someone cannot be on call."""

    person_id = fields.UUID(load_default=None, allow_none=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class UnavailabilityFormSchema(FormSchema, UnavailabilityInputSchema):
    """The unavailability form."""


class OverrideInputSchema(Schema):
    """Put someone else on a shift, with the reason: the whole shift of ``week_start``, or any
    interval inside one shift (``starts_at`` and ``ends_at``, e.g. Tuesday 18:00 to Wednesday
    09:00; without an offset, UTC)."""

    week_start = fields.Date(load_default=None, allow_none=True)
    starts_at = when(load_default=None, allow_none=True)
    ends_at = when(load_default=None, allow_none=True)
    role = String(required=True, validate=validate.OneOf(ROLES))
    person_id = fields.UUID(required=True)
    reason = Text(required=True, validate=validate.Length(min=3, max=2000))

    @validates_schema
    def check_shape(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Either a week or an interval (both ends), the interval ending after it starts."""
        start, end = data.get("starts_at"), data.get("ends_at")
        if start is None and end is None:
            if data.get("week_start") is None:
                raise ValidationError("give week_start (the whole shift) or starts_at and "
                                      "ends_at (an interval)", "week_start")
            return
        if start is None or end is None:
            raise ValidationError("an interval needs both starts_at and ends_at",
                                  "starts_at" if start is None else "ends_at")
        if data.get("week_start") is not None:
            raise ValidationError("give either week_start or an interval, not both",
                                  "week_start")
        if end <= start:
            raise ValidationError("must be after starts_at", "ends_at")


class OverrideFormSchema(FormSchema, OverrideInputSchema):
    """The override form."""


class CancelOverrideInputSchema(Schema):
    """Withdraw an interval override, with the reason."""

    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class CancelOverrideFormSchema(FormSchema, CancelOverrideInputSchema):
    """The rotation page's cancel button (with its reason field)."""


class CancelledOverrideSchema(Schema):
    """A withdrawn interval override: ``cancelled`` (it had not started) or ``ended`` (cut
    short now, ``ends_at`` the new end)."""

    id = String()
    override_id = String()
    status = String()
    ends_at = fields.DateTime(allow_none=True)


class SwapInputSchema(Schema):
    """Offer your shift to a colleague (optionally taking one of theirs back)."""

    week_start = fields.Date(required=True)
    role = String(required=True, validate=validate.OneOf(ROLES))
    counterpart_id = fields.UUID(required=True)
    return_week_start = fields.Date(load_default=None, allow_none=True)
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class SwapFormSchema(FormSchema, SwapInputSchema):
    """The swap form."""


class EscalationPolicyInputSchema(Schema):
    """Changes to an escalation policy (omitted fields keep their value)."""

    ack_minutes = Integer(validate=validate.Range(min=1, max=1440))
    resolve_minutes = Integer(validate=validate.Range(min=1, max=10080))
    major_outage_percent = fields.Float(validate=validate.Range(min=0, max=100))
    engineering_lead_id = fields.UUID(allow_none=True)
    executive_id = fields.UUID(allow_none=True)


class PolicyFormSchema(FormSchema, EscalationPolicyInputSchema):
    """The escalation policy form."""


class AtQueryArgsSchema(Schema):
    """A moment (``at``, ISO 8601; default now)."""

    class Meta:
        unknown = EXCLUDE

    at = when(load_default=None)


class RangeQueryArgsSchema(Schema):
    """A time range (``from``/``to``, ISO 8601)."""

    class Meta:
        unknown = EXCLUDE

    start = when(data_key="from", load_default=None)
    end = when(data_key="to", load_default=None)


class IncidentInputSchema(Schema):
    """A new incident (or fire drill with ``practice``)."""

    rotation_id = fields.UUID(required=True)
    title = Text(required=True, validate=validate.Length(min=3, max=200))
    severity = String(required=True, validate=validate.OneOf(SEVERITIES))
    category = String(required=True, validate=validate.OneOf(CATEGORIES))
    affected_users_percent = fields.Float(load_default=0.0,
                                          validate=validate.Range(min=0, max=100))
    security = fields.Boolean(load_default=False)
    regulatory = fields.Boolean(load_default=False)
    practice = fields.Boolean(load_default=False)
    runbook_id = fields.UUID(load_default=None, allow_none=True)


class IncidentFormSchema(FormSchema, IncidentInputSchema):
    """The incident form (checkboxes for the flags)."""

    checkboxes = ("security", "regulatory", "practice")


class AssessmentSchema(Schema):
    """A new impact assessment (omitted fields keep their value)."""

    severity = String(validate=validate.OneOf(SEVERITIES))
    affected_users_percent = fields.Float(validate=validate.Range(min=0, max=100))
    security = fields.Boolean()
    regulatory = fields.Boolean()


class AssessmentFormSchema(FormSchema, AssessmentSchema):
    """The assessment form (it always states both flags: an unchecked box is false)."""

    checkboxes = ("security", "regulatory")


class ReasonSchema(Schema):
    """A required reason (manual escalation)."""

    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class ReasonFormSchema(FormSchema, ReasonSchema):
    """The escalate form."""


class HandOverSchema(Schema):
    """Hand a level of an incident over to another person, with the reason."""

    level = String(required=True, validate=validate.OneOf(LEVELS))
    person_id = fields.UUID(required=True)
    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class HandOverFormSchema(FormSchema, HandOverSchema):
    """The hand-over form."""


class ResponderSchema(Schema):
    """Another person brought into an incident."""

    person_id = fields.UUID(required=True)


class ResponderFormSchema(FormSchema, ResponderSchema):
    """The add-responder form."""


class NoteSchema(Schema):
    """A note (mitigation)."""

    note = Text(required=True, validate=validate.Length(min=1, max=5000))


class NoteFormSchema(FormSchema, NoteSchema):
    """The mitigate form."""


class SummarySchema(Schema):
    """A summary (resolution)."""

    summary = Text(required=True, validate=validate.Length(min=1, max=5000))


class SummaryFormSchema(FormSchema, SummarySchema):
    """The resolve form."""


class ImprovementSchema(Schema):
    """One improvement from a debrief: it becomes an action item."""

    title = Text(required=True, validate=validate.Length(min=3, max=200))
    owner_id = fields.UUID(required=True)
    priority = String(load_default="P2", validate=validate.OneOf(("P0", "P1", "P2")))


class DebriefInputSchema(Schema):
    """A fire drill's debrief."""

    summary = Text(required=True, validate=validate.Length(min=3, max=10_000))
    improvements = fields.List(fields.Nested(ImprovementSchema), load_default=list)


class DebriefFormSchema(FormSchema, DebriefInputSchema):
    """The debrief form: one improvement title per line, all owned by the chosen person."""

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Turn the improvement lines and the one owner into improvements (priority P2)."""
        owner = {"owner_id": data.pop("owner_id")} if "owner_id" in data else {}
        lines = str(data.pop("improvements", "")).splitlines()
        data["improvements"] = [{"title": line, **owner, "priority": "P2"}
                                for line in lines if line.strip()]
        return data


class IncidentQueryArgsSchema(FormSchema, PageArgsSchema):
    """Incident list filters (blank filters are absent) and page."""

    status = String()
    severity = String(validate=validate.OneOf(SEVERITIES))
    category = String(validate=validate.OneOf(CATEGORIES))
    practice = fields.Boolean()
    rotation_id = String()


class MetricsQueryArgsSchema(Schema):
    """How to group MTTA/MTTR."""

    class Meta:
        unknown = EXCLUDE

    group_by = String(load_default="severity", validate=validate.OneOf(GROUPS))
    period = String(load_default="month", validate=validate.OneOf(("week", "month")))
    start = when(data_key="from", load_default=None)
    end = when(data_key="to", load_default=None)


class RunbookInputSchema(Schema):
    """A new runbook."""

    category = String(required=True, validate=validate.OneOf(CATEGORIES))
    title = Text(required=True, validate=validate.Length(min=3, max=200))
    content = String(required=True, validate=validate.Length(min=1, max=100_000))


class RunbookFormSchema(FormSchema, RunbookInputSchema):
    """The write-a-runbook form."""


class RevisionInputSchema(Schema):
    """A new revision of a runbook."""

    content = String(required=True, validate=validate.Length(min=1, max=100_000))
    summary = Text(required=True, validate=validate.Length(min=3, max=2000))


class RevisionFormSchema(FormSchema, RevisionInputSchema):
    """The revise form."""


class SignOffInputSchema(Schema):
    """A review or validation sign-off of the current revision."""

    kind = String(required=True, validate=validate.OneOf(SIGN_OFFS))


class SignOffFormSchema(FormSchema, SignOffInputSchema):
    """The sign-off buttons."""


class DiffQueryArgsSchema(Schema):
    """Two revisions to compare."""

    class Meta:
        unknown = EXCLUDE

    old = Integer(data_key="from", required=True, validate=validate.Range(min=1))
    new = Integer(data_key="to", required=True, validate=validate.Range(min=1))


class TrainingInputSchema(Schema):
    """A training session that took place."""

    title = Text(required=True, validate=validate.Length(min=3, max=200))
    held_on = fields.Date(required=True)
    topics = fields.List(String(validate=validate.OneOf(TRAINING_TOPICS)), required=True,
                         validate=validate.Length(min=1))
    attendee_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))


class TrainingFormSchema(FormSchema, TrainingInputSchema):
    """The training form (topics and attendees as multi-selects or comma lists)."""

    separators = {"topics": LIST, "attendee_ids": LIST}


# -- outputs --------------------------------------------------------------------------------------

class ShiftSchema(Schema):
    """One weekly shift."""

    rotation_id = String()
    week_start = String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    primary_id = String(allow_none=True)
    secondary_id = String(allow_none=True)
    primary_name = String(allow_none=True)
    secondary_name = String(allow_none=True)


class RotationSchema(Schema):
    """A rotation."""

    id = String(dump_only=True)
    name = String()
    timezone = String()
    handover_weekday = Integer()
    handover_time = String()
    roster = fields.List(String())
    policy = fields.Dict()
    policy_version = Integer()
    created_at = fields.DateTime()


class OncallSchema(Schema):
    """Who is on call at a moment."""

    primary_id = String(allow_none=True)
    secondary_id = String(allow_none=True)
    week_start = String(allow_none=True)
    at = fields.DateTime()
    overrides = fields.List(fields.Nested(lambda: CoverSchema()))


class TimelineEntrySchema(Schema):
    """One entry of an incident's timeline."""

    version = Integer()
    at = fields.DateTime()
    type = String()
    level = String(allow_none=True)
    person_id = String(allow_none=True)
    person_name = String(allow_none=True)
    trigger = String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    actor_id = String(allow_none=True)
    actor_name = String(allow_none=True)
    reason = String(allow_none=True)
    note = String(allow_none=True)


class IncidentSummarySchema(Schema):
    """An incident with derived times (as listed)."""

    id = String(dump_only=True)
    title = String()
    severity = String()
    category = String()
    practice = fields.Boolean()
    status = String()
    level = String()
    affected_users_percent = fields.Float()
    security = fields.Boolean()
    regulatory = fields.Boolean()
    runbook_id = String(allow_none=True)
    rotation_id = String()
    policy = fields.Dict()
    responders = fields.Dict()
    opened_at = fields.DateTime()
    acknowledged_at = fields.DateTime(allow_none=True)
    mitigated_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    time_to_acknowledge_s = fields.Float(allow_none=True)
    time_to_resolve_s = fields.Float(allow_none=True)
    ack_within_target = fields.Boolean(allow_none=True)
    debrief = fields.Dict(allow_none=True)


IncidentPageSchema = page_schema(IncidentSummarySchema, "IncidentList")
"""One page of incidents, newest first."""


class IncidentSchema(IncidentSummarySchema):
    """An incident with derived times and its timeline."""

    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class RunbookSchema(Schema):
    """A runbook's current revision."""

    id = String(dump_only=True)
    category = String()
    title = String()
    revision = Integer()
    content = String()
    updated_at = fields.DateTime()
    reviewed = fields.Boolean()
    validated = fields.Boolean()


class TrainingSchema(Schema):
    """A training session."""

    id = String(dump_only=True)
    title = String()
    held_on = String()
    topics = fields.List(String())
    attendee_ids = fields.List(String())
    trainer_id = String(allow_none=True)


class EscalationPolicySchema(Schema):
    """An escalation policy in force, with its version (copied onto each new incident)."""

    ack_minutes = Integer()
    resolve_minutes = Integer()
    major_outage_percent = fields.Float()
    engineering_lead_id = String(allow_none=True)
    executive_id = String(allow_none=True)
    version = Integer()


class PlanWarningSchema(Schema):
    """An upcoming shift held by someone not fully trained."""

    person_id = String()
    name = String()
    role = String()
    week_start = String()
    training_status = String()


class PlanSchema(Schema):
    """A rotation's planned shifts, with training warnings."""

    items = fields.List(fields.Nested(ShiftSchema))
    warnings = fields.List(fields.Nested(PlanWarningSchema))


class GapSchema(Schema):
    """An interval without a primary or a secondary."""

    start = fields.DateTime()
    end = fields.DateTime()
    missing = fields.List(String())


class FairnessSchema(Schema):
    """One person's share of a rotation."""

    person_id = String()
    name = String()
    primary_weeks = Integer()
    secondary_weeks = Integer()
    primary_hours = fields.Float()
    secondary_hours = fields.Float()
    covered_hours = fields.Float()
    covered_by_others_hours = fields.Float()
    weekend_hours = Integer()
    night_hours = Integer()
    pages = Integer()


class UnavailabilitySchema(Schema):
    """Unavailability recorded on a rotation."""

    id = String()
    person_id = String()


class ShiftRecordSchema(Schema):
    """A shift as the rotation records it."""

    week_start = String()
    starts_at = String(metadata={"format": "date-time"})
    ends_at = String(metadata={"format": "date-time"})
    primary_id = String(allow_none=True)
    secondary_id = String(allow_none=True)


class CoverSchema(Schema):
    """An interval override: who covers a role, from when to when, instead of whom, and why."""

    id = String()
    week_start = String()
    role = String()
    person_id = String()
    person_name = String(allow_none=True)
    replaced_id = String(allow_none=True)
    replaced_name = String(allow_none=True)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    actor_id = String(allow_none=True)
    reason = String(allow_none=True)


class OverrideSchema(Schema):
    """The rotation and the overridden shift (with the interval override, for one)."""

    id = String()
    shift = fields.Nested(ShiftRecordSchema)
    override = fields.Nested(CoverSchema, allow_none=True)


class SwapSchema(Schema):
    """A shift swap."""

    id = String()
    rotation_id = String()
    requester_id = String()
    counterpart_id = String()
    role = String()
    week_start = String()
    return_week_start = String(allow_none=True)
    status = String()
    reason = String(allow_none=True)
    requested_at = fields.DateTime()


class NoticesQueryArgsSchema(PageArgsSchema):
    """Whose moved shifts to show (default: the signed-in person's), a page at a time."""

    class Meta:
        unknown = EXCLUDE

    person_id = String(load_default=None)


class NoticeSchema(Schema):
    """A shift of one person that a plan, roster change, override or swap moved."""

    id = String()
    rotation_id = String()
    rotation_name = String()
    person_id = String()
    week_start = String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(allow_none=True)
    role = String()
    change = String()
    cause = String()
    actor_id = String(allow_none=True)
    reason = String(allow_none=True)
    recorded_at = fields.DateTime()


class IncidentMetricsRowSchema(Schema):
    """MTTA and MTTR (seconds) of one group of incidents."""

    group = String()
    incidents = Integer()
    acknowledged = Integer()
    resolved = Integer()
    mtta_s = fields.Float(allow_none=True)
    mttr_s = fields.Float(allow_none=True)
    ack_within_target = Integer()


class IncidentMetricsSchema(Schema):
    """Incident metrics grouped by period, severity, category or practice."""

    group_by = String()
    items = fields.List(fields.Nested(IncidentMetricsRowSchema))


class RunbookDiffSchema(Schema):
    """A unified diff between two revisions of a runbook."""

    old = Integer(attribute="from", data_key="from")
    new = Integer(attribute="to", data_key="to")
    diff = String()


class TrainingRecordedSchema(Schema):
    """A recorded training session's id."""

    id = String()


class TrainingStatusSchema(Schema):
    """One person's derived training status and the topics they covered."""

    person_id = String()
    name = String()
    status = String()
    topics = fields.List(String())
