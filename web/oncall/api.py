"""JSON API of the on-call area: /api/v1/rotations, /incidents, /runbooks, /trainings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, g

from app.calendar_grid import feed_window
from app.notifications import queries as notification_queries
from app.oncall import queries as q
from app.oncall import schemas as s
from app.oncall.calendar import build_calendar, person_entries, rotation_entries
from app.paging import page_schema
from app.schemas import HistorySchema
from domain.base import now
from domain.errors import NotFound
from domain.oncall.incident import Incident
from domain.oncall.rotation import Rotation
from domain.oncall.runbook import Runbook
from web.api import AreaBlueprint, listing
from web.context import acting, at_position, read_model, services
from web.history import history_page, history_rows

bp = AreaBlueprint("oncall", __name__, tag="on-call")

RotationListSchema = listing(s.RotationSchema, "RotationList")
ShiftListSchema = listing(s.ShiftSchema, "ShiftList")
GapListSchema = listing(s.GapSchema, "GapList")
FairnessListSchema = listing(s.FairnessSchema, "FairnessList")
SwapListSchema = listing(s.SwapSchema, "SwapList")
NoticeListSchema = page_schema(s.NoticeSchema, "NoticeList")
RunbookListSchema = listing(s.RunbookSchema, "RunbookList")
TrainingListSchema = listing(s.TrainingSchema, "TrainingList")
TrainingStatusListSchema = listing(s.TrainingStatusSchema, "TrainingStatusList")
ICS = {"type": "string"}
FEED_TOKEN = [{"in": "query", "name": "token", "required": False, "schema": {"type": "string"},
               "description": "an API token, for calendar clients that cannot send headers"}]


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


# -- rotations ----------------------------------------------------------------------------------

@bp.post("/rotations")
@bp.arguments(s.RotationInputSchema)
@bp.response(201, s.RotationSchema)
@bp.errors(404, 409)
def create_rotation(data: dict[str, Any]) -> dict[str, Any]:
    """Create a rotation (admins)."""
    data["roster"] = [str(p) for p in data["roster"]]
    with acting():
        result = services().oncall.create_rotation(**data)
    return q.get_rotation(read_model(), result["id"])


@bp.get("/rotations")
@bp.response(200, RotationListSchema)
def list_rotations() -> dict[str, Any]:
    """List rotations."""
    return {"items": q.list_rotations(read_model())}


@bp.get("/rotations/<rotation_id>")
@bp.response(200, s.RotationSchema)
@bp.errors(404)
def get_rotation(rotation_id: str) -> dict[str, Any]:
    """One rotation."""
    return q.get_rotation(read_model(), rotation_id)


@bp.post("/rotations/<rotation_id>/plan")
@bp.arguments(s.PlanInputSchema)
@bp.response(200, s.PlanSchema)
@bp.errors(404, 409)
def plan_rotation(data: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Plan fairly ahead (admins); 409 ``plan_impossible`` explains why when it cannot."""
    with acting():
        services().oncall.plan_rotation(rotation_id, data["weeks"], data["start"])
    engine = read_model()
    return {"items": q.list_shifts(engine, rotation_id),
            "warnings": q.plan_warnings(engine, rotation_id, now())}


@bp.get("/rotations/<rotation_id>/shifts")
@bp.arguments(s.RangeQueryArgsSchema, location="query")
@bp.response(200, ShiftListSchema)
@bp.errors(404)
def list_shifts(window: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Shifts overlapping ``from``/``to`` (default: the last and the next 52 weeks)."""
    engine = read_model()
    q.get_rotation(engine, rotation_id)
    return {"items": q.list_shifts(engine, rotation_id, *_range(window, AHEAD_WEEKS))}


@bp.get("/rotations/<rotation_id>/oncall")
@bp.arguments(s.AtQueryArgsSchema, location="query")
@bp.response(200, s.OncallSchema)
@bp.errors(404)
def oncall(args: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Who is primary and secondary at ``at`` (ISO 8601, default now)."""
    return q.oncall_at(read_model(), rotation_id, args["at"] or now())


@bp.get("/rotations/<rotation_id>/gaps")
@bp.arguments(s.RangeQueryArgsSchema, location="query")
@bp.response(200, GapListSchema)
@bp.errors(404)
def gaps(window: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Coverage gaps between ``from`` and ``to`` (default: the next four weeks)."""
    start = window["start"] or now()
    end = window["end"] or start + timedelta(weeks=4)
    return {"items": q.coverage_gaps(read_model(), rotation_id, start, end)}


@bp.get("/rotations/<rotation_id>/fairness")
@bp.arguments(s.RangeQueryArgsSchema, location="query")
@bp.response(200, FairnessListSchema)
@bp.errors(404)
def fairness(window: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Shifts, weekend and night hours, and pages per person, over ``from``/``to`` (default:
    the last 52 weeks and the plan of the next 26, as on the rotation's page)."""
    return {"items": q.fairness_report(read_model(), rotation_id,
                                       *_range(window, FAIRNESS_AHEAD_WEEKS))}


PAST_WEEKS = 52
"""Weeks before now that the shifts and fairness APIs cover when ``from`` is not given (a
rotation's whole history grows by 52 weeks a year: 257 KB and 0.9 s at 1M events)."""
AHEAD_WEEKS = 52
"""Weeks after now that the shifts API covers when ``to`` is not given."""
FAIRNESS_AHEAD_WEEKS = 26
"""Weeks after now that the fairness API counts when ``to`` is not given (the plan ahead)."""


def _range(window: dict[str, Any], ahead_weeks: int) -> tuple[Any, Any]:
    current = now()
    return (window["start"] or current - timedelta(weeks=PAST_WEEKS),
            window["end"] or current + timedelta(weeks=ahead_weeks))


@bp.put("/rotations/<rotation_id>/roster")
@bp.arguments(s.RosterInputSchema)
@bp.response(200, s.RotationSchema)
@bp.errors(404, 409)
def change_roster(data: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Replace the roster (admins)."""
    with acting():
        services().oncall.change_roster(rotation_id, [str(p) for p in data["roster"]])
    return q.get_rotation(read_model(), rotation_id)


@bp.post("/rotations/<rotation_id>/unavailability")
@bp.arguments(s.UnavailabilityInputSchema)
@bp.response(201, s.UnavailabilitySchema)
@bp.errors(404, 409)
def declare_unavailable(data: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Declare unavailability (yourself, or anyone as an admin)."""
    with acting():
        return services().oncall.declare_unavailable(rotation_id, _str(data["person_id"]) or g.user["id"],
                                            data["start"], data["end"])


@bp.post("/rotations/<rotation_id>/overrides")
@bp.arguments(s.OverrideInputSchema)
@bp.response(200, s.OverrideSchema)
@bp.errors(404, 409)
def override(data: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Put someone else on a shift, with the reason: a whole week (``week_start``) or any
    interval inside one shift (``starts_at``, ``ends_at``); outside the interval the scheduled
    person stays on call."""
    with acting(reason=data["reason"]):
        return run_override(rotation_id, data)


@bp.post("/rotations/<rotation_id>/overrides/<override_id>/cancel")
@bp.arguments(s.CancelOverrideInputSchema)
@bp.response(200, s.CancelledOverrideSchema)
@bp.errors(404, 409)
def cancel_override(data: dict[str, Any], rotation_id: str, override_id: str) -> dict[str, Any]:
    """Withdraw an interval override with a reason (admins, the covering person or the one it
    covers): removed if it has not started, else it ends now."""
    with acting(reason=data["reason"]):
        return services().oncall.cancel_interval_override(rotation_id, override_id)


def run_override(rotation_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The whole-shift or the interval override the input asks for."""
    if data.get("starts_at") is not None:
        return services().oncall.override_interval(rotation_id, data["role"],
                                                   str(data["person_id"]), data["starts_at"],
                                                   data["ends_at"])
    return services().oncall.override_shift(rotation_id, data["week_start"].isoformat(),
                                            data["role"], str(data["person_id"]))


@bp.get("/rotations/<rotation_id>/swaps")
@bp.response(200, SwapListSchema)
def list_swaps(rotation_id: str) -> dict[str, Any]:
    """Swaps of a rotation, newest first."""
    return {"items": q.list_swaps(read_model(), rotation_id)}


@bp.post("/rotations/<rotation_id>/swaps")
@bp.arguments(s.SwapInputSchema)
@bp.response(201, s.SwapSchema)
@bp.errors(404, 409)
def request_swap(data: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Ask a colleague to take your shift."""
    back = data["return_week_start"]
    with acting(reason=data["reason"]):
        return services().oncall.request_swap(rotation_id, data["week_start"].isoformat(), data["role"],
                                     str(data["counterpart_id"]),
                                     back.isoformat() if back else None)


@bp.post("/rotations/<rotation_id>/swaps/<swap_id>/accept")
@bp.response(200, s.SwapSchema)
@bp.errors(404, 409)
def accept_swap(rotation_id: str, swap_id: str) -> dict[str, Any]:
    """Accept a swap (its counterpart or an admin)."""
    with acting():
        return services().oncall.accept_swap(rotation_id, swap_id)


@bp.post("/rotations/<rotation_id>/swaps/<swap_id>/decline")
@bp.response(200, s.SwapSchema)
@bp.errors(404, 409)
def decline_swap(rotation_id: str, swap_id: str) -> dict[str, Any]:
    """Decline a swap (its counterpart, its requester or an admin)."""
    with acting():
        return services().oncall.decline_swap(rotation_id, swap_id)


@bp.put("/rotations/<rotation_id>/escalation-policy")
@bp.arguments(s.EscalationPolicyInputSchema)
@bp.response(200, s.EscalationPolicySchema)
@bp.errors(404, 409)
def change_policy(data: dict[str, Any], rotation_id: str) -> dict[str, Any]:
    """Amend the escalation policy (admins); open incidents keep their version."""
    for key in ("engineering_lead_id", "executive_id"):
        if key in data:
            data[key] = _str(data[key])
    with acting():
        return services().oncall.change_escalation_policy(rotation_id, **data)


@bp.get("/rotations/notices")
@bp.arguments(s.NoticesQueryArgsSchema, location="query")
@bp.response(200, NoticeListSchema)
def notices(args: dict[str, Any]) -> dict[str, Any]:
    """The signed-in person's moved shifts (``person_id`` to see someone else's)."""
    person_id = args.pop("person_id") or g.user["id"]
    return q.notice_page(read_model(), person_id, **args)


@bp.get("/rotations/<rotation_id>/calendar.ics", parameters=FEED_TOKEN)
@bp.response(200, ICS, content_type="text/calendar", description="iCalendar (RFC 5545)")
@bp.errors(404)
def rotation_calendar(rotation_id: str) -> Response:
    """iCalendar feed of a rotation's shifts: the last 92 days and the next 366."""
    return rotation_ics(rotation_id)


def rotation_ics(rotation_id: str) -> Response:
    """The iCalendar response of a rotation (shared with the page route): its shifts in the
    feed window (``calendar_grid.feed_window``; every shift planned: 450 KB at 1M events)."""
    engine = read_model()
    rotation = q.get_rotation(engine, rotation_id)
    ics = build_calendar(f"On-call: {rotation['name']}", rotation_entries(
        rotation, q.shift_segments(engine, rotation_id, *feed_window(now())), q.names(engine)))
    return Response(ics, mimetype="text/calendar")


@bp.get("/rotations/people/<person_id>/calendar.ics", parameters=FEED_TOKEN)
@bp.response(200, ICS, content_type="text/calendar", description="iCalendar (RFC 5545)")
@bp.errors(404)
def person_calendar(person_id: str) -> Response:
    """iCalendar feed of one person's shifts across rotations: the last 92 days and the next 366."""
    return person_ics(person_id)


def person_ics(person_id: str) -> Response:
    """The iCalendar response of one person's shifts (shared with the page route)."""
    engine = read_model()
    who = q.names(engine)
    name = who.get(person_id)
    if name is None:
        raise NotFound(f"no person with id {person_id}", id=person_id)
    ics = build_calendar(f"On-call: {name}",
                         person_entries(person_id, q.person_shifts(
                             engine, person_id, *feed_window(now())), who))
    return Response(ics, mimetype="text/calendar")


@bp.get("/rotations/<rotation_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def rotation_history(rotation_id: str) -> dict[str, Any]:
    """Every event of a rotation."""
    return history_page(Rotation, rotation_id)


# -- incidents ----------------------------------------------------------------------------------

@bp.post("/incidents")
@bp.arguments(s.IncidentInputSchema)
@bp.response(201, s.IncidentSchema)
@bp.errors(404, 409)
def open_incident(data: dict[str, Any]) -> dict[str, Any]:
    """Open an incident (or a fire drill) and page the current primary."""
    data["rotation_id"], data["runbook_id"] = str(data["rotation_id"]), _str(data["runbook_id"])
    with acting():
        result = services().oncall.open_incident(**data)
    return q.get_incident(read_model(), result["id"])


@bp.get("/incidents")
@bp.arguments(s.IncidentQueryArgsSchema, location="query")
@bp.response(200, s.IncidentPageSchema)
def list_incidents(filters: dict[str, Any]) -> dict[str, Any]:
    """A page of incidents (newest first) with filters, and how many match."""
    return q.incident_page(read_model(), **filters)


@bp.get("/incidents/metrics")
@bp.arguments(s.MetricsQueryArgsSchema, location="query")
@bp.response(200, s.IncidentMetricsSchema)
def incident_metrics(options: dict[str, Any]) -> dict[str, Any]:
    """MTTA / MTTR grouped by period, severity, category or practice."""
    engine = read_model()
    items = at_position("oncall_incidents", ("metrics", *sorted(options.items())),
                        lambda: q.incident_metrics(engine, **options))
    return {"group_by": options["group_by"], "items": items}


@bp.get("/incidents/<incident_id>")
@bp.response(200, s.IncidentSchema)
@bp.errors(404)
def get_incident(incident_id: str) -> dict[str, Any]:
    """One incident with its timeline."""
    return q.get_incident(read_model(), incident_id)


@bp.post("/incidents/<incident_id>/assess")
@bp.arguments(s.AssessmentSchema)
@bp.response(200, s.IncidentSchema)
@bp.errors(404, 409)
def assess(data: dict[str, Any], incident_id: str) -> dict[str, Any]:
    """Re-assess severity, affected users and flags (L3/executive triggers fire at once if
    they now apply)."""
    with acting():
        services().oncall.assess_incident(incident_id, **data)
    return q.get_incident(read_model(), incident_id)


@bp.post("/incidents/<incident_id>/acknowledge")
@bp.response(200, s.IncidentSchema)
@bp.errors(404, 409)
def acknowledge(incident_id: str) -> dict[str, Any]:
    """Acknowledge the page."""
    with acting():
        services().oncall.acknowledge_incident(incident_id)
    return q.get_incident(read_model(), incident_id)


@bp.post("/incidents/<incident_id>/hand-over")
@bp.arguments(s.HandOverSchema)
@bp.response(200, s.IncidentSchema)
@bp.errors(404, 409)
def hand_over(data: dict[str, Any], incident_id: str) -> dict[str, Any]:
    """Hand a level (L1, L2, L3, executive) over to another person during the incident, with
    the reason; later pages at that level go to them."""
    with acting(reason=data["reason"]):
        services().oncall.hand_over_incident(incident_id, data["level"], str(data["person_id"]))
    return q.get_incident(read_model(), incident_id)


@bp.post("/incidents/<incident_id>/responders")
@bp.arguments(s.ResponderSchema)
@bp.response(200, s.IncidentSchema)
@bp.errors(404, 409)
def add_responder(data: dict[str, Any], incident_id: str) -> dict[str, Any]:
    """Bring another person into the incident as a responder."""
    with acting():
        services().oncall.add_incident_responder(incident_id, str(data["person_id"]))
    return q.get_incident(read_model(), incident_id)


@bp.post("/incidents/<incident_id>/escalate")
@bp.arguments(s.ReasonSchema)
@bp.response(200, s.IncidentSchema)
@bp.errors(404, 409)
def escalate(data: dict[str, Any], incident_id: str) -> dict[str, Any]:
    """Escalate one level by hand, with a reason."""
    with acting(reason=data["reason"]):
        services().oncall.escalate_incident(incident_id)
    return q.get_incident(read_model(), incident_id)


@bp.post("/incidents/<incident_id>/mitigate")
@bp.arguments(s.NoteSchema)
@bp.response(200, s.IncidentSchema)
@bp.errors(404, 409)
def mitigate(data: dict[str, Any], incident_id: str) -> dict[str, Any]:
    """Record that the impact is contained."""
    with acting():
        services().oncall.mitigate_incident(incident_id, data["note"])
    return q.get_incident(read_model(), incident_id)


@bp.post("/incidents/<incident_id>/resolve")
@bp.arguments(s.SummarySchema)
@bp.response(200, s.IncidentSchema)
@bp.errors(404, 409)
def resolve(data: dict[str, Any], incident_id: str) -> dict[str, Any]:
    """Resolve the incident."""
    with acting():
        services().oncall.resolve_incident(incident_id, data["summary"])
    return q.get_incident(read_model(), incident_id)


@bp.post("/incidents/<incident_id>/debrief")
@bp.arguments(s.DebriefInputSchema)
@bp.response(200, s.IncidentSchema)
@bp.errors(404, 409)
def debrief(data: dict[str, Any], incident_id: str) -> dict[str, Any]:
    """Record a resolved fire drill's debrief; improvements become action items."""
    with acting():
        services().oncall.record_debrief(incident_id, data["summary"], [
            {**i, "owner_id": str(i["owner_id"])} for i in data["improvements"]])
    return q.get_incident(read_model(), incident_id)


@bp.get("/incidents/<incident_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def incident_history(incident_id: str) -> dict[str, Any]:
    """Every event of an incident, with those of the notifications about it (who was paged,
    how, each delivery attempt and whether it arrived)."""
    events = history_rows(Incident, incident_id)
    engine = services().notifications.read_model()
    notified = notification_queries.subject_history(engine, services().ledger, incident_id)
    return {"events": sorted([*events, *notified], key=lambda e: e["recorded_at"])}


# -- runbooks and trainings ---------------------------------------------------------------------

@bp.get("/runbooks")
@bp.response(200, RunbookListSchema)
def list_runbooks() -> dict[str, Any]:
    """Runbooks with their sign-off state."""
    return {"items": q.list_runbooks(read_model())}


@bp.post("/runbooks")
@bp.arguments(s.RunbookInputSchema)
@bp.response(201, s.RunbookSchema)
@bp.errors(409)
def create_runbook(data: dict[str, Any]) -> dict[str, Any]:
    """Create a category's runbook (one per category)."""
    with acting():
        result = services().oncall.create_runbook(**data)
    return q.get_runbook(read_model(), result["id"])


@bp.get("/runbooks/<runbook_id>")
@bp.response(200, s.RunbookSchema)
@bp.errors(404)
def get_runbook(runbook_id: str) -> dict[str, Any]:
    """One runbook's current revision."""
    return q.get_runbook(read_model(), runbook_id)


@bp.post("/runbooks/<runbook_id>/revisions")
@bp.arguments(s.RevisionInputSchema)
@bp.response(201, s.RunbookSchema)
@bp.errors(404, 409)
def revise_runbook(data: dict[str, Any], runbook_id: str) -> dict[str, Any]:
    """Record a new revision."""
    with acting():
        services().oncall.revise_runbook(runbook_id, data["content"], data["summary"])
    return q.get_runbook(read_model(), runbook_id)


@bp.post("/runbooks/<runbook_id>/sign-offs")
@bp.arguments(s.SignOffInputSchema)
@bp.response(201, s.RunbookSchema)
@bp.errors(404, 409)
def sign_off(data: dict[str, Any], runbook_id: str) -> dict[str, Any]:
    """Sign off the current revision as reviewed or validated."""
    with acting():
        services().oncall.sign_off_runbook(runbook_id, data["kind"])
    return q.get_runbook(read_model(), runbook_id)


@bp.get("/runbooks/<runbook_id>/diff")
@bp.arguments(s.DiffQueryArgsSchema, location="query")
@bp.response(200, s.RunbookDiffSchema)
@bp.errors(404)
def runbook_diff(revisions: dict[str, Any], runbook_id: str) -> dict[str, Any]:
    """Unified diff between revisions ``from`` and ``to``."""
    return q.runbook_diff(read_model(), runbook_id, revisions["old"], revisions["new"])


@bp.get("/runbooks/<runbook_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def runbook_history(runbook_id: str) -> dict[str, Any]:
    """Every event of a runbook."""
    return history_page(Runbook, runbook_id)


@bp.get("/trainings")
@bp.response(200, TrainingListSchema)
def list_trainings() -> dict[str, Any]:
    """Training sessions, newest first."""
    return {"items": q.list_trainings(read_model())}


@bp.post("/trainings")
@bp.arguments(s.TrainingInputSchema)
@bp.response(201, s.TrainingRecordedSchema)
@bp.errors(404, 409)
def record_training(data: dict[str, Any]) -> dict[str, Any]:
    """Record a training session."""
    data["attendee_ids"] = [str(p) for p in data["attendee_ids"]]
    with acting():
        return services().oncall.record_training(**data)


@bp.get("/trainings/status")
@bp.response(200, TrainingStatusListSchema)
def training_status() -> dict[str, Any]:
    """Each person's derived training status."""
    return {"items": q.training_report(read_model())}
