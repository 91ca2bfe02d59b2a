"""JSON API of the on-call area: /api/v1/rotations, /incidents, /runbooks, /trainings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, g, request

from app.oncall import queries as q
from app.oncall import schemas as s
from app.oncall.calendar import build_calendar, person_entries, rotation_entries
from app.schemas import HistorySchema
from domain.base import now
from domain.errors import NotAuthenticated
from domain.oncall.incident import Incident
from domain.oncall.rotation import Rotation
from domain.oncall.runbook import Runbook
from web.api import openapi
from web.changes.api import body
from web.context import acting, read_model, services
from web.history import history_rows

bp = Blueprint("api_oncall", __name__, url_prefix="/api/v1")


@bp.before_request
def require_token() -> None:
    """Every call needs a valid bearer token (calendar feeds also take ``?token=``, because
    calendar clients cannot send headers)."""
    token = request.args.get("token")
    if g.get("user") is None and token and request.path.endswith(".ics"):
        person_id = services().people.authenticate_token(token)
        person = services().people.get_person(person_id) if person_id else None
        g.user = person if person and person["active"] else None
    if g.get("user") is None:
        raise NotAuthenticated("send a valid bearer token in the Authorization header")


def args(schema: Any) -> dict[str, Any]:
    """Load the query string through ``schema`` (422 on invalid input)."""
    return schema.load(request.args.to_dict())


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


# -- rotations ----------------------------------------------------------------------------------

@bp.post("/rotations")
def create_rotation() -> tuple[dict[str, Any], int]:
    """Create a rotation (admins)."""
    data = body(s.RotationInputSchema())
    data["roster"] = [str(p) for p in data["roster"]]
    with acting():
        result = services().oncall.create_rotation(**data)
    return s.RotationSchema().dump(q.get_rotation(read_model(), result["id"])), 201


@bp.get("/rotations")
def list_rotations() -> dict[str, Any]:
    """List rotations."""
    return {"items": s.RotationSchema(many=True).dump(q.list_rotations(read_model()))}


@bp.get("/rotations/<rotation_id>")
def get_rotation(rotation_id: str) -> dict[str, Any]:
    """One rotation."""
    return s.RotationSchema().dump(q.get_rotation(read_model(), rotation_id))


@bp.post("/rotations/<rotation_id>/plan")
def plan_rotation(rotation_id: str) -> dict[str, Any]:
    """Plan fairly ahead (admins); 409 ``plan_impossible`` explains why when it cannot."""
    data = body(s.PlanInputSchema())
    with acting():
        services().oncall.plan_rotation(rotation_id, data["weeks"], data["start"])
    engine = read_model()
    return {"items": s.ShiftSchema(many=True).dump(q.list_shifts(engine, rotation_id)),
            "warnings": q.plan_warnings(engine, rotation_id, now())}


@bp.get("/rotations/<rotation_id>/shifts")
def list_shifts(rotation_id: str) -> dict[str, Any]:
    """Shifts overlapping ``from``/``to``."""
    window = args(s.RangeQueryArgsSchema())
    engine = read_model()
    q.get_rotation(engine, rotation_id)
    return {"items": s.ShiftSchema(many=True).dump(
        q.list_shifts(engine, rotation_id, window["start"], window["end"]))}


@bp.get("/rotations/<rotation_id>/oncall")
def oncall(rotation_id: str) -> dict[str, Any]:
    """Who is primary and secondary at ``at`` (default now)."""
    at = args(s.AtQueryArgsSchema())["at"] or now()
    return s.OncallSchema().dump(q.oncall_at(read_model(), rotation_id, at))


@bp.get("/rotations/<rotation_id>/gaps")
def gaps(rotation_id: str) -> dict[str, Any]:
    """Coverage gaps between ``from`` and ``to`` (default: the next four weeks)."""
    window = args(s.RangeQueryArgsSchema())
    start = window["start"] or now()
    end = window["end"] or start + timedelta(weeks=4)
    items = q.coverage_gaps(read_model(), rotation_id, start, end)
    return {"items": [{**g_, "start": g_["start"].isoformat(), "end": g_["end"].isoformat()}
                      for g_ in items]}


@bp.get("/rotations/<rotation_id>/fairness")
def fairness(rotation_id: str) -> dict[str, Any]:
    """Shifts, weekend and night hours, and pages per person."""
    window = args(s.RangeQueryArgsSchema())
    return {"items": q.fairness_report(read_model(), rotation_id, window["start"],
                                       window["end"])}


@bp.put("/rotations/<rotation_id>/roster")
def change_roster(rotation_id: str) -> dict[str, Any]:
    """Replace the roster (admins)."""
    data = body(s.RosterInputSchema())
    with acting():
        services().oncall.change_roster(rotation_id, [str(p) for p in data["roster"]])
    return s.RotationSchema().dump(q.get_rotation(read_model(), rotation_id))


@bp.post("/rotations/<rotation_id>/unavailability")
def declare_unavailable(rotation_id: str) -> tuple[dict[str, Any], int]:
    """Declare unavailability (yourself, or anyone as an admin)."""
    data = body(s.UnavailabilityInputSchema())
    with acting():
        result = services().oncall.declare_unavailable(rotation_id, _str(data["person_id"]) or g.user["id"],
                                              data["start"], data["end"])
    return result, 201


@bp.post("/rotations/<rotation_id>/overrides")
def override(rotation_id: str) -> dict[str, Any]:
    """Put someone else on a week's shift, with the reason."""
    data = body(s.OverrideInputSchema())
    with acting(reason=data["reason"]):
        result = services().oncall.override_shift(rotation_id, data["week_start"].isoformat(),
                                         data["role"], str(data["person_id"]))
    return result


@bp.get("/rotations/<rotation_id>/swaps")
def list_swaps(rotation_id: str) -> dict[str, Any]:
    """Swaps of a rotation."""
    return {"items": [_jsonable(r) for r in q.list_swaps(read_model(), rotation_id)]}


@bp.post("/rotations/<rotation_id>/swaps")
def request_swap(rotation_id: str) -> tuple[dict[str, Any], int]:
    """Ask a colleague to take your shift."""
    data = body(s.SwapInputSchema())
    back = data["return_week_start"]
    with acting(reason=data["reason"]):
        result = services().oncall.request_swap(rotation_id, data["week_start"].isoformat(), data["role"],
                                       str(data["counterpart_id"]),
                                       back.isoformat() if back else None)
    return result, 201


@bp.post("/rotations/<rotation_id>/swaps/<swap_id>/accept")
def accept_swap(rotation_id: str, swap_id: str) -> dict[str, Any]:
    """Accept a swap (its counterpart or an admin)."""
    with acting():
        return services().oncall.accept_swap(rotation_id, swap_id)


@bp.post("/rotations/<rotation_id>/swaps/<swap_id>/decline")
def decline_swap(rotation_id: str, swap_id: str) -> dict[str, Any]:
    """Decline a swap."""
    with acting():
        return services().oncall.decline_swap(rotation_id, swap_id)


@bp.put("/rotations/<rotation_id>/escalation-policy")
def change_policy(rotation_id: str) -> dict[str, Any]:
    """Amend the escalation policy (admins); open incidents keep their version."""
    data = body(s.PolicyInputSchema())
    for key in ("engineering_lead_id", "executive_id"):
        if key in data:
            data[key] = _str(data[key])
    with acting():
        return services().oncall.change_escalation_policy(rotation_id, **data)


@bp.get("/rotations/notices")
def notices() -> dict[str, Any]:
    """The signed-in person's moved shifts (``person_id`` to see someone else's)."""
    person_id = request.args.get("person_id") or g.user["id"]
    return {"items": [_jsonable(r) for r in q.notices(read_model(), person_id)]}


@bp.get("/rotations/<rotation_id>/calendar.ics")
def rotation_calendar(rotation_id: str) -> Response:
    """iCalendar feed of every shift of a rotation."""
    return rotation_ics(rotation_id)


def rotation_ics(rotation_id: str) -> Response:
    """The iCalendar response of a rotation (shared with the page route)."""
    engine = read_model()
    rotation = q.get_rotation(engine, rotation_id)
    ics = build_calendar(f"On-call: {rotation['name']}",
                         rotation_entries(rotation, q.list_shifts(engine, rotation_id)))
    return Response(ics, mimetype="text/calendar")


@bp.get("/rotations/people/<person_id>/calendar.ics")
def person_calendar(person_id: str) -> Response:
    """iCalendar feed of one person's shifts across rotations."""
    return person_ics(person_id)


def person_ics(person_id: str) -> Response:
    """The iCalendar response of one person's shifts (shared with the page route)."""
    engine = read_model()
    name = q.names(engine).get(person_id)
    if name is None:
        from domain.errors import NotFound

        raise NotFound(f"no person with id {person_id}", id=person_id)
    ics = build_calendar(f"On-call: {name}",
                         person_entries(person_id, name, q.person_shifts(engine, person_id)))
    return Response(ics, mimetype="text/calendar")


@bp.get("/rotations/<rotation_id>/history")
def rotation_history(rotation_id: str) -> dict[str, Any]:
    """Every event of a rotation."""
    return HistorySchema().dump({"events": history_rows(Rotation, rotation_id)})


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


# -- incidents ----------------------------------------------------------------------------------

@bp.post("/incidents")
def open_incident() -> tuple[dict[str, Any], int]:
    """Open an incident (or a fire drill) and page the current primary."""
    data = body(s.IncidentInputSchema())
    data["rotation_id"], data["runbook_id"] = str(data["rotation_id"]), _str(data["runbook_id"])
    with acting():
        result = services().oncall.open_incident(**data)
    return s.IncidentSchema().dump(q.get_incident(read_model(), result["id"])), 201


@bp.get("/incidents")
def list_incidents() -> dict[str, Any]:
    """List incidents with filters."""
    filters = args(s.IncidentQueryArgsSchema())
    return {"items": s.IncidentSchema(many=True, exclude=("timeline",)).dump(
        q.list_incidents(read_model(), **filters))}


@bp.get("/incidents/metrics")
def incident_metrics() -> dict[str, Any]:
    """MTTA / MTTR grouped by period, severity, category or practice."""
    options = args(s.MetricsQueryArgsSchema())
    return {"group_by": options["group_by"], "items": q.incident_metrics(read_model(), **options)}


@bp.get("/incidents/<incident_id>")
def get_incident(incident_id: str) -> dict[str, Any]:
    """One incident with its timeline."""
    return s.IncidentSchema().dump(q.get_incident(read_model(), incident_id))


def _incident_action(incident_id: str, method: str, schema: Any = None,
                     field: str | None = None) -> dict[str, Any]:
    data = body(schema) if schema is not None else {}
    reason = data.get("reason")
    with acting(reason=reason):
        action = getattr(services().oncall, method)
        action(incident_id, data[field]) if field else action(incident_id)
    return s.IncidentSchema().dump(q.get_incident(read_model(), incident_id))


@bp.post("/incidents/<incident_id>/assess")
def assess(incident_id: str) -> dict[str, Any]:
    """Re-assess severity, affected users and flags (may escalate at once)."""
    data = body(s.AssessmentSchema())
    with acting():
        services().oncall.assess_incident(incident_id, **data)
    return s.IncidentSchema().dump(q.get_incident(read_model(), incident_id))


@bp.post("/incidents/<incident_id>/acknowledge")
def acknowledge(incident_id: str) -> dict[str, Any]:
    """Acknowledge the page."""
    return _incident_action(incident_id, "acknowledge_incident")


@bp.post("/incidents/<incident_id>/escalate")
def escalate(incident_id: str) -> dict[str, Any]:
    """Escalate one level by hand, with a reason."""
    return _incident_action(incident_id, "escalate_incident", s.ReasonSchema())


@bp.post("/incidents/<incident_id>/mitigate")
def mitigate(incident_id: str) -> dict[str, Any]:
    """Record that the impact is contained."""
    return _incident_action(incident_id, "mitigate_incident", s.NoteSchema(), "note")


@bp.post("/incidents/<incident_id>/resolve")
def resolve(incident_id: str) -> dict[str, Any]:
    """Resolve the incident."""
    return _incident_action(incident_id, "resolve_incident", s.SummarySchema(), "summary")


@bp.post("/incidents/<incident_id>/debrief")
def debrief(incident_id: str) -> dict[str, Any]:
    """Record a fire drill's debrief; improvements become action items."""
    data = body(s.DebriefInputSchema())
    with acting():
        services().oncall.record_debrief(incident_id, data["summary"], [
            {**i, "owner_id": str(i["owner_id"])} for i in data["improvements"]])
    return s.IncidentSchema().dump(q.get_incident(read_model(), incident_id))


@bp.get("/incidents/<incident_id>/history")
def incident_history(incident_id: str) -> dict[str, Any]:
    """Every event of an incident."""
    return HistorySchema().dump({"events": history_rows(Incident, incident_id)})


# -- runbooks and trainings ---------------------------------------------------------------------

@bp.get("/runbooks")
def list_runbooks() -> dict[str, Any]:
    """Runbooks with their sign-off state."""
    return {"items": s.RunbookSchema(many=True).dump(q.list_runbooks(read_model()))}


@bp.post("/runbooks")
def create_runbook() -> tuple[dict[str, Any], int]:
    """Create a category's runbook (one per category)."""
    data = body(s.RunbookInputSchema())
    with acting():
        result = services().oncall.create_runbook(**data)
    return s.RunbookSchema().dump(q.get_runbook(read_model(), result["id"])), 201


@bp.get("/runbooks/<runbook_id>")
def get_runbook(runbook_id: str) -> dict[str, Any]:
    """One runbook's current revision."""
    return s.RunbookSchema().dump(q.get_runbook(read_model(), runbook_id))


@bp.post("/runbooks/<runbook_id>/revisions")
def revise_runbook(runbook_id: str) -> tuple[dict[str, Any], int]:
    """Record a new revision."""
    data = body(s.RevisionInputSchema())
    with acting():
        services().oncall.revise_runbook(runbook_id, data["content"], data["summary"])
    return s.RunbookSchema().dump(q.get_runbook(read_model(), runbook_id)), 201


@bp.post("/runbooks/<runbook_id>/sign-offs")
def sign_off(runbook_id: str) -> tuple[dict[str, Any], int]:
    """Sign off the current revision as reviewed or validated."""
    data = body(s.SignOffInputSchema())
    with acting():
        services().oncall.sign_off_runbook(runbook_id, data["kind"])
    return s.RunbookSchema().dump(q.get_runbook(read_model(), runbook_id)), 201


@bp.get("/runbooks/<runbook_id>/diff")
def runbook_diff(runbook_id: str) -> dict[str, Any]:
    """Unified diff between revisions ``from`` and ``to``."""
    revisions = args(s.DiffQueryArgsSchema())
    return q.runbook_diff(read_model(), runbook_id, revisions["old"], revisions["new"])


@bp.get("/runbooks/<runbook_id>/history")
def runbook_history(runbook_id: str) -> dict[str, Any]:
    """Every event of a runbook."""
    return HistorySchema().dump({"events": history_rows(Runbook, runbook_id)})


@bp.get("/trainings")
def list_trainings() -> dict[str, Any]:
    """Training sessions."""
    return {"items": s.TrainingSchema(many=True).dump(q.list_trainings(read_model()))}


@bp.post("/trainings")
def record_training() -> tuple[dict[str, Any], int]:
    """Record a training session."""
    data = body(s.TrainingInputSchema())
    data["attendee_ids"] = [str(p) for p in data["attendee_ids"]]
    with acting():
        result = services().oncall.record_training(**data)
    return result, 201


@bp.get("/trainings/status")
def training_status() -> dict[str, Any]:
    """Each person's derived training status."""
    return {"items": q.training_report(read_model())}


# -- OpenAPI ------------------------------------------------------------------------------------

def _op(summary: str, tag: str, ok: str, schema: str | None, errors: tuple[str, ...],
        params: tuple[str, ...] = (), body_schema: str | None = None,
        query: Any = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag],
                          "responses": openapi.responses(ok, schema, summary, errors)}
    parameters: list[Any] = [{"name": p, "in": "path", "required": True,
                              "schema": {"type": "string"}} for p in params]
    if query is not None:
        parameters.append({"in": "query", "schema": query})
    if parameters:
        op["parameters"] = parameters
    if body_schema:
        op["requestBody"] = openapi.body(body_schema)
    return op


R, INC, B, T = "rotations", "incidents", "runbooks", "trainings"
W = ("401", "403", "404", "409", "422")
RID, IID, BID = ("rotation_id",), ("incident_id",), ("runbook_id",)
ICS = {"200": {"description": "iCalendar (RFC 5545)", "content": {"text/calendar": {}}},
       "401": {"description": openapi.ERRORS["401"]}, "404": {"description": openapi.ERRORS["404"]}}

openapi.add({
    "/rotations": {"get": _op("List rotations", R, "200", None, ("401",)),
                   "post": _op("Create a rotation (admin)", R, "201", "Rotation", W,
                               body_schema="RotationInput")},
    "/rotations/{rotation_id}": {"get": _op("One rotation", R, "200", "Rotation",
                                            ("401", "404"), RID)},
    "/rotations/{rotation_id}/plan": {"post": _op(
        "Plan fairly ahead (admin); 409 plan_impossible says why", R, "200", None, W, RID,
        "PlanInput")},
    "/rotations/{rotation_id}/shifts": {"get": _op("Shifts in a range", R, "200", None,
                                                   ("401", "404", "422"), RID,
                                                   query=s.RangeQueryArgsSchema)},
    "/rotations/{rotation_id}/oncall": {"get": _op(
        "Who is primary/secondary at ?at=ISO8601", R, "200", "Oncall", ("401", "404", "422"),
        RID, query=s.AtQueryArgsSchema)},
    "/rotations/{rotation_id}/gaps": {"get": _op("Coverage gaps in a range", R, "200", None,
                                                 ("401", "404", "422"), RID,
                                                 query=s.RangeQueryArgsSchema)},
    "/rotations/{rotation_id}/fairness": {"get": _op(
        "Fairness report: shifts, weekend/night hours, pages", R, "200", None,
        ("401", "404", "422"), RID, query=s.RangeQueryArgsSchema)},
    "/rotations/{rotation_id}/roster": {"put": _op("Replace the roster (admin)", R, "200",
                                                   "Rotation", W, RID, "RosterInput")},
    "/rotations/{rotation_id}/unavailability": {"post": _op(
        "Declare unavailability", R, "201", None, W, RID, "UnavailabilityInput")},
    "/rotations/{rotation_id}/overrides": {"post": _op(
        "Override one week's shift, with a reason", R, "200", None, W, RID, "OverrideInput")},
    "/rotations/{rotation_id}/swaps": {
        "get": _op("Swaps", R, "200", None, ("401",), RID),
        "post": _op("Request a swap", R, "201", None, W, RID, "SwapInput")},
    "/rotations/{rotation_id}/swaps/{swap_id}/accept": {"post": _op(
        "Accept a swap (counterpart or admin)", R, "200", None, W, RID + ("swap_id",))},
    "/rotations/{rotation_id}/swaps/{swap_id}/decline": {"post": _op(
        "Decline a swap", R, "200", None, W, RID + ("swap_id",))},
    "/rotations/{rotation_id}/escalation-policy": {"put": _op(
        "Amend the escalation policy (admin)", R, "200", None, W, RID, "PolicyInput")},
    "/rotations/notices": {"get": _op("My moved shifts (?person_id= for someone else)", R,
                                      "200", None, ("401",))},
    "/rotations/{rotation_id}/calendar.ics": {"get": {
        "summary": "iCalendar feed of a rotation", "tags": [R], "responses": ICS,
        "parameters": [{"name": "rotation_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}]}},
    "/rotations/people/{person_id}/calendar.ics": {"get": {
        "summary": "iCalendar feed of one person's shifts", "tags": [R], "responses": ICS,
        "parameters": [{"name": "person_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}]}},
    "/rotations/{rotation_id}/history": {"get": _op("Every event of a rotation", R, "200",
                                                    "History", ("401", "404"), RID)},
    "/incidents": {"get": _op("List incidents", INC, "200", None, ("401", "422"),
                              query=s.IncidentQueryArgsSchema),
                   "post": _op("Open an incident or fire drill; pages the primary", INC, "201",
                               "Incident", W, body_schema="IncidentInput")},
    "/incidents/metrics": {"get": _op("MTTA/MTTR per period, severity, category, practice", INC,
                                      "200", None, ("401", "422"),
                                      query=s.MetricsQueryArgsSchema)},
    "/incidents/{incident_id}": {"get": _op("One incident with its timeline", INC, "200",
                                            "Incident", ("401", "404"), IID)},
    "/incidents/{incident_id}/assess": {"post": _op(
        "Re-assess impact; L3/executive triggers fire at once if they now apply", INC, "200",
        "Incident", W, IID, "Assessment")},
    "/incidents/{incident_id}/acknowledge": {"post": _op("Acknowledge", INC, "200", "Incident",
                                                         W, IID)},
    "/incidents/{incident_id}/escalate": {"post": _op("Escalate one level with a reason", INC,
                                                      "200", "Incident", W, IID, "Reason")},
    "/incidents/{incident_id}/mitigate": {"post": _op("Mitigate", INC, "200", "Incident", W, IID,
                                                      "Note")},
    "/incidents/{incident_id}/resolve": {"post": _op("Resolve", INC, "200", "Incident", W, IID,
                                                     "Summary")},
    "/incidents/{incident_id}/debrief": {"post": _op(
        "Debrief a resolved fire drill; improvements become action items", INC, "200",
        "Incident", W, IID, "DebriefInput")},
    "/incidents/{incident_id}/history": {"get": _op("Every event of an incident", INC, "200",
                                                    "History", ("401", "404"), IID)},
    "/runbooks": {"get": _op("List runbooks", B, "200", None, ("401",)),
                  "post": _op("Create a category's runbook", B, "201", "Runbook", W,
                              body_schema="RunbookInput")},
    "/runbooks/{runbook_id}": {"get": _op("One runbook", B, "200", "Runbook", ("401", "404"),
                                          BID)},
    "/runbooks/{runbook_id}/revisions": {"post": _op("Revise", B, "201", "Runbook", W, BID,
                                                     "RevisionInput")},
    "/runbooks/{runbook_id}/sign-offs": {"post": _op("Reviewed/validated sign-off", B, "201",
                                                     "Runbook", W, BID, "SignOffInput")},
    "/runbooks/{runbook_id}/diff": {"get": _op("Diff between revisions ?from=&to=", B, "200",
                                               None, ("401", "404", "422"), BID,
                                               query=s.DiffQueryArgsSchema)},
    "/runbooks/{runbook_id}/history": {"get": _op("Every event of a runbook", B, "200",
                                                  "History", ("401", "404"), BID)},
    "/trainings": {"get": _op("Training sessions", T, "200", None, ("401",)),
                   "post": _op("Record a training session", T, "201", None, W,
                               body_schema="TrainingInput")},
    "/trainings/status": {"get": _op("Training status per person", T, "200", None, ("401",))},
}, {
    "Rotation": s.RotationSchema, "RotationInput": s.RotationInputSchema,
    "PlanInput": s.PlanInputSchema, "RosterInput": s.RosterInputSchema,
    "UnavailabilityInput": s.UnavailabilityInputSchema, "OverrideInput": s.OverrideInputSchema,
    "SwapInput": s.SwapInputSchema, "PolicyInput": s.PolicyInputSchema,
    "Oncall": s.OncallSchema, "Shift": s.ShiftSchema, "Incident": s.IncidentSchema,
    "IncidentInput": s.IncidentInputSchema, "Reason": s.ReasonSchema, "Note": s.NoteSchema,
    "Summary": s.SummarySchema, "Assessment": s.AssessmentSchema, "DebriefInput": s.DebriefInputSchema,
    "Runbook": s.RunbookSchema, "RunbookInput": s.RunbookInputSchema,
    "RevisionInput": s.RevisionInputSchema, "SignOffInput": s.SignOffInputSchema,
    "Training": s.TrainingSchema, "TrainingInput": s.TrainingInputSchema,
})
