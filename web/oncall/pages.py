"""On-call pages: schedule, rotations, incidents with timeline, runbooks, trainings."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError

from app.errors import DomainError, NotFoundError, PermissionDenied
from app.oncall import queries as q
from app.oncall import schemas as s
from app.people import queries as people_queries
from domain.base import now
from domain.oncall.incident import ACK_TARGET_MINUTES, CATEGORIES, SEVERITIES, Incident
from domain.oncall.rotation import ROLES, Rotation
from domain.oncall.runbook import SIGN_OFFS, TRAINING_TOPICS, Runbook
from web.context import acting, form_data, ledger, login_required, read_model
from web.history import history_rows

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

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
                           notices=q.notices(engine, g.user["id"])[:20],
                           incidents=q.list_incidents(engine)[:10])


@bp.route("/rotations/new", methods=("GET", "POST"))
@login_required
def new_rotation() -> str | Response | tuple[str, int]:
    """Create a rotation (admins)."""
    form = form_data()
    form["roster"] = request.form.getlist("roster") or form.get("roster", "")
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            data = s.RotationFormSchema().load(form)
            data["roster"] = [str(p) for p in data["roster"]]
            with acting():
                result = ledger().create_rotation(**data)
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        except (DomainError, PermissionDenied) as exc:
            errors = {"_form": [exc.message]}
        else:
            flash("Rotation created. Plan it ahead next.")
            return redirect(url_for("oncall.rotation", rotation_id=result["id"]))
    return render_template("oncall/rotation_new.html", form=form, errors=errors,
                           people=people_queries.list_people(read_model()),
                           weekdays=WEEKDAYS), (422 if errors else 200)


def _rotation_page(rotation_id: str, which: str | None = None, form: dict[str, Any] | None = None,
                   errors: Any = None) -> str:
    engine = read_model()
    rotation = q.get_rotation(engine, rotation_id)
    current = now()
    return render_template(
        "oncall/rotation.html", rotation=rotation, tab=request.args.get("tab", "schedule"),
        shifts=_local(q.list_shifts(engine, rotation_id), rotation["timezone"]),
        oncall=q.oncall_at(engine, rotation_id, current),
        gaps=q.coverage_gaps(engine, rotation_id, current, current + timedelta(weeks=4)),
        fairness=q.fairness_report(engine, rotation_id), swaps=q.list_swaps(engine, rotation_id),
        unavailability=q.list_unavailability(engine, rotation_id),
        warnings=q.plan_warnings(engine, rotation_id, current), names=q.names(engine),
        people=people_queries.list_people(engine), events=history_rows(Rotation, rotation_id),
        which=which, form=form or {}, errors=errors or {}, roles=ROLES)


@bp.get("/rotations/<rotation_id>")
@login_required
def rotation(rotation_id: str) -> str:
    """A rotation: schedule, who is on call, gaps, fairness, swaps, forms, history."""
    return _rotation_page(rotation_id)


def _rotation_form(rotation_id: str, which: str, schema: Any,
                   run: Callable[[dict[str, Any]], Any], done: str,
                   reason_field: str | None = None) -> str | Response | tuple[str, int]:
    form = form_data()
    if "roster" in request.form:
        form["roster"] = ",".join(request.form.getlist("roster"))
    try:
        data = schema.load(form)
        with acting(reason=data.pop(reason_field, None) if reason_field else None):
            run(data)
    except ValidationError as exc:
        return _rotation_page(rotation_id, which, form, exc.messages), 422
    except (DomainError, PermissionDenied) as exc:
        return _rotation_page(rotation_id, which, form, {"_form": [exc.message]}), 409
    flash(done)
    return redirect(url_for("oncall.rotation", rotation_id=rotation_id))


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
def plan(rotation_id: str) -> str | Response | tuple[str, int]:
    """Plan ahead."""
    return _rotation_form(rotation_id, "plan", s.PlanFormSchema(), lambda d: ledger().plan_rotation(
        rotation_id, d["weeks"], d["start"]), "Planned. Everyone whose shifts moved is notified.")


@bp.post("/rotations/<rotation_id>/roster")
@login_required
def roster(rotation_id: str) -> str | Response | tuple[str, int]:
    """Replace the roster."""
    return _rotation_form(rotation_id, "roster", s.RosterFormSchema(),
                          lambda d: ledger().change_roster(rotation_id,
                                                           [str(p) for p in d["roster"]]),
                          "Roster changed.")


@bp.post("/rotations/<rotation_id>/unavailability")
@login_required
def unavailable(rotation_id: str) -> str | Response | tuple[str, int]:
    """Declare unavailability."""
    return _rotation_form(rotation_id, "unavailability", s.UnavailabilityFormSchema(),
                          lambda d: ledger().declare_unavailable(
                              rotation_id, str(d["person_id"] or g.user["id"]), d["start"],
                              d["end"]), "Unavailability recorded.")


@bp.post("/rotations/<rotation_id>/override")
@login_required
def override(rotation_id: str) -> str | Response | tuple[str, int]:
    """Override one week's shift."""
    return _rotation_form(rotation_id, "override", s.OverrideFormSchema(),
                          lambda d: ledger().override_shift(
                              rotation_id, d["week_start"].isoformat(), d["role"],
                              str(d["person_id"])), "Shift overridden.", "reason")


@bp.post("/rotations/<rotation_id>/swaps")
@login_required
def swap(rotation_id: str) -> str | Response | tuple[str, int]:
    """Request a swap."""
    def run(d: dict[str, Any]) -> Any:
        back = d["return_week_start"]
        return ledger().request_swap(rotation_id, d["week_start"].isoformat(), d["role"],
                                     str(d["counterpart_id"]), back.isoformat() if back else None)
    return _rotation_form(rotation_id, "swap", s.SwapFormSchema(), run,
                          "Swap requested; it takes effect when accepted.", "reason")


@bp.post("/rotations/<rotation_id>/swaps/<swap_id>/<decision>")
@login_required
def decide_swap(rotation_id: str, swap_id: str, decision: str) -> Response:
    """Accept or decline a swap."""
    if decision not in ("accept", "decline"):
        abort(404)
    try:
        with acting():
            getattr(ledger(), f"{decision}_swap")(rotation_id, swap_id)
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not done: {exc.message}", "error")
    else:
        flash(f"Swap {decision}ed.")
    return redirect(url_for("oncall.rotation", rotation_id=rotation_id))


@bp.post("/rotations/<rotation_id>/policy")
@login_required
def policy(rotation_id: str) -> str | Response | tuple[str, int]:
    """Amend the escalation policy."""
    def run(d: dict[str, Any]) -> Any:
        for key in ("engineering_lead_id", "executive_id"):
            if key in d:
                d[key] = str(d[key]) if d[key] else None
        return ledger().change_escalation_policy(rotation_id, **d)
    return _rotation_form(rotation_id, "policy", s.PolicyFormSchema(), run,
                          "Escalation policy amended; open incidents keep their version.")


# -- incidents -----------------------------------------------------------------------------------

@bp.get("/incidents")
@login_required
def incidents() -> str:
    """Incidents and MTTA/MTTR."""
    engine = read_model()
    group_by = request.args.get("group_by", "severity")
    if group_by not in q.GROUPS:
        group_by = "severity"
    return render_template("oncall/incidents.html", incidents=q.list_incidents(engine),
                           metrics=q.incident_metrics(engine, group_by), group_by=group_by,
                           groups=q.GROUPS)


@bp.route("/incidents/new", methods=("GET", "POST"))
@login_required
def new_incident() -> str | Response | tuple[str, int]:
    """Open an incident or a fire drill."""
    form = form_data()
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            data = s.IncidentFormSchema().load(form)
            data["rotation_id"] = str(data["rotation_id"])
            data["runbook_id"] = str(data["runbook_id"]) if data["runbook_id"] else None
            with acting():
                result = ledger().open_incident(**data)
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        except (DomainError, PermissionDenied, NotFoundError) as exc:
            errors = {"_form": [exc.message]}
        else:
            flash("Incident opened; the primary on call is paged.")
            return redirect(url_for("oncall.incident", incident_id=result["id"]))
    engine = read_model()
    return render_template("oncall/incident_new.html", form=form, errors=errors,
                           rotations=q.list_rotations(engine), runbooks=q.list_runbooks(engine),
                           severities=SEVERITIES, categories=CATEGORIES), (422 if errors else 200)


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
def incident_action(incident_id: str, action: str) -> Response:
    """Acknowledge, escalate (with a reason), mitigate, resolve or debrief."""
    form = form_data()
    try:
        with acting(reason=form.get("reason") if action == "escalate" else None):
            _run_incident_action(incident_id, action, form)
    except ValidationError as exc:
        flash("Not done: " + "; ".join(f"{k}: {' '.join(map(str, v))}"
                                       for k, v in exc.messages.items()), "error")
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not done: {exc.message}", "error")
    else:
        flash(f"Incident {ACTIONS[action]}.")
    return redirect(url_for("oncall.incident", incident_id=incident_id))


ACTIONS = {"assess": "re-assessed", "acknowledge": "acknowledged", "escalate": "escalated", "mitigate": "mitigated",
           "resolve": "resolved", "debrief": "debriefed"}


def _run_incident_action(incident_id: str, action: str, form: dict[str, Any]) -> None:
    if action not in ACTIONS:
        abort(404)
    lg = ledger()
    if action == "assess":
        lg.assess_incident(incident_id, **s.AssessmentFormSchema().load(form))
    elif action == "acknowledge":
        lg.acknowledge_incident(incident_id)
    elif action == "escalate":
        s.ReasonSchema().load({"reason": form.get("reason", "")})
        lg.escalate_incident(incident_id)
    elif action == "mitigate":
        lg.mitigate_incident(incident_id, s.NoteSchema().load({"note": form.get("note", "")})[
            "note"])
    elif action == "resolve":
        lg.resolve_incident(incident_id, s.SummarySchema().load(
            {"summary": form.get("summary", "")})["summary"])
    else:
        improvements = [{"title": t, "owner_id": form.get("owner_id", ""), "priority": "P2"}
                        for t in form.get("improvements", "").splitlines() if t.strip()]
        data = s.DebriefInputSchema().load({"summary": form.get("summary", ""),
                                            "improvements": improvements})
        lg.record_debrief(incident_id, data["summary"], [
            {**i, "owner_id": str(i["owner_id"])} for i in data["improvements"]])


# -- runbooks and trainings ----------------------------------------------------------------------

@bp.route("/runbooks", methods=("GET", "POST"))
@login_required
def runbooks() -> str | Response | tuple[str, int]:
    """Runbooks with their sign-off state, and the form to write a category's runbook."""
    form = form_data()
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            data = s.RunbookInputSchema().load(form)
            with acting():
                result = ledger().create_runbook(**data)
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        except (DomainError, PermissionDenied) as exc:
            errors = {"_form": [exc.message]}
        else:
            flash("Runbook created.")
            return redirect(url_for("oncall.runbook", runbook_id=result["id"]))
    books = q.list_runbooks(read_model())
    return render_template("oncall/runbooks.html", runbooks=books, form=form, errors=errors,
                           categories=[c for c in CATEGORIES
                                       if c not in {b["category"] for b in books}]), (
        422 if errors else 200)


@bp.post("/runbooks/seed")
@login_required
def seed_runbooks() -> Response:
    """Create the team guide's six runbooks that do not exist yet."""
    try:
        with acting():
            created = ledger().seed_runbooks()
    except PermissionDenied as exc:
        flash(f"Not done: {exc.message}", "error")
    else:
        flash(f"Created {len(created)} runbooks from the team guide.")
    return redirect(url_for("oncall.runbooks"))


@bp.route("/runbooks/<runbook_id>", methods=("GET", "POST"))
@login_required
def runbook(runbook_id: str) -> str | Response | tuple[str, int]:
    """A runbook: text, revisions, diff, revise form, sign-offs, history."""
    engine = read_model()
    form = form_data()
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            data = s.RevisionInputSchema().load(form)
            with acting():
                ledger().revise_runbook(runbook_id, data["content"], data["summary"])
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        except (DomainError, PermissionDenied) as exc:
            errors = {"_form": [exc.message]}
        else:
            flash("New revision recorded.")
            return redirect(url_for("oncall.runbook", runbook_id=runbook_id))
    book = q.get_runbook(engine, runbook_id)
    diff = None
    if request.args.get("from") and request.args.get("to"):
        revisions = s.DiffQueryArgsSchema().load(request.args.to_dict())
        diff = q.runbook_diff(engine, runbook_id, revisions["old"], revisions["new"])
    return render_template("oncall/runbook.html", book=book, diff=diff, form=form,
                           errors=errors, sign_offs=SIGN_OFFS, names=q.names(engine),
                           events=history_rows(Runbook, runbook_id),
                           tab=request.args.get("tab", "text")), (422 if errors else 200)


@bp.post("/runbooks/<runbook_id>/sign-off")
@login_required
def sign_off(runbook_id: str) -> Response:
    """Sign off the current revision."""
    try:
        data = s.SignOffInputSchema().load({"kind": request.form.get("kind", "")})
        with acting():
            ledger().sign_off_runbook(runbook_id, data["kind"])
    except ValidationError:
        flash("Not signed off: choose reviewed or validated.", "error")
    except (DomainError, PermissionDenied) as exc:
        flash(f"Not signed off: {exc.message}", "error")
    else:
        flash(f"Signed off as {data['kind']}.")
    return redirect(url_for("oncall.runbook", runbook_id=runbook_id))


@bp.route("/trainings", methods=("GET", "POST"))
@login_required
def trainings() -> str | Response | tuple[str, int]:
    """Training sessions, everyone's training status, and the form to record a session."""
    form = form_data()
    errors: dict[str, Any] = {}
    if request.method == "POST":
        form["topics"] = ",".join(request.form.getlist("topics"))
        form["attendee_ids"] = ",".join(request.form.getlist("attendee_ids"))
        try:
            data = s.TrainingFormSchema().load(form)
            data["attendee_ids"] = [str(p) for p in data["attendee_ids"]]
            with acting():
                ledger().record_training(**data)
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        except (DomainError, PermissionDenied) as exc:
            errors = {"_form": [exc.message]}
        else:
            flash("Training session recorded.")
            return redirect(url_for("oncall.trainings"))
    engine = read_model()
    return render_template("oncall/trainings.html", sessions=q.list_trainings(engine),
                           status=q.training_report(engine), people=people_queries.list_people(engine),
                           names=q.names(engine), topics=TRAINING_TOPICS, form=form,
                           errors=errors), (422 if errors else 200)
