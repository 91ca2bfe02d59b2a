"""On-call pages: schedule, rotations, incidents with timeline, runbooks, trainings."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    make_response,
    g,
    render_template,
    request,
    url_for,
)

from app import calendar_grid as grid
from app.oncall import queries as q
from app.oncall import schemas as s
from app.people import queries as people_queries
from app.schemas import FormSchema
from domain.base import now
from domain.oncall.incident import ACK_TARGET_MINUTES, CATEGORIES, SEVERITIES, Incident
from domain.oncall.rotation import ROLES, Rotation
from domain.oncall.runbook import SIGN_OFFS, TRAINING_TOPICS, Runbook
from web.context import at_position, login_required, read_model, services
from web.forms import handle_form, validate
from web.history import history_rows
from web.links import url_for as link
from web.messages import words
from web.timezones import time_tag

if TYPE_CHECKING:
    from marshmallow import Schema
    from werkzeug.wrappers import Response

    from web.forms import Errors, FormInput

bp = Blueprint("oncall", __name__, url_prefix="/oncall")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _local(shifts: list[dict[str, Any]], tz: str) -> list[dict[str, Any]]:
    zone = ZoneInfo(tz)
    current = now()
    for shift in shifts:
        shift["local_start"] = shift["starts_at"].astimezone(zone).strftime("%a %d %b %H:%M")
        shift["local_end"] = shift["ends_at"].astimezone(zone).strftime("%a %d %b %H:%M")
        shift["hours"] = round((shift["ends_at"] - shift["starts_at"]).total_seconds() / 3600)
        shift["current"] = shift["starts_at"] <= current < shift["ends_at"]
    return shifts


# -- schedule ------------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index() -> str:
    """The schedule: every rotation's weeks, my moved shifts, open incidents."""
    engine = read_model()
    start = now() - timedelta(days=7)
    rotations = [{**r, "shifts": _local(q.list_shifts(engine, r["id"], start), r["timezone"])}
                 for r in q.list_rotations(engine)]
    return render_template("oncall/index.html", rotations=rotations,
                           notices=q.notice_page(engine, g.user["id"], limit=20)["items"],
                           incidents=listed(q.incident_page(engine, limit=10, columns=q.LISTED)["items"]))


def listed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Incidents as ``oncall/_incidents.html`` shows them: each row's link, words, time and
    minutes worked out here, in one plain function, rather than by the template cell by cell.
    The template escapes every text."""
    return [{**i, "href": link("oncall.incident", incident_id=i["id"]),
             "category_words": words(i.get("category")), "status_words": words(i.get("status")),
             "opened": time_tag(i.get("opened_at")),
             "tta_text": _minutes(i.get("time_to_acknowledge_s")),
             "ttr_text": _minutes(i.get("time_to_resolve_s"))} for i in items]


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{round(seconds / 60, 1)} min"


@bp.route("/rotations/new", methods=("GET", "POST"))
@login_required
def new_rotation() -> str | Response | tuple[str, int]:
    """Create a rotation (admins)."""
    if request.method == "POST":
        return handle_form(
            s.RotationFormSchema(), lambda data: services().oncall.create_rotation(
                **{**data, "roster": [str(p) for p in data["roster"]]}),
            success=lambda result: ("Rotation created. Plan it ahead next.",
                                    url_for("oncall.rotation", rotation_id=result["id"])),
            retry=_new_rotation_page)
    return _new_rotation_page({}, {})


def _new_rotation_page(errors: Errors, form: FormInput) -> str:
    return render_template("oncall/rotation_new.html", form=form, errors=errors,
                           people=people_queries.list_people(read_model()), weekdays=WEEKDAYS)


def _rotation_page(rotation_id: str, which: str | None = None, form: FormInput | None = None,
                   errors: Errors | None = None) -> str:
    engine = read_model()
    rotation = q.get_rotation(engine, rotation_id)
    current = now()
    tab = request.args.get("tab", "schedule")
    if tab == "history":  # only that tab reads the events and checks their proofs
        events = history_rows(Rotation, rotation_id)
        return render_template("oncall/rotation.html", rotation=rotation, tab=tab,
                               events=events, event_count=events.total)
    ahead = current + timedelta(weeks=SCHEDULE_AHEAD_WEEKS)
    shown = (current - timedelta(weeks=SCHEDULE_PAST_WEEKS), ahead)
    judged = (current - timedelta(weeks=FAIRNESS_PAST_WEEKS), ahead)
    return render_template(
        "oncall/rotation.html", rotation=rotation, tab=tab, shown=shown, judged=judged,
        shifts=_local(q.list_shifts(engine, rotation_id, *shown), rotation["timezone"]),
        oncall=q.oncall_at(engine, rotation_id, current),
        covers=q.list_covers(engine, rotation_id, current - timedelta(weeks=1)),
        current_time=current,
        gaps=q.coverage_gaps(engine, rotation_id, current, current + timedelta(weeks=4)),
        fairness=q.fairness_report(engine, rotation_id, *judged),
        swaps=q.list_swaps(engine, rotation_id),
        unavailability=q.list_unavailability(engine, rotation_id),
        warnings=q.plan_warnings(engine, rotation_id, current), names=q.names(engine),
        people=people_queries.list_people(engine),
        event_count=len(services().audit.positions_of(rotation_id)),
        which=which, form=form or {}, errors=errors or {}, roles=ROLES)


SCHEDULE_PAST_WEEKS = 4
"""Weeks before now the rotation page's schedule lists (the timeline shows any week)."""
FAIRNESS_PAST_WEEKS = 52
"""Weeks before now its fairness table counts (the fairness API takes any range)."""
SCHEDULE_AHEAD_WEEKS = 26
"""Weeks after now both cover: the plan ahead."""


@bp.get("/rotations/<rotation_id>")
@login_required
def rotation(rotation_id: str) -> str:
    """A rotation: schedule, who is on call, gaps, fairness, swaps, forms, history."""
    return _rotation_page(rotation_id)


def _rotation_form(rotation_id: str, which: str, schema: Schema,
                   run: Callable[[dict[str, Any]], Any], done: str,
                   reason: str | None = None) -> Response | tuple[str, int]:
    """A form on the rotation page: its errors are shown next to that form's fields."""
    return handle_form(
        schema, run, reason=reason,
        success=(done, url_for("oncall.rotation", rotation_id=rotation_id)),
        retry=lambda errors, form: _rotation_page(rotation_id, which, form, errors))


TIMELINE_WEEKS = 8


@bp.get("/rotations/<rotation_id>/timeline")
@login_required
def timeline(rotation_id: str) -> str:
    """A rotation's timeline: weeks × primary/secondary, overrides and swaps marked, the
    current week highlighted; ``?week=YYYY-Www`` is the first week shown (default: last week)."""
    engine = read_model()
    rotation = q.get_rotation(engine, rotation_id)
    current = now()
    today = current.date()
    default = today - timedelta(days=today.weekday() + 7)
    first = grid.parse_week(request.args.get("week"), today) if request.args.get(
        "week") else default
    span = grid.week_span(first, TIMELINE_WEEKS)
    shifts = _local(q.timeline(engine, rotation_id, *span.bounds), rotation["timezone"])
    step = timedelta(weeks=TIMELINE_WEEKS)
    return render_template(
        "oncall/timeline.html", rotation=rotation, shifts=shifts, span=span,
        label=f"{grid.week_label(span.start)} to {grid.week_label(span.end - timedelta(days=1))}",
        prev=grid.week_label(first - step), next=grid.week_label(first + step),
        today=grid.week_label(default), now=current)


@bp.get("/rotations/<rotation_id>/calendar.ics")
@login_required
def calendar(rotation_id: str) -> Response:
    """The rotation's iCalendar file for the signed-in person (session auth)."""
    from web.oncall.api import rotation_ics

    return rotation_ics(rotation_id)


@bp.get("/me/calendar.ics")
@login_required
def my_calendar() -> Response:
    """The signed-in person's own shifts as an iCalendar file."""
    from web.oncall.api import person_ics

    return person_ics(g.user["id"])


@bp.post("/rotations/<rotation_id>/plan")
@login_required
def plan(rotation_id: str) -> Response | tuple[str, int]:
    """Plan ahead."""
    return _rotation_form(rotation_id, "plan", s.PlanFormSchema(), lambda d: services().oncall.plan_rotation(
        rotation_id, d["weeks"], d["start"]), "Planned. Everyone whose shifts moved is notified.")


@bp.post("/rotations/<rotation_id>/roster")
@login_required
def roster(rotation_id: str) -> Response | tuple[str, int]:
    """Replace the roster."""
    return _rotation_form(rotation_id, "roster", s.RosterFormSchema(),
                          lambda d: services().oncall.change_roster(rotation_id,
                                                           [str(p) for p in d["roster"]]),
                          "Roster changed.")


@bp.post("/rotations/<rotation_id>/unavailability")
@login_required
def unavailable(rotation_id: str) -> Response | tuple[str, int]:
    """Declare unavailability."""
    return _rotation_form(rotation_id, "unavailability", s.UnavailabilityFormSchema(),
                          lambda d: services().oncall.declare_unavailable(
                              rotation_id, str(d["person_id"] or g.user["id"]), d["start"],
                              d["end"]), "Unavailability recorded.")


@bp.post("/rotations/<rotation_id>/override")
@login_required
def override(rotation_id: str) -> Response | tuple[str, int]:
    """Override one week's shift, or an interval inside a shift."""
    def run(d: dict[str, Any]) -> Any:
        if d.get("starts_at") is not None:
            return services().oncall.override_interval(rotation_id, d["role"],
                                                       str(d["person_id"]), d["starts_at"],
                                                       d["ends_at"])
        return services().oncall.override_shift(rotation_id, d["week_start"].isoformat(),
                                                d["role"], str(d["person_id"]))
    return _rotation_form(rotation_id, "override", s.OverrideFormSchema(), run,
                          "Shift overridden.", "reason")


@bp.post("/rotations/<rotation_id>/overrides/<override_id>/cancel")
@login_required
def cancel_override(rotation_id: str, override_id: str) -> Response | tuple[str, int]:
    """Withdraw an interval override, with a reason."""
    return _rotation_form(rotation_id, "override withdrawal", s.CancelOverrideFormSchema(),
                          lambda d: services().oncall.cancel_interval_override(
                              rotation_id, override_id), "Override withdrawn.", "reason")


@bp.post("/rotations/<rotation_id>/swaps")
@login_required
def swap(rotation_id: str) -> Response | tuple[str, int]:
    """Request a swap."""
    def run(d: dict[str, Any]) -> Any:
        back = d["return_week_start"]
        return services().oncall.request_swap(rotation_id, d["week_start"].isoformat(), d["role"],
                                     str(d["counterpart_id"]), back.isoformat() if back else None)
    return _rotation_form(rotation_id, "swap", s.SwapFormSchema(), run,
                          "Swap requested; it takes effect when accepted.", "reason")


@bp.post("/rotations/<rotation_id>/swaps/<swap_id>/<decision>")
@login_required
def decide_swap(rotation_id: str, swap_id: str, decision: str) -> Response | tuple[str, int]:
    """Accept or decline a swap."""
    commands = {"accept": lambda: services().oncall.accept_swap(rotation_id, swap_id),
                "decline": lambda: services().oncall.decline_swap(rotation_id, swap_id)}
    if decision not in commands:
        abort(404)
    back = url_for("oncall.rotation", rotation_id=rotation_id)
    return handle_form(FormSchema(), lambda data: commands[decision](), failure="Not done",
                       success=(f"Swap {decision}ed.", back), retry=back)


@bp.post("/rotations/<rotation_id>/policy")
@login_required
def policy(rotation_id: str) -> Response | tuple[str, int]:
    """Amend the escalation policy."""
    def run(d: dict[str, Any]) -> Any:
        for key in ("engineering_lead_id", "executive_id"):
            if key in d:
                d[key] = str(d[key]) if d[key] else None
        return services().oncall.change_escalation_policy(rotation_id, **d)
    return _rotation_form(rotation_id, "policy", s.PolicyFormSchema(), run,
                          "Escalation policy amended; open incidents keep their version.")


# -- incidents -----------------------------------------------------------------------------------

@bp.get("/incidents")
@login_required
def incidents() -> str:
    """A page of incidents (filtered by the query string) and MTTA/MTTR over all of them."""
    engine = read_model()
    group_by = request.args.get("group_by", "severity")
    if group_by not in q.GROUPS:
        group_by = "severity"
    args, errors = validate(s.IncidentQueryArgsSchema(), request.args.to_dict())
    page = q.incident_page(engine, columns=q.LISTED, **(args or {}))
    return render_template("oncall/incidents.html", page=page, incidents=listed(page["items"]),
                           errors=errors, metrics=at_position(
                               "oncall_incidents", ("metrics", group_by),
                               lambda: q.incident_metrics(engine, group_by)),
                           group_by=group_by, groups=q.GROUPS)


@bp.route("/incidents/new", methods=("GET", "POST"))
@login_required
def new_incident() -> str | Response | tuple[str, int]:
    """Open an incident or a fire drill."""
    if request.method == "POST":
        return handle_form(
            s.IncidentFormSchema(), lambda data: services().oncall.open_incident(**{
                **data, "rotation_id": str(data["rotation_id"]),
                "runbook_id": str(data["runbook_id"]) if data["runbook_id"] else None}),
            success=lambda result: ("Incident opened; the primary on call is paged.",
                                    url_for("oncall.incident", incident_id=result["id"])),
            retry=_new_incident_page)
    return _new_incident_page({}, {})


def _new_incident_page(errors: Errors, form: FormInput) -> str:
    engine = read_model()
    return render_template("oncall/incident_new.html", form=form, errors=errors,
                           rotations=q.list_rotations(engine), runbooks=q.list_runbooks(engine),
                           severities=SEVERITIES, categories=CATEGORIES)


@bp.get("/incidents/<incident_id>")
@login_required
def incident(incident_id: str) -> str:
    """An incident: details, timeline, actions, history."""
    engine = read_model()
    return render_template("oncall/incident.html", incident=q.get_incident(engine, incident_id),
                           events=history_rows(Incident, incident_id),
                           people=people_queries.list_people(engine),
                           ack_target_minutes=ACK_TARGET_MINUTES,
                           tab=request.args.get("tab", "timeline"))


@bp.post("/incidents/<incident_id>/<action>")
@login_required
def incident_action(incident_id: str, action: str) -> Response | tuple[str, int]:
    """Acknowledge, escalate (with a reason), mitigate, resolve or debrief."""
    if action not in INCIDENT_ACTIONS:
        abort(404)
    schema, run, done = INCIDENT_ACTIONS[action]
    back = url_for("oncall.incident", incident_id=incident_id)
    return handle_form(schema(), lambda data: run(incident_id, data), failure="Not done",
                       reason="reason" if action in ("escalate", "hand-over") else None,
                       success=(f"Incident {done}.", back), retry=back)


INCIDENT_ACTIONS: dict[str, tuple[type[FormSchema], Callable[[str, dict[str, Any]], Any], str]] = {
    "assess": (s.AssessmentFormSchema,
               lambda i, d: services().oncall.assess_incident(i, **d), "re-assessed"),
    "acknowledge": (FormSchema, lambda i, d: services().oncall.acknowledge_incident(i), "acknowledged"),
    "escalate": (s.ReasonFormSchema, lambda i, d: services().oncall.escalate_incident(i), "escalated"),
    "hand-over": (s.HandOverFormSchema, lambda i, d: services().oncall.hand_over_incident(
        i, d["level"], str(d["person_id"])), "handed over"),
    "add-responder": (s.ResponderFormSchema, lambda i, d: services().oncall.add_incident_responder(
        i, str(d["person_id"])), "joined by another responder"),
    "mitigate": (s.NoteFormSchema,
                 lambda i, d: services().oncall.mitigate_incident(i, d["note"]), "mitigated"),
    "resolve": (s.SummaryFormSchema,
                lambda i, d: services().oncall.resolve_incident(i, d["summary"]), "resolved"),
    "debrief": (s.DebriefFormSchema, lambda i, d: services().oncall.record_debrief(i, d["summary"], [
        {**item, "owner_id": str(item["owner_id"])} for item in d["improvements"]]),
        "debriefed"),
}
"""Each incident button: its form, its command (incident id, loaded form) and what it did."""


# -- runbooks and trainings ----------------------------------------------------------------------

@bp.route("/runbooks", methods=("GET", "POST"))
@login_required
def runbooks() -> str | Response | tuple[str, int]:
    """Runbooks with their sign-off state, and the form to write a category's runbook."""
    if request.method == "POST":
        return handle_form(
            s.RunbookFormSchema(), lambda data: services().oncall.create_runbook(**data),
            success=lambda result: ("Runbook created.",
                                    url_for("oncall.runbook", runbook_id=result["id"])),
            retry=_runbooks_page)
    return _runbooks_page({}, {})


def _runbooks_page(errors: Errors, form: FormInput) -> str:
    books = q.list_runbooks(read_model())
    return render_template("oncall/runbooks.html", runbooks=books, form=form, errors=errors,
                           categories=[c for c in CATEGORIES
                                       if c not in {b["category"] for b in books}])


@bp.post("/runbooks/seed")
@login_required
def seed_runbooks() -> Response | tuple[str, int]:
    """Create the team guide's six runbooks that do not exist yet."""
    back = url_for("oncall.runbooks")
    return handle_form(
        FormSchema(), lambda data: services().oncall.seed_runbooks(), failure="Not done", retry=back,
        success=lambda created: (f"Created {len(created)} runbooks from the team guide.", back))


@bp.route("/runbooks/<runbook_id>", methods=("GET", "POST"))
@login_required
def runbook(runbook_id: str) -> str | Response | tuple[str, int]:
    """A runbook: text, revisions, diff, revise form, sign-offs, history."""
    if request.method == "POST":
        return handle_form(
            s.RevisionFormSchema(),
            lambda data: services().oncall.revise_runbook(runbook_id, data["content"], data["summary"]),
            success=("New revision recorded.", url_for("oncall.runbook", runbook_id=runbook_id)),
            retry=lambda errors, form: _runbook_page(runbook_id, errors, form))
    return _runbook_page(runbook_id, {}, {})


def _runbook_page(runbook_id: str, errors: Errors, form: FormInput) -> str:
    engine = read_model()
    book = q.get_runbook(engine, runbook_id)
    diff = None
    if request.args.get("from") and request.args.get("to"):
        revisions = s.DiffQueryArgsSchema().load(request.args.to_dict())
        diff = q.runbook_diff(engine, runbook_id, revisions["old"], revisions["new"])
    return render_template("oncall/runbook.html", book=book, diff=diff, form=form,
                           errors=errors, sign_offs=SIGN_OFFS, names=q.names(engine),
                           events=history_rows(Runbook, runbook_id),
                           tab=request.args.get("tab", "text"))


@bp.get("/runbooks/<runbook_id>/runbook.md")
@login_required
def runbook_download(runbook_id: str) -> Response:
    """Download the runbook's current revision as a Markdown file."""
    book = q.get_runbook(read_model(), runbook_id)
    response = make_response(book["content"])
    response.mimetype = "text/markdown"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=runbook-{runbook_id}-r{book['revision']}.md")
    return response


@bp.post("/runbooks/<runbook_id>/sign-off")
@login_required
def sign_off(runbook_id: str) -> Response | tuple[str, int]:
    """Sign off the current revision."""
    back = url_for("oncall.runbook", runbook_id=runbook_id)
    return handle_form(
        s.SignOffFormSchema(),
        lambda data: services().oncall.sign_off_runbook(runbook_id, data["kind"]),
        success=lambda result: (f"Signed off as {result['kind']}.", back), retry=back,
        failure="Not signed off")


@bp.route("/trainings", methods=("GET", "POST"))
@login_required
def trainings() -> str | Response | tuple[str, int]:
    """Training sessions, everyone's training status, and the form to record a session."""
    if request.method == "POST":
        return handle_form(
            s.TrainingFormSchema(), lambda data: services().oncall.record_training(
                **{**data, "attendee_ids": [str(p) for p in data["attendee_ids"]]}),
            success=("Training session recorded.", url_for("oncall.trainings")),
            retry=_trainings_page)
    return _trainings_page({}, {})


def _trainings_page(errors: Errors, form: FormInput) -> str:
    engine = read_model()
    return render_template("oncall/trainings.html", sessions=q.list_trainings(engine),
                           status=q.training_report(engine), people=people_queries.list_people(engine),
                           names=q.names(engine), topics=TRAINING_TOPICS, form=form,
                           errors=errors)
