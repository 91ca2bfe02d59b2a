"""Schemas of the programme: create, activity edits, time, sign-offs, risks, and the overview."""

from __future__ import annotations

from marshmallow import fields, validate

from app.schemas import FormSchema, Schema, String, Text
from domain.people.person import FUNCTIONS
from domain.programme.programme import RISK_STATUSES

Hours = fields.Float


class ProgrammeInputSchema(Schema):
    """Create the Track 4 programme (seeded with the guide's activities and risks)."""

    name = Text(required=True, validate=validate.Length(min=3, max=200),
                metadata={"example": "Phase 3 Track 4: Operational Governance"})


class ProgrammeFormSchema(FormSchema, ProgrammeInputSchema):
    """The create form."""


class ActivityEditSchema(Schema):
    """An admin's change to an activity (only the fields given change)."""

    name = Text(validate=validate.Length(min=3, max=200))
    owner_id = fields.UUID(allow_none=True)
    owner_function = String(validate=validate.OneOf(FUNCTIONS))
    timebox_hours = Hours(validate=validate.Range(min=0.25, max=1000))
    prerequisites = fields.List(String(validate=validate.Length(min=1, max=60)),
                                validate=validate.Length(max=30))
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ActivityEditFormSchema(FormSchema, ActivityEditSchema):
    """The activity edit form (prerequisites comma-separated)."""

    separators = {"prerequisites": r"[,\s]+"}


class ActivityTimeLogSchema(Schema):
    """Hours the acting person spent on an activity."""

    hours = Hours(required=True, validate=validate.Range(min=0.25, max=24))
    on = fields.Date(load_default=None, metadata={"description": "the day worked (default today)"})
    note = Text(load_default="", validate=validate.Length(max=2000))


class ActivityTimeLogFormSchema(FormSchema, ActivityTimeLogSchema):
    """The log time form."""


class CriterionSignOffSchema(Schema):
    """A sign-off of a judgement criterion by the acting person."""

    note = Text(load_default="", validate=validate.Length(max=2000))


class CriterionSignOffFormSchema(FormSchema, CriterionSignOffSchema):
    """The sign-off form."""


class ProgrammeRiskUpdateSchema(Schema):
    """An admin's change to a risk."""

    mitigation = Text(validate=validate.Length(min=3, max=2000))
    owner_id = fields.UUID(allow_none=True)
    owner_function = String(validate=validate.OneOf(FUNCTIONS))
    status = String(validate=validate.OneOf(RISK_STATUSES))
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ProgrammeRiskUpdateFormSchema(FormSchema, ProgrammeRiskUpdateSchema):
    """The risk form."""


class ProgrammeReasonSchema(Schema):
    """An optional reason."""

    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ProgrammeReasonFormSchema(FormSchema, ProgrammeReasonSchema):
    """A button with an optional reason."""


# -- output --------------------------------------------------------------------------------------

class CriterionEvidenceSchema(Schema):
    """A record a criterion rests on."""

    kind = String(metadata={"description": "meeting, minutes, decision_log, change, board, "
                                           "rehearsal, rehearsal_report, rotation, incident, "
                                           "runbook, training, launch, review, action_items, "
                                           "sign_off"})
    id = String(allow_none=True)
    label = String()
    href = String(allow_none=True, metadata={"description": "the page showing the record"})


class CriterionCheckSchema(Schema):
    """One success criterion of the guide, evaluated from the ledger's records."""

    id = String()
    track = String()
    title = String()
    kind = String(metadata={"description": "evidence (derived) or sign_off (judgement)"})
    status = String(validate=validate.OneOf(("met", "partly", "not_met")))
    evidence = fields.List(fields.Nested(CriterionEvidenceSchema))
    missing = fields.List(String(), metadata={"description": "what is still needed"})


class ProgrammeActivitySchema(Schema):
    """An activity of the guide's owner/timebox tables, with the time logged against it."""

    id = String()
    track = String()
    name = String()
    owner_label = String(metadata={"description": "the guide's owner (a function or role)"})
    owner_function = String(allow_none=True)
    owner_id = String(allow_none=True)
    owner_name = String(allow_none=True)
    timebox_hours = fields.Float(metadata={"description": "planned"})
    actual_hours = fields.Float(metadata={"description": "time logged"})
    prerequisites = fields.List(String())
    unmet_prerequisites = fields.List(String())
    conditions = fields.List(String(), metadata={"description": "the guide's other "
                                                                "prerequisites (not checked)"})
    status = String()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class ProgrammeTrackSchema(Schema):
    """One track: its criteria and activities, planned vs actual hours."""

    id = String()
    title = String()
    met = fields.Integer()
    total = fields.Integer()
    planned_hours = fields.Float()
    actual_hours = fields.Float()
    criteria = fields.List(fields.Nested(CriterionCheckSchema))
    activities = fields.List(fields.Nested(ProgrammeActivitySchema))


class ProgrammeRiskSchema(Schema):
    """A risk of the guide with its mitigation, owner and status."""

    id = String()
    title = String()
    mitigation = String()
    owner_function = String(allow_none=True)
    owner_id = String(allow_none=True)
    owner_name = String(allow_none=True)
    status = String()
    reason = String(allow_none=True)
    updated_at = fields.DateTime()


class ProgrammeTimeEntrySchema(Schema):
    """Hours logged by a person against an activity."""

    activity_id = String()
    person_id = String()
    person_name = String(allow_none=True)
    hours = fields.Float()
    worked_on = String()
    note = String()
    recorded_at = fields.DateTime()


class ProgrammeSchema(Schema):
    """The programme itself (null until created)."""

    id = String()
    name = String()
    estimate = fields.Dict(metadata={"description": "the guide's original and realistic "
                                                    "estimates"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class ProgrammeTotalsSchema(Schema):
    """Planned vs actual hours over every track, and the guide's own estimates."""

    planned_hours = fields.Float()
    actual_hours = fields.Float()
    estimate = fields.Dict(allow_none=True)


class ProgrammeOverviewSchema(Schema):
    """Track 4 readiness as of a moment: every criterion with its evidence, the activities
    with owners, timeboxes and time logged, the totals and the risks."""

    at = fields.DateTime(metadata={"description": "the moment evaluated (as_of, or now)"})
    programme = fields.Nested(ProgrammeSchema, allow_none=True)
    summary = fields.Dict(keys=String(), values=fields.Integer())
    totals = fields.Nested(ProgrammeTotalsSchema)
    tracks = fields.List(fields.Nested(ProgrammeTrackSchema))
    risks = fields.List(fields.Nested(ProgrammeRiskSchema))
    time_entries = fields.List(fields.Nested(ProgrammeTimeEntrySchema))


class ProgrammeCreatedSchema(Schema):
    """The programme created."""

    id = String()
    name = String()
    activities = fields.Integer()
    risks = fields.Integer()
