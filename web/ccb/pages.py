"""Change Control Board pages: boards and charters, running a meeting, minutes, decision log.

Server-rendered forms that work without JavaScript; every POST redirects back with a flash.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any, Callable

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy import select

from app.ccb import queries as q
from app.ccb.calendar import board_calendar
from app.ccb.documents import DEFERRAL, render_minutes
from app.ccb.exports import decision_log_csv, decision_log_json
from app.ccb.schemas import (
    ActionInputSchema,
    AgendaInputSchema,
    AttendanceInputSchema,
    BoardFormSchema,
    CastingVoteInputSchema,
    CharterAmendmentSchema,
    CharterQueryArgsSchema,
    DecisionLogQueryArgsSchema,
    FreezeInputSchema,
    MeetingInputSchema,
    ProxyInputSchema,
    SeriesInputSchema,
    VoteInputSchema,
)
from app.errors import DomainError, NotAuthenticated, NotFoundError, PermissionDenied
from app.people import queries as people_queries
from domain.base import now
from domain.ccb.board import DEFAULT_CHARTER, FREQUENCIES, TIE_BREAKERS, WEEKDAYS, Board
from domain.ccb.meeting import (
    CHOICES,
    LIVE_PROXY,
    MODES,
    OUTCOMES,
    Meeting,
    casting_vote_needed,
    tally_of,
)
from domain.reviews.action_item import PRIORITIES
from projections.changes.tables import change_requests
from web.context import acting, form_data, ledger, login_required, read_model
from web.history import history_rows

if TYPE_CHECKING:
    from werkzeug.wrappers import Response as WerkzeugResponse

bp = Blueprint("ccb", __name__)

CHARTER_CHOICES = {"tie_breakers": TIE_BREAKERS, "weekdays": WEEKDAYS,
                   "frequencies": FREQUENCIES}


# -- boards ---------------------------------------------------------------------------------------

@bp.route("/boards/", methods=("GET", "POST"))
@login_required
def boards() -> str | tuple[str, int]:
    """List boards; admins create one."""
    form = form_data()
    errors: dict[str, Any] = {}
    if request.method == "POST":
        form["members"] = ",".join(request.form.getlist("members"))
        try:
            data = BoardFormSchema().load(form)
            with acting():
                result = ledger().create_board(**data)
            flash(f"Board {result['name']} created.")
            return redirect(url_for("ccb.board", board_id=result["id"]))  # type: ignore[return-value]
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        except (DomainError, PermissionDenied) as exc:
            errors = {"_form": [exc.message]}
    engine = read_model()
    return render_template("ccb/boards.html", boards=q.list_boards(engine),
                           people=people_queries.list_people(engine), form=form, errors=errors,
                           selected=request.form.getlist("members"),
                           charter_values=_charter_values(DEFAULT_CHARTER, form),
                           **CHARTER_CHOICES), (422 if errors else 200)


@bp.get("/boards/<board_id>")
@login_required
def board(board_id: str) -> str:
    """A board: members, charter in force, charter history, meetings, emergency approvals."""
    engine = read_model()
    data = q.get_board(engine, board_id)
    names = q.names(engine)
    c = change_requests.c
    with engine.connect() as conn:
        emergencies = [dict(r._mapping) for r in conn.execute(select(
            c.id, c.title, c.status, c.requester_id).where(
            c.board_id == board_id, c.category == "emergency",
            c.status.in_(["submitted", "scheduled", "deferred"])))]
    tab = request.args.get("tab", "details")
    at, at_error = _charter_at(engine, board_id)
    return render_template(
        "ccb/board.html", board=data, names=names, tab=tab, at=at, at_error=at_error,
        charters=q.charter_history(engine, board_id),
        meetings=q.list_meetings(engine, board_id), emergencies=emergencies,
        events=history_rows(Board, board_id) if tab == "history" else [],
        is_chair=g.user["id"] == data["chair_id"] or "admin" in g.user["roles"],
        **CHARTER_CHOICES)


def _charter_at(engine: Any, board_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """The charter in force at ``?at=`` (a UTC date-time), or why it cannot be shown."""
    if not request.args.get("at"):
        return None, None
    try:
        moment = CharterQueryArgsSchema().load({"at": request.args["at"]})["at"]
        return q.charter_at(engine, board_id, moment), None
    except ValidationError:
        return None, "use a date and time such as 2026-03-04T14:00"
    except NotFoundError as exc:
        return None, exc.message


@bp.post("/boards/<board_id>/charter")
@login_required
def amend_charter(board_id: str) -> WerkzeugResponse:
    """Amend the charter (chair or admin) with a reason."""
    form = form_data()
    reason = form.pop("reason", "")
    charter = {k[len("charter_"):]: v for k, v in form.items()
               if k.startswith("charter_") and v not in ("", None)}
    for key in ("proxies_count_toward_quorum", "requester_may_vote"):
        charter[key] = charter.get(key) in ("on", "true", "1")
    return _run(lambda: _amend(board_id, charter, reason), "Charter amended.",
                url_for("ccb.board", board_id=board_id, tab="charter"))


def _amend(board_id: str, charter: dict[str, Any], reason: str) -> None:
    data = CharterAmendmentSchema().load({"charter": charter, "reason": reason})
    with acting(reason=data["reason"]):
        ledger().amend_charter(board_id, data["charter"])


@bp.post("/boards/<board_id>/meetings")
@login_required
def schedule(board_id: str) -> WerkzeugResponse:
    """Schedule an ad-hoc meeting."""
    def run() -> None:
        data = MeetingInputSchema().load({k: v for k, v in form_data().items() if v})
        with acting():
            ledger().schedule_meeting(board_id, **data)
    return _run(run, "Meeting scheduled.", url_for("ccb.board", board_id=board_id))


@bp.post("/boards/<board_id>/meeting-series")
@login_required
def schedule_series(board_id: str) -> WerkzeugResponse:
    """Schedule the next meetings from the charter's cadence."""
    def run() -> None:
        data = SeriesInputSchema().load({k: v for k, v in form_data().items() if v})
        with acting():
            result = ledger().schedule_series(board_id, data["first_day"] or now().date(),
                                              data["count"])
        flash(f"{len(result['meetings'])} meetings scheduled from the cadence.")
    return _run(run, None, url_for("ccb.board", board_id=board_id) + "#meetings")


@bp.get("/boards/<board_id>/calendar.ics")
@login_required
def calendar(board_id: str) -> Response:
    """Download the board's meetings as an iCalendar file."""
    return Response(board_calendar(read_model(), board_id), mimetype="text/calendar",
                    headers={"Content-Disposition": "attachment; filename=ccb-meetings.ics"})


@bp.post("/changes/<change_id>/emergency-approval")
@login_required
def approve_emergency(change_id: str) -> WerkzeugResponse:
    """Approve an emergency change outside a meeting."""
    def run() -> None:
        with acting():
            result = ledger().approve_emergency_change(change_id)
        flash(f"Approval recorded; the change is {result['status']}.")
    return _run(run, None, request.form.get("next") or url_for("ccb.decision_log"))


# -- meetings -------------------------------------------------------------------------------------

@bp.get("/meetings/<meeting_id>")
@login_required
def meeting(meeting_id: str) -> str:
    """Run a meeting: attendance, proxies, agenda, votes, decisions, action items."""
    engine = read_model()
    data = q.get_meeting(engine, meeting_id)
    board_data = q.get_board(engine, data["board_id"])
    tab = request.args.get("tab", "run")
    state = data["state"]
    tallies = {i["change_request_id"]: tally_of(i["votes"].values()) for i in state["items"]}
    return render_template(
        "ccb/meeting.html", meeting=data, board=board_data, names=q.names(engine),
        tallies=tallies, ties={c for c, t in tallies.items()
                               if casting_vote_needed(board_data["charter"], t)},
        my_grantors=[p for p in state["proxies"] if p["holder_id"] == g.user["id"]
                     and p["status"] in LIVE_PROXY],
        changes=q.change_titles(engine), candidates=q.board_changes(engine, board_data["id"]),
        tab=tab, events=history_rows(Meeting, meeting_id) if tab == "history" else [],
        is_chair=g.user["id"] == board_data["chair_id"] or "admin" in g.user["roles"],
        is_member=any(m["person_id"] == g.user["id"] for m in board_data["members"]),
        modes=MODES, choices=CHOICES, priorities=PRIORITIES)


def meeting_action(view: Callable[..., Any]) -> Callable[..., WerkzeugResponse]:
    """A POST on a meeting: run the command, flash the outcome, go back to the meeting."""

    @wraps(view)
    def wrapped(meeting_id: str, **kwargs: Any) -> WerkzeugResponse:
        message = view.__doc__.split(":")[0] if view.__doc__ else "Done."
        return _run(lambda: view(meeting_id, **kwargs), message,
                    url_for("ccb.meeting", meeting_id=meeting_id) + "#" + kwargs.get(
                        "change_id", "top"))

    return login_required(wrapped)


@bp.post("/meetings/<meeting_id>/open")
@meeting_action
def open_meeting(meeting_id: str) -> None:
    """Meeting opened: the agenda includes queued deferrals and ratifications."""
    with acting():
        ledger().open_meeting(meeting_id)


@bp.post("/meetings/<meeting_id>/close")
@meeting_action
def close_meeting(meeting_id: str) -> None:
    """Meeting closed: undecided items are deferred to the next meeting."""
    with acting():
        ledger().close_meeting(meeting_id)


@bp.post("/meetings/<meeting_id>/attendance")
@meeting_action
def attend(meeting_id: str) -> None:
    """Attendance recorded."""
    data = AttendanceInputSchema().load(form_data())
    with acting():
        ledger().record_attendance(meeting_id, **data)


@bp.post("/meetings/<meeting_id>/proxies")
@meeting_action
def give_proxy(meeting_id: str) -> None:
    """Proxy given."""
    data = ProxyInputSchema().load(form_data())
    with acting():
        ledger().give_proxy(meeting_id, **data)


@bp.post("/meetings/<meeting_id>/proxies/<proxy_id>/revoke")
@meeting_action
def revoke_proxy(meeting_id: str, proxy_id: str) -> None:
    """Proxy revoked."""
    with acting():
        ledger().revoke_proxy(meeting_id, proxy_id)


@bp.post("/meetings/<meeting_id>/agenda")
@meeting_action
def add_item(meeting_id: str) -> None:
    """Change request added to the agenda."""
    data = AgendaInputSchema().load(form_data())
    with acting():
        ledger().add_agenda_item(meeting_id, data["change_request_id"])


@bp.post("/meetings/<meeting_id>/items/<change_id>/votes")
@meeting_action
def vote(meeting_id: str, change_id: str) -> None:
    """Vote recorded."""
    data = VoteInputSchema().load(form_data())
    with acting():
        ledger().cast_vote(meeting_id, change_id, **data)


@bp.post("/meetings/<meeting_id>/items/<change_id>/decide")
@meeting_action
def decide(meeting_id: str, change_id: str) -> None:
    """Item decided."""
    with acting():
        result = ledger().decide_item(meeting_id, change_id)
    flash(f"Outcome: {result['outcome']}.")


@bp.post("/meetings/<meeting_id>/items/<change_id>/casting-vote")
@meeting_action
def casting_vote(meeting_id: str, change_id: str) -> None:
    """Casting vote recorded: the item is decided."""
    data = CastingVoteInputSchema().load(form_data())
    with acting():
        ledger().cast_deciding_vote(meeting_id, change_id, data["choice"])


@bp.post("/meetings/<meeting_id>/action-items")
@meeting_action
def raise_action(meeting_id: str) -> None:
    """Action item raised."""
    data = ActionInputSchema().load(form_data())
    with acting():
        ledger().raise_meeting_action(meeting_id, **data)


@bp.get("/meetings/<meeting_id>/minutes")
@login_required
def minutes(meeting_id: str) -> str:
    """The meeting's minutes, generated from its events."""
    engine = read_model()
    return render_template("ccb/minutes.html", meeting=q.get_meeting(engine, meeting_id),
                           text=render_minutes(engine, meeting_id))


@bp.get("/meetings/<meeting_id>/minutes.md")
@login_required
def minutes_download(meeting_id: str) -> Response:
    """Download the minutes as a Markdown file."""
    text = render_minutes(read_model(), meeting_id)
    return Response(text, mimetype="text/markdown", headers={
        "Content-Disposition": f"attachment; filename=ccb-minutes-{meeting_id}.md"})


# -- change calendar ------------------------------------------------------------------------------

@bp.route("/change-calendar", methods=("GET", "POST"))
@login_required
def change_calendar() -> str | tuple[str, int]:
    """Approved and scheduled changes, freeze windows, conflicts; admins declare freezes."""
    form = form_data()
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            data = FreezeInputSchema().load(form)
            reason = data.pop("reason")
            with acting(reason=reason):
                ledger().declare_freeze(**data)
            flash("Freeze window declared.")
            return redirect(url_for("ccb.change_calendar"))  # type: ignore[return-value]
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        except (DomainError, PermissionDenied) as exc:
            errors = {"_form": [exc.message]}
    engine = read_model()
    return render_template("ccb/calendar.html", calendar=q.change_calendar(engine),
                           changes=q.change_titles(engine), form=form,
                           errors=errors), (422 if errors else 200)


@bp.post("/change-calendar/freezes/<freeze_id>/lift")
@login_required
def lift_freeze(freeze_id: str) -> WerkzeugResponse:
    """Lift a freeze window (admins)."""
    def run() -> None:
        with acting(reason=request.form.get("reason") or None):
            ledger().lift_freeze(freeze_id)
    return _run(run, "Freeze window lifted.", url_for("ccb.change_calendar"))


# -- decision log ---------------------------------------------------------------------------------

def _decision_rows() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    try:
        args = DecisionLogQueryArgsSchema().load(request.args.to_dict())
        errors: dict[str, Any] = {}
    except ValidationError as exc:
        args, errors = {}, exc.messages  # type: ignore[assignment]
    args.pop("format", None)
    return q.list_decisions(read_model(), **args), errors


@bp.get("/decision-log")
@login_required
def decision_log() -> str:
    """Every decision, with filters and downloads."""
    rows, errors = _decision_rows()
    engine = read_model()
    return render_template("ccb/decision_log.html", rows=rows, errors=errors,
                           args=request.args, boards=q.list_boards(engine),
                           names=q.names(engine), outcomes=OUTCOMES,
                           deferral_reasons=DEFERRAL)


@bp.get("/decision-log.csv")
@login_required
def decision_log_csv_download() -> Response:
    """The filtered decision log as CSV."""
    rows, _ = _decision_rows()
    return Response(decision_log_csv(rows), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=decision-log.csv"})


@bp.get("/decision-log.json")
@login_required
def decision_log_json_download() -> Response:
    """The filtered decision log as JSON."""
    rows, _ = _decision_rows()
    return Response(decision_log_json(rows), mimetype="application/json", headers={
        "Content-Disposition": "attachment; filename=decision-log.json"})


# -- helpers --------------------------------------------------------------------------------------

def _charter_values(base: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The charter fields to show: ``base`` overlaid with what the form sent."""
    if not form:
        return dict(base)
    sent = {k[len("charter_"):]: v for k, v in form.items() if k.startswith("charter_")}
    for key in ("proxies_count_toward_quorum", "requester_may_vote"):
        sent[key] = sent.get(key) in ("on", "true", "1")
    return {**base, **sent}


def _run(command: Callable[[], Any], message: str | None, target: str) -> WerkzeugResponse:
    """Run a command; flash success or the refused rule / invalid fields; redirect."""
    try:
        command()
    except ValidationError as exc:
        flash(f"Not saved: {_fields(exc.messages)}", "error")
    except (DomainError, PermissionDenied) as exc:
        flash(f"Refused ({exc.code}): {exc.message}", "error")
    except NotAuthenticated:
        raise
    else:
        if message:
            flash(message)
    return redirect(target)


def _fields(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {_fields(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return " ".join(str(m) for m in messages)
    return str(messages)

