"""Marshmallow schemas of the Change Control Board (API bodies, forms and responses)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import (
    EXCLUDE,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from app.paging import PageArgsSchema, page_schema
from app.schemas import FormSchema, Integer, Schema, String, Text, when
from domain.ccb.board import FREQUENCIES, TIE_BREAKERS, WEEKDAYS
from domain.ccb.meeting import CHOICES, MODES, OUTCOMES
from domain.errors import InvalidInput
from domain.people.person import FUNCTIONS
from domain.reviews.action_item import PRIORITIES

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="use HH:MM (24-hour)")


class Id(fields.UUID):
    """A UUID given as a string, loaded as its canonical string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs))


class CharterInputSchema(Schema):
    """Charter fields; any left out keep their default (or current) value."""

    quorum_min_members = Integer(validate=validate.Range(min=1, max=100))
    quorum_min_functions = Integer(validate=validate.Range(min=1, max=20))
    proxies_count_toward_quorum = fields.Boolean()
    tie_breaker = String(validate=validate.OneOf(TIE_BREAKERS))
    requester_may_vote = fields.Boolean()
    timebox_minutes = Integer(validate=validate.Range(min=5, max=24 * 60))
    timezone = String()
    cadence_frequency = String(validate=validate.OneOf(FREQUENCIES))
    cadence_weekday = String(validate=validate.OneOf(WEEKDAYS))
    cadence_start = String(validate=HHMM)
    cadence_end = String(validate=HHMM)
    chair_delegate_id = Id(allow_none=True)

    @validates("timezone")
    def check_timezone(self, value: str, **kwargs: Any) -> None:
        """An IANA time zone name."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("unknown time zone; use an IANA name such as "
                                  "Europe/Paris") from None

    @validates_schema
    def check_cadence(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A meeting ends after it starts."""
        start, end = data.get("cadence_start"), data.get("cadence_end")
        if start and end and end <= start:
            raise ValidationError("must be after cadence_start", "cadence_end")


class BoardInputSchema(Schema):
    """A new board (admin)."""

    name = Text(required=True, validate=validate.Length(min=2, max=200))
    chair_id = Id(required=True)
    members = fields.List(Id(), required=True, validate=validate.Length(min=1, max=50))
    charter = fields.Nested(CharterInputSchema, load_default=dict)


CHARTER_CHECKBOXES = ("charter_proxies_count_toward_quorum", "charter_requester_may_vote")
"""The charter's yes/no fields, checkboxes on the board and charter forms."""


def nest_charter(data: dict[str, Any]) -> dict[str, Any]:
    """Move a form's flat ``charter_*`` fields into a nested ``charter``."""
    charter = {key[len("charter_"):]: data.pop(key) for key in list(data)
               if key.startswith("charter_")}
    return {**data, "charter": charter}


class BoardFormSchema(FormSchema, BoardInputSchema):
    """The board form: members as checkboxes or a comma-separated list, charter flattened."""

    checkboxes = CHARTER_CHECKBOXES
    separators = {"members": r"[,\s]+"}

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Gather the flat charter_* fields."""
        return nest_charter(data)


class CharterAmendmentSchema(Schema):
    """A charter amendment: the fields that change and why."""

    charter = fields.Nested(CharterInputSchema, required=True)
    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class CharterAmendmentFormSchema(FormSchema, CharterAmendmentSchema):
    """The charter tab's form: flat charter_* fields and the reason."""

    checkboxes = CHARTER_CHECKBOXES

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Gather the flat charter_* fields."""
        return nest_charter(data)


class MemberSchema(Schema):
    """A board member with their function."""

    person_id = String()
    function = String()
    name = String(allow_none=True)


class BoardSchema(Schema):
    """A board as shown to clients."""

    id = String(dump_only=True)
    name = String()
    chair_id = String()
    members = fields.List(fields.Nested(MemberSchema))
    charter = fields.Dict()
    version = Integer()


class CharterSchema(Schema):
    """The charter in force from a moment, with who amended it and why."""

    board_id = String()
    version = Integer()
    effective_at = fields.DateTime()
    charter = fields.Dict()
    changes = fields.Dict()
    actor_id = String(allow_none=True)
    reason = String(allow_none=True)


class MemberJoinSchema(Schema):
    """A person joins the board (admins): their function on it (default: their own) and why."""

    person_id = Id(required=True)
    function = String(load_default=None, allow_none=True, validate=validate.OneOf(FUNCTIONS))
    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class MemberJoinFormSchema(FormSchema, MemberJoinSchema):
    """The board page's form to add a member (an empty function: the person's own)."""


class MemberLeaveSchema(Schema):
    """A member leaves the board (admins), with the reason."""

    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class MemberLeaveFormSchema(FormSchema, MemberLeaveSchema):
    """The board page's form to record that a member left."""


class MemberFunctionSchema(Schema):
    """A member changes the function they hold on the board (admins), with the reason."""

    function = String(required=True, validate=validate.OneOf(FUNCTIONS))
    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class MemberFunctionFormSchema(FormSchema, MemberFunctionSchema):
    """The board page's form to change a member's function."""


class MembersAtArgsSchema(Schema):
    """``at``: who sat on the board at that moment (default: now)."""

    class Meta:
        unknown = EXCLUDE

    at = when(load_default=None)


class SeatedMemberSchema(Schema):
    """A member in force at a moment: their function and since when they sit on the board."""

    person_id = String()
    name = String(allow_none=True)
    function = String()
    since = fields.DateTime()


class MembersAtSchema(Schema):
    """Who sat on the board at ``at``."""

    board_id = String()
    at = fields.DateTime()
    items = fields.List(fields.Nested(SeatedMemberSchema))


class MembershipChangeSchema(Schema):
    """One membership change: joined, left, function_changed (or created with the board)."""

    board_id = String()
    version = Integer()
    person_id = String()
    name = String(allow_none=True)
    change = String()
    function = String()
    previous_function = String(allow_none=True)
    at = fields.DateTime()
    actor_id = String(allow_none=True)
    reason = String(allow_none=True)


class CharterQueryArgsSchema(Schema):
    """``at``: show the charter in force at that moment (default: now)."""

    class Meta:
        unknown = EXCLUDE

    at = when(load_default=None)


class MeetingInputSchema(Schema):
    """An ad-hoc meeting."""

    scheduled_start = when(required=True)
    scheduled_end = when(load_default=None)


class SeriesInputSchema(Schema):
    """Plan the next meetings from the charter's cadence."""

    first_day = fields.Date(load_default=None)
    count = Integer(load_default=6, validate=validate.Range(min=1, max=52))


class MeetingFormSchema(FormSchema, MeetingInputSchema):
    """The ad-hoc meeting form."""


class SeriesFormSchema(FormSchema, SeriesInputSchema):
    """The schedule-from-the-cadence form."""


class FreezeInputSchema(Schema):
    """A freeze (blackout) window: no normal or standard change may run inside it."""

    title = Text(required=True, validate=validate.Length(min=3, max=200))
    start = when(required=True)
    end = when(required=True)
    systems = fields.List(Text(validate=validate.Length(min=1, max=100)), load_default=list)
    reason = Text(required=True, validate=validate.Length(min=3, max=2000))

    @validates_schema
    def check_window(self, data: dict[str, Any], **kwargs: Any) -> None:
        """The window ends after it starts."""
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ValidationError("must be after start", "end")


class FreezeFormSchema(FormSchema, FreezeInputSchema):
    """The freeze form on the change calendar (systems as one comma-separated text)."""

    separators = {"systems": r"[,\n]"}


class LiftFreezeFormSchema(FormSchema):
    """The lift button of a freeze window, with an optional reason."""

    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class MeetingCreatedSchema(Schema):
    """A scheduled meeting's id."""

    id = String()
    board_id = String()
    status = String()


class AttendanceInputSchema(Schema):
    """A check-in: who, in person or remote (remote needs the recording link)."""

    person_id = Id(required=True)
    mode = String(required=True, validate=validate.OneOf(MODES))
    recording_url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"})

    @validates_schema
    def check_recording(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Remote attendance needs the recording link."""
        if data.get("mode") == "remote" and not data.get("recording_url"):
            raise ValidationError("required for remote attendance", "recording_url")


class AttendanceFormSchema(FormSchema, AttendanceInputSchema):
    """The check-in form (a blank recording link is none)."""


class ProxyInputSchema(Schema):
    """A proxy for one meeting."""

    grantor_id = Id(required=True)
    holder_id = Id(required=True)


class ProxyFormSchema(FormSchema, ProxyInputSchema):
    """The give-a-proxy form."""


class AgendaInputSchema(Schema):
    """A change request to put on the agenda."""

    change_request_id = Id(required=True)


class AgendaFormSchema(FormSchema, AgendaInputSchema):
    """The add-to-the-agenda form."""


class VoteInputSchema(Schema):
    """A vote by the authenticated member, optionally as proxy holder for ``on_behalf_of``."""

    choice = String(required=True, validate=validate.OneOf(CHOICES))
    on_behalf_of = Id(load_default=None, allow_none=True)


class VoteFormSchema(FormSchema, VoteInputSchema):
    """The vote form (a blank on_behalf_of is the voter's own vote)."""


class CastingVoteInputSchema(Schema):
    """The chair's deciding vote on a tie."""

    choice = String(required=True, validate=validate.OneOf(("approve", "reject")))


class CastingVoteFormSchema(FormSchema, CastingVoteInputSchema):
    """The chair's casting-vote form."""


class ActionInputSchema(Schema):
    """An action item raised in a meeting."""

    title = Text(required=True, validate=validate.Length(min=3, max=200))
    owner_id = Id(required=True)
    priority = String(load_default="P2", validate=validate.OneOf(PRIORITIES))
    change_request_id = Id(load_default=None, allow_none=True)


class ActionFormSchema(FormSchema, ActionInputSchema):
    """The meeting's action item form (a blank item is the meeting as a whole)."""


class TallySchema(Schema):
    """Votes counted per choice."""

    approve = Integer()
    reject = Integer()
    abstain = Integer()


class ProxyPairSchema(Schema):
    """A proxy held at decision time."""

    grantor_id = String()
    holder_id = String()


class QuorumSchema(Schema):
    """The quorum snapshot stored with a decision."""

    met = fields.Boolean()
    present = fields.List(String())
    functions = fields.List(String())
    proxies = fields.List(fields.Nested(ProxyPairSchema))


class DecisionSchema(Schema):
    """The outcome of an agenda item."""

    outcome = String(validate=validate.OneOf(OUTCOMES))
    tally = fields.Nested(TallySchema)
    quorum = fields.Nested(QuorumSchema)
    tie_break = String()
    casting_vote = String()


class EmergencyApprovalSchema(Schema):
    """An emergency change's approvals so far."""

    id = String()
    status = String()
    approvals = fields.List(fields.Dict())
    ratification = String(allow_none=True)


class MeetingSchema(Schema):
    """A meeting with attendance, proxies, agenda items (votes, decisions) and actions."""

    id = String(dump_only=True)
    board_id = String()
    series_id = String(allow_none=True)
    status = String()
    scheduled_start = fields.DateTime()
    scheduled_end = fields.DateTime()
    opened_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    state = fields.Dict()
    version = Integer()


class DecisionLogQueryArgsSchema(FormSchema, PageArgsSchema):
    """Filters and page of the decision log (a GET form: blank filters are absent); ``format``
    picks a CSV download (every matching decision, streamed: ``limit`` and ``offset`` page the
    JSON answer only)."""

    board_id = String()
    outcome = String(validate=validate.OneOf(OUTCOMES))
    start = when(data_key="from")
    end = when(data_key="to")
    as_of = when()
    flagged = fields.Boolean()
    format = String(load_default="json", validate=validate.OneOf(("json", "csv")))

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """A bare date covers that whole day (UTC)."""
        return whole_days(data)


def whole_days(data: dict[str, Any]) -> dict[str, Any]:
    """A range's bare dates as times: ``from`` the day's start, ``to`` its end (UTC)."""
    for key, clock in (("from", "T00:00:00"), ("to", "T23:59:59.999999")):
        if isinstance(data.get(key), str) and len(data[key]) == 10:
            data[key] += clock
    return data


class DecisionLogEntrySchema(Schema):
    """One decision of the log, with the events it rests on."""

    id = String()
    kind = String()
    board_id = String(allow_none=True)
    meeting_id = String(allow_none=True)
    change_request_id = String()
    change_request_title = String(allow_none=True)
    outcome = String()
    reason = String(allow_none=True)
    decided_at = fields.DateTime()
    decided_by = String(allow_none=True)
    tally = fields.Dict(allow_none=True)
    quorum = fields.Dict(allow_none=True)
    tie_break = String(allow_none=True)
    casting_vote = String(allow_none=True)
    emergency = fields.Boolean()
    ratification = String(allow_none=True)
    ratified_at = fields.DateTime(allow_none=True)
    unratified = fields.Boolean()
    votes = fields.List(fields.Dict())
    evidence = fields.Dict()


DecisionLogSchema = page_schema(DecisionLogEntrySchema, "DecisionLog")
"""One page of the decision log, oldest first."""


# -- API answers of commands and calendar reads -----------------------------------------------------

class SeriesMeetingSchema(Schema):
    """A meeting scheduled by a series."""

    id = String()
    scheduled_start = fields.DateTime()


class SeriesSchema(Schema):
    """A scheduled series of meetings."""

    series_id = String()
    meetings = fields.List(fields.Nested(SeriesMeetingSchema))


class AttendanceSchema(Schema):
    """A recorded check-in."""

    person_id = String()
    mode = String()
    function = String()


class ProxySchema(Schema):
    """A proxy given for one meeting."""

    id = String()
    grantor_id = String()
    holder_id = String()
    status = String()


class StatusChangeSchema(Schema):
    """An id and its new status (a proxy revoked, a freeze window lifted)."""

    id = String()
    status = String()


class AgendaSchema(Schema):
    """The agenda after adding a change request: the change request ids in order."""

    meeting_id = String()
    change_request_id = String()
    agenda = fields.List(String())


class VoteSchema(Schema):
    """A recorded vote with the item's tally so far."""

    change_request_id = String()
    member_id = String()
    cast_by = String()
    choice = String()
    tally = fields.Nested(TallySchema)


class MeetingActionSchema(Schema):
    """An action item raised in a meeting."""

    id = String()
    due = fields.Date()
    status = String()


class GateSchema(Schema):
    """An open deployment gate with the decisions that approved the change."""

    change_request_id = String()
    status = String()
    checked_at = fields.DateTime()
    planned_start = fields.DateTime()
    planned_end = fields.DateTime()
    decisions = fields.List(fields.Nested(DecisionLogEntrySchema))


class FreezeSchema(Schema):
    """A freeze window (every system when ``systems`` is empty)."""

    id = String()
    title = String()
    start = fields.DateTime()
    end = fields.DateTime()
    systems = fields.List(String())
    reason = String(allow_none=True)
    declared_by = String(allow_none=True)
    declared_at = fields.DateTime()
    lifted_at = fields.DateTime(allow_none=True)
    lifted_by = String(allow_none=True)


class FreezeQueryArgsSchema(Schema):
    """Why a freeze window is lifted (optional)."""

    class Meta:
        unknown = EXCLUDE

    reason = String(load_default=None)


class CalendarChangeSchema(Schema):
    """A scheduled or approved change's window on the change calendar."""

    id = String()
    title = String()
    status = String()
    category = String()
    systems = fields.List(String())
    planned_start = fields.DateTime()
    planned_end = fields.DateTime()
    board_id = String(allow_none=True)


class ConflictSchema(Schema):
    """Two changes overlapping on a system (``overlap``), or a change inside a freeze."""

    kind = String(validate=validate.OneOf(("overlap", "freeze")))
    change_request_ids = fields.List(String())
    systems = fields.List(String())
    freeze_id = String()
    emergency = fields.Boolean()


CALENDAR_BEFORE_DAYS = 31
"""Days before now a change calendar shows when ``from`` is not given."""
CALENDAR_AFTER_DAYS = 92
"""Days after ``from`` (or now) a change calendar shows when ``to`` is not given."""
CALENDAR_MAX_DAYS = 366
"""The longest range one change calendar answer covers."""


class ChangeCalendarQueryArgsSchema(FormSchema):
    """The range of a change calendar: the windows overlapping ``[from, to)``. Without them it
    is the last 31 days and the next 92; a range is at most 366 days (a longer one is a 422
    naming ``to``), so an answer never holds the whole history."""

    start = when(data_key="from", metadata={"description": "start of the range (default: 31 "
                                                          "days ago)"})
    end = when(data_key="to", metadata={"description": "end of the range (default: 92 days "
                                                      "after `from`, or from now)"})

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """A bare date: ``from`` its start, ``to`` its end (UTC)."""
        return whole_days(data)

    @validates_schema
    def check_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        """``to`` is after ``from``, and at most 366 days after it."""
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            raise ValidationError("must be after from", "to")
        if start and end and end - start > timedelta(days=CALENDAR_MAX_DAYS):
            raise ValidationError(f"the range spans at most {CALENDAR_MAX_DAYS} days", "to")


def calendar_range(args: dict[str, Any], at: datetime) -> tuple[datetime, datetime]:
    """The ``[from, to)`` a change calendar shows for loaded ``args``, at ``at`` (defaults
    filled in; a lone ``from``/``to`` keeps the default length, within the maximum)."""
    start, end = args.get("start"), args.get("end")
    try:
        if start is None:
            start = (end - timedelta(days=CALENDAR_BEFORE_DAYS + CALENDAR_AFTER_DAYS)) if end \
                else at - timedelta(days=CALENDAR_BEFORE_DAYS)
        if end is None:
            end = (start + timedelta(days=CALENDAR_AFTER_DAYS)) if args.get("start") \
                else at + timedelta(days=CALENDAR_AFTER_DAYS)
    except OverflowError:  # a lone bound at the calendar's very start or end
        raise InvalidInput.field("to" if args.get("end") else "from",
                                 "too close to the first or last representable time") from None
    return start, end


class ChangeCalendarSchema(Schema):
    """Changes' windows, freeze windows and the conflicts between them."""

    start = fields.AwareDateTime(data_key="from", metadata={"description": "the range shown"})
    end = fields.AwareDateTime(data_key="to", metadata={"description": "its end (exclusive)"})
    changes = fields.List(fields.Nested(CalendarChangeSchema))
    freezes = fields.List(fields.Nested(FreezeSchema))
    conflicts = fields.List(fields.Nested(ConflictSchema))
