"""Change Control Board pages: boards and charters, running a meeting, minutes, decision log.

Server-rendered forms that work without JavaScript: the board and freeze forms show their
errors next to the fields; the meeting's buttons and small forms redirect back with a flash.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Callable

from flask import (
    Blueprint,
    Response,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from marshmallow import ValidationError

from app import calendar_grid as grid
from app.ccb import queries as q
from app.ccb.calendar import board_calendar
from app.ccb.documents import DEFERRAL, render_minutes
from app.ccb.exports import decision_log_csv_lines, decision_log_json_chunks
from app.ccb.schemas import (
    ActionFormSchema,
    AgendaFormSchema,
    AttendanceFormSchema,
    BoardFormSchema,
    CastingVoteFormSchema,
    ChangeCalendarQueryArgsSchema,
    CharterAmendmentFormSchema,
    CharterQueryArgsSchema,
    DecisionLogQueryArgsSchema,
    FreezeFormSchema,
    LiftFreezeFormSchema,
    MeetingFormSchema,
    MemberFunctionFormSchema,
    MemberJoinFormSchema,
    MemberLeaveFormSchema,
    ProxyFormSchema,
    SeriesFormSchema,
    VoteFormSchema,
    calendar_range,
)
from app.paging import DEFAULT_LIMIT, PageQueryArgsSchema
from app.people import queries as people_queries
from app.schemas import FormSchema
from domain.base import now
from domain.ccb.board import DEFAULT_CHARTER, FREQUENCIES, TIE_BREAKERS, WEEKDAYS, Board
from domain.ccb.meeting import (
    CHOICES,
    LIVE_PROXY,
    MODES,
    OUTCOMES,
    Meeting,
    casting_vote_needed,
    quorum_shortfall,
    quorum_snapshot,
    tally_of,
    timebox_ran_out,
)
from domain.errors import InvalidInput, NotFound
from domain.people.person import FUNCTIONS
from domain.reviews.action_item import PRIORITIES
from web.context import acting, at_position, login_required, read_model, services, view_now
from web.errors import describe
from web.forms import REFUSALS, handle_form, messages, query_args, submitted, summary, validate
from web.history import history_rows
from web.links import url_for as link
from web.messages import rule_message
from web.redirects import local_path

if TYPE_CHECKING:
    from collections.abc import Iterator

    from marshmallow import Schema
    from werkzeug.wrappers import Response as WerkzeugResponse

    from web.forms import Errors, FormInput

bp = Blueprint("ccb", __name__)

CHARTER_CHOICES = {"tie_breakers": TIE_BREAKERS, "weekdays": WEEKDAYS,
                   "frequencies": FREQUENCIES}


# -- boards ---------------------------------------------------------------------------------------

@bp.route("/boards/", methods=("GET", "POST"))
@login_required
def boards() -> str | WerkzeugResponse | tuple[str, int]:
    """List boards; admins create one."""
    if request.method == "POST":
        return handle_form(
            BoardFormSchema(), lambda data: services().ccb.create_board(**data),
            success=lambda result: (f"Board {result['name']} created.",
                                    url_for("ccb.board", board_id=result["id"])),
            retry=_boards_page)
    return _boards_page({}, {})


def _boards_page(errors: Errors, form: FormInput) -> str:
    engine = read_model()
    members = form.get("members", [])
    return render_template("ccb/boards.html", boards=q.list_boards(engine),
                           people=people_queries.list_people(engine), form=form, errors=errors,
                           selected=[members] if isinstance(members, str) else members,
                           charter_values=_charter_values(DEFAULT_CHARTER, form),
                           **CHARTER_CHOICES)


@bp.get("/boards/<board_id>")
@login_required
def board(board_id: str) -> str:
    """A board: members, charter in force, charter history, meetings, emergency approvals."""
    return _board_page(board_id, {}, {})


def _board_page(board_id: str, errors: Errors, form: FormInput) -> str:
    """The board page; ``errors`` and ``form`` belong to the charter amendment form."""
    engine = read_model()
    data = q.get_board(engine, board_id)
    names = q.names(engine)
    emergencies = q.open_emergency_changes(engine, board_id)
    tab = request.args.get("tab", "details")
    at, at_error = _charter_at(engine, board_id)
    args, page_errors = validate(PageQueryArgsSchema(), request.args.to_dict())
    page = q.meeting_page(engine, board_id, **(args or {}))
    return render_template(
        "ccb/board.html", board=data, names=names, tab=tab, at=at, at_error=at_error,
        charters=q.charter_history(engine, board_id),
        meetings=page["items"], meeting_page=page, page_errors=page_errors,
        emergencies=emergencies,
        events=history_rows(Board, board_id) if tab == "history" else [],
        is_chair=g.user["id"] == data["chair_id"] or "admin" in g.user["roles"],
        is_admin="admin" in g.user["roles"], functions=FUNCTIONS,
        people=people_queries.list_people(engine) if tab == "membership" else [],
        membership=q.membership_history(engine, board_id) if tab == "membership" else [],
        seated=_members_at(engine, board_id) if tab == "membership" else (None, None),
        amend_errors=errors, amend_form=form, charter_values=_charter_values(data["charter"], form),
        **CHARTER_CHOICES)


def _board_at(arg: str, read: Callable[[Any, str, Any], Any], engine: Any,
              board_id: str) -> tuple[Any, str | None]:
    """What ``read`` gives for the board at the moment in ``?<arg>=`` (a UTC date-time), or why
    it cannot be shown; ``(None, None)`` without the argument."""
    if not request.args.get(arg):
        return None, None
    args, _ = validate(CharterQueryArgsSchema(), {"at": request.args[arg]})
    if args is None:
        return None, "use a date and time such as 2026-03-04T14:00"
    try:
        return read(engine, board_id, args["at"]), None
    except NotFound as exc:  # a moment before the board existed
        return None, exc.message


def _charter_at(engine: Any, board_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """The charter in force at ``?at=``, or why it cannot be shown."""
    return _board_at("at", q.charter_at, engine, board_id)


def _members_at(engine: Any, board_id: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    """Who sat on the board at ``?members_at=``, or why it cannot be shown."""
    return _board_at("members_at", q.members_at, engine, board_id)


def _membership_form(board_id: str, schema: Schema, run: Callable[[dict[str, Any]], Any],
                     done: str) -> WerkzeugResponse | tuple[str, int]:
    back = url_for("ccb.board", board_id=board_id, tab="membership")
    return handle_form(schema, run, reason="reason", success=(done, back), retry=back,
                       failure="Refused")


@bp.post("/boards/<board_id>/members")
@login_required
def add_member(board_id: str) -> WerkzeugResponse | tuple[str, int]:
    """A person joins the board (admins), with a reason."""
    return _membership_form(board_id, MemberJoinFormSchema(), lambda data: services().ccb
                            .add_board_member(board_id, data["person_id"], data["function"]),
                            "Member added.")


@bp.post("/boards/<board_id>/members/<person_id>/leave")
@login_required
def remove_member(board_id: str, person_id: str) -> WerkzeugResponse | tuple[str, int]:
    """A member leaves the board (admins), with a reason."""
    return _membership_form(board_id, MemberLeaveFormSchema(), lambda data: services().ccb
                            .remove_board_member(board_id, person_id), "Member left the board.")


@bp.post("/boards/<board_id>/members/<person_id>/function")
@login_required
def change_member_function(board_id: str, person_id: str) -> WerkzeugResponse | tuple[str, int]:
    """A member changes the function they hold on the board (admins), with a reason."""
    return _membership_form(board_id, MemberFunctionFormSchema(), lambda data: services().ccb
                            .change_member_function(board_id, person_id, data["function"]),
                            "Function changed.")


@bp.post("/boards/<board_id>/charter")
@login_required
def amend_charter(board_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Amend the charter (chair or admin) with a reason."""
    return handle_form(
        CharterAmendmentFormSchema(),
        lambda data: services().ccb.amend_charter(board_id, data["charter"]), reason="reason",
        success=("Charter amended.", url_for("ccb.board", board_id=board_id, tab="charter")),
        retry=lambda errors, form: _board_page(board_id, errors, form))


@bp.post("/boards/<board_id>/meetings")
@login_required
def schedule(board_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Schedule an ad-hoc meeting."""
    back = url_for("ccb.board", board_id=board_id) + "#meetings"
    return handle_form(MeetingFormSchema(),
                       lambda data: services().ccb.schedule_meeting(board_id, **data),
                       success=("Meeting scheduled.", back), retry=back, failure="Refused")


@bp.post("/boards/<board_id>/meeting-series")
@login_required
def schedule_series(board_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Schedule the next meetings from the charter's cadence."""
    back = url_for("ccb.board", board_id=board_id) + "#meetings"
    return handle_form(
        SeriesFormSchema(), lambda data: services().ccb.schedule_series(
            board_id, data["first_day"] or now().date(), data["count"]),
        success=lambda result: (f"{len(result['meetings'])} meetings scheduled from the "
                                "cadence.", back),
        retry=back, failure="Refused")


@bp.get("/boards/<board_id>/calendar.ics")
@login_required
def calendar(board_id: str) -> Response:
    """Download the board's meetings (the last 92 days and the next 366) as an iCalendar
    file."""
    return Response(board_calendar(read_model(), board_id, now()), mimetype="text/calendar",
                    headers={"Content-Disposition": "attachment; filename=ccb-meetings.ics"})


@bp.post("/changes/<change_id>/emergency-approval")
@login_required
def approve_emergency(change_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Approve an emergency change outside a meeting."""
    back = local_path(request.form.get("next"), url_for("ccb.decision_log"))
    return handle_form(
        FormSchema(), lambda data: services().ccb.approve_emergency_change(change_id),
        success=lambda result: (f"Approval recorded; the change is {result['status']}.", back),
        retry=back, failure="Refused")


# -- meetings -------------------------------------------------------------------------------------

@bp.get("/meetings/<meeting_id>")
@login_required
def meeting(meeting_id: str) -> str:
    """Run a meeting: live quorum, attendance, proxies, agenda with tallies and only the actions
    that apply now (with the reason where one does not), decisions, action items."""
    engine = read_model()
    data = q.get_meeting(engine, meeting_id)
    board_data = q.get_board(engine, data["board_id"])
    tab = request.args.get("tab", "run")
    state = data["state"]
    members = {m["person_id"]: m["function"] for m in board_data["members"]}
    quorum = quorum_snapshot({a["person_id"]: a["function"] for a in state["attendance"]},
                             state["proxies"], members, board_data["charter"])
    tallies = {i["change_request_id"]: tally_of(i["votes"].values()) for i in state["items"]}
    is_chair = g.user["id"] == board_data["chair_id"] or "admin" in g.user["roles"]
    notice = session.get("ccb_item_notice")
    if notice and notice.get("meeting_id") == meeting_id:
        session.pop("ccb_item_notice")
    else:
        notice = None
    present = {a["person_id"] for a in state["attendance"]}
    return render_template(
        "ccb/meeting.html", meeting=data, board=board_data, names=q.names(engine),
        tallies=tallies, quorum=quorum, shortfall=quorum_shortfall(quorum, members),
        members=members, present=present, notice=notice,
        actions={i["change_request_id"]: _item_actions(
            i, tallies[i["change_request_id"]], board_data, state, quorum, present, is_chair)
            for i in state["items"]},
        undecided=[i for i in state["items"] if i["decision"] is None],
        changes=q.change_titles(engine, [i["change_request_id"] for i in state["items"]] + [
            a.get("change_request_id") for a in state.get("actions", [])]),
        candidates=q.board_changes(engine, board_data["id"]),
        tab=tab, events=history_rows(Meeting, meeting_id) if tab == "history" else [],
        is_chair=is_chair, is_member=g.user["id"] in members,
        timebox_over=timebox_ran_out(data["opened_at"], board_data["charter"], now()),
        modes=MODES, choices=CHOICES, priorities=PRIORITIES)


def _item_actions(item: dict[str, Any], tally: dict[str, int], board_data: dict[str, Any],
                  state: dict[str, Any], quorum: dict[str, Any], present: set[str],
                  is_chair: bool) -> dict[str, Any]:
    """What the signed-in person may do on an undecided item now, and why not where not:
    ``vote`` (with the grantors they may vote for), ``decide``, ``casting`` and ``why``
    (one sentence per action not offered). The rules are the domain's: a vote needs the voter
    present and no conflict; a proxy vote needs the holder present and the grantor absent;
    a decision needs quorum; a tie the chair breaks waits for the casting vote."""
    me, charter = g.user["id"], board_data["charter"]
    members = {m["person_id"] for m in board_data["members"]}
    conflict = item["requester_id"] == me and not charter["requester_may_vote"]
    grantors = [p for p in state["proxies"] if p["holder_id"] == me
                and p["status"] in LIVE_PROXY and p["grantor_id"] not in present
                and not (item["requester_id"] == p["grantor_id"]
                         and not charter["requester_may_vote"])]
    why: list[str] = []
    vote = me in members and me in present and not conflict
    if me in members and me not in present:
        why.append("Check in (Attendance above) to vote.")
    elif conflict:
        why.append("You requested this change; the charter does not let you vote on it.")
    tied = tally["approve"] == tally["reject"]
    no_votes = tally["approve"] == tally["reject"] == 0
    waits_for_chair = casting_vote_needed(charter, tally)
    decide = casting = False
    if is_chair:
        if not quorum["met"]:
            why.append("Cannot be decided yet: quorum is not met — " + "; ".join(
                gap.split(" (")[0] for gap in quorum_shortfall(quorum, {
                    m["person_id"]: m["function"] for m in board_data["members"]}))
                + " (see Quorum above).")
        elif waits_for_chair and no_votes:
            why.append("No approve or reject votes yet: nothing to decide or break.")
        elif waits_for_chair:
            casting = me == board_data["chair_id"]
            if not casting:
                why.append("The votes are tied: the chair casts the deciding vote.")
        else:
            decide = True
    return {"vote": vote, "grantors": grantors if (me in present) else [],
            "decide": decide, "casting": casting, "tied": tied and not no_votes,
            "why": why}


def _on_item(meeting_id: str, change_id: str, schema: Schema,
             run: Callable[[dict[str, Any]], Any],
             done: str | Callable[[Any], str]) -> WerkzeugResponse:
    """A POST on one agenda item: run the command, then go back to the item with the outcome
    shown inside the item's block (a refusal says why there, next to the item, not only at the
    top of the page); nothing is recorded when it is refused."""
    back = url_for("ccb.meeting", meeting_id=meeting_id) + "#" + change_id
    sent = submitted()
    try:
        data = schema.load(sent)
        with acting():
            result = run(data)
    except ValidationError as exc:
        text, ok = f"Refused: {summary(messages(exc))}", False
    except InvalidInput as exc:
        text, ok = f"Refused: {summary(dict(exc.details))}", False
    except REFUSALS as exc:
        _, code, message, details = describe(exc)
        text, ok = f"Refused: {_refusal(code, message, details)}", False
    else:
        text, ok = (done(result) if callable(done) else done), True
    session["ccb_item_notice"] = {"meeting_id": meeting_id, "item": change_id, "text": text,
                                  "ok": ok}
    return redirect(back)


def _refusal(code: str, message: str, details: dict[str, Any]) -> str:
    """The catalogue's sentence for a refused item command, with what the rule's own message
    says is missing after its colon ("… quorum yet — needs 1 more member.")."""
    said = rule_message(code, message, details)
    _, colon, specifics = message.partition(": ")
    if colon and specifics.strip() and specifics.strip() not in said:
        return f"{said.rstrip('.')} — {specifics.strip().rstrip('.')}."
    return said


def _on_meeting(meeting_id: str, schema: Schema, run: Callable[[dict[str, Any]], Any],
                done: str | Callable[[Any], str],
                anchor: str = "top") -> WerkzeugResponse | tuple[str, int]:
    """A POST on a meeting: run the command, flash the outcome, go back to the meeting."""
    back = url_for("ccb.meeting", meeting_id=meeting_id) + "#" + anchor
    return handle_form(
        schema, run, retry=back, failure="Refused",
        success=lambda result: (done(result) if callable(done) else done, back))


@bp.post("/meetings/<meeting_id>/open")
@login_required
def open_meeting(meeting_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Open the meeting."""
    return _on_meeting(meeting_id, FormSchema(), lambda data: services().ccb.open_meeting(meeting_id),
                       "Meeting opened: the agenda includes queued deferrals and ratifications.")


@bp.post("/meetings/<meeting_id>/close")
@login_required
def close_meeting(meeting_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Close the meeting."""
    return _on_meeting(meeting_id, FormSchema(), lambda data: services().ccb.close_meeting(meeting_id),
                       "Meeting closed: undecided items are deferred to the next meeting.")


@bp.post("/meetings/<meeting_id>/attendance")
@login_required
def attend(meeting_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Record someone's attendance."""
    return _on_meeting(meeting_id, AttendanceFormSchema(),
                       lambda data: services().ccb.record_attendance(meeting_id, **data),
                       "Attendance recorded.")


@bp.post("/meetings/<meeting_id>/proxies")
@login_required
def give_proxy(meeting_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Give a proxy for this meeting."""
    return _on_meeting(meeting_id, ProxyFormSchema(),
                       lambda data: services().ccb.give_proxy(meeting_id, **data), "Proxy given.")


@bp.post("/meetings/<meeting_id>/proxies/<proxy_id>/revoke")
@login_required
def revoke_proxy(meeting_id: str, proxy_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Revoke a proxy."""
    return _on_meeting(meeting_id, FormSchema(),
                       lambda data: services().ccb.revoke_proxy(meeting_id, proxy_id), "Proxy revoked.")


@bp.post("/meetings/<meeting_id>/agenda")
@login_required
def add_item(meeting_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Add a change request to the agenda."""
    return _on_meeting(meeting_id, AgendaFormSchema(),
                       lambda data: services().ccb.add_agenda_item(meeting_id, data["change_request_id"]),
                       "Change request added to the agenda.")


@bp.post("/meetings/<meeting_id>/items/<change_id>/votes")
@login_required
def vote(meeting_id: str, change_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Vote on an agenda item (optionally as proxy holder)."""
    return _on_item(meeting_id, change_id, VoteFormSchema(),
                    lambda data: services().ccb.cast_vote(meeting_id, change_id, **data),
                    "Vote recorded.")


@bp.post("/meetings/<meeting_id>/items/<change_id>/decide")
@login_required
def decide(meeting_id: str, change_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Decide an agenda item from its votes."""
    return _on_item(meeting_id, change_id, FormSchema(),
                    lambda data: services().ccb.decide_item(meeting_id, change_id),
                    lambda result: f"Item decided. Outcome: {result['outcome']}.")


@bp.post("/meetings/<meeting_id>/items/<change_id>/casting-vote")
@login_required
def casting_vote(meeting_id: str, change_id: str) -> WerkzeugResponse | tuple[str, int]:
    """The chair's casting vote on a tie."""
    return _on_item(
        meeting_id, change_id, CastingVoteFormSchema(),
        lambda data: services().ccb.cast_deciding_vote(meeting_id, change_id, data["choice"]),
        "Casting vote recorded: the item is decided.")


@bp.post("/meetings/<meeting_id>/action-items")
@login_required
def raise_action(meeting_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Raise an action item in the meeting."""
    return _on_meeting(meeting_id, ActionFormSchema(),
                       lambda data: services().ccb.raise_meeting_action(meeting_id, **data),
                       "Action item raised.")


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
def change_calendar() -> str | WerkzeugResponse | tuple[str, int]:
    """Approved and scheduled changes, freeze windows, conflicts; admins declare freezes."""
    if request.method == "POST":
        return handle_form(FreezeFormSchema(), lambda data: services().ccb.declare_freeze(**data),
                           reason="reason", retry=_calendar_page,
                           success=("Freeze window declared.", url_for("ccb.change_calendar")))
    return _calendar_page({}, {})


def _calendar_page(errors: Errors, form: FormInput) -> str:
    """The month grid (default), the week grid (``?week=``) or the list (``?view=list``)."""
    engine = read_model()
    view = _calendar_view()
    shown: dict[str, Any] = {}
    if view == "list":
        calendar = q.change_calendar(engine, *_listed_range())
        freezes = calendar["freezes"]
    else:
        shown = _calendar_grid(view)
        calendar = q.change_calendar(engine, *shown["span"].bounds)
        shown.update(_place(shown["span"], calendar))
        freezes = q.list_freezes(engine, start=now())  # in force or ahead: what may be lifted
    named = [i for c in calendar["conflicts"] for i in c["change_request_ids"]]
    return render_template("ccb/calendar.html", calendar=calendar, view=view, grid=shown,
                           freezes=freezes, changes=q.change_titles(engine, named), form=form,
                           errors=errors)


def _listed_range() -> tuple[Any, Any]:
    """The list view's ``[from, to)`` (the API's defaults and limits).

    :raise InvalidInput: naming ``from`` or ``to`` when one is not a time or the range is too
        long."""
    return calendar_range(query_args(ChangeCalendarQueryArgsSchema(), ("from", "to")),
                          view_now())


def _calendar_view() -> str:
    if request.args.get("view") == "list":
        return "list"
    return "week" if request.args.get("week") or request.args.get("view") == "week" else "month"


def _calendar_grid(view: str) -> dict[str, Any]:
    """The month or ISO week shown, its days and the prev/next/today links' values."""
    today = now().date()
    if view == "week":
        return _week_grid(grid.parse_week(request.args.get("week"), today), today)
    return _month_grid(grid.parse_month(request.args.get("month"), today), today)


def _week_grid(monday: date, today: date) -> dict[str, Any]:
    label = grid.week_label(monday)
    return {"span": grid.week_span(monday), "label": label, "title": f"Week {label}",
            "prev": {"week": grid.week_label(monday - timedelta(weeks=1))},
            "next": {"week": grid.week_label(monday + timedelta(weeks=1))},
            "today": {"week": grid.week_label(today)}, "month": None, "day": today,
            "other": {"month": grid.month_label(monday)}}


def _month_grid(first: date, today: date) -> dict[str, Any]:
    this_month = (today.year, today.month) == (first.year, first.month)
    return {"span": grid.month_span(first), "label": grid.month_label(first),
            "title": first.strftime("%B %Y"), "month": first.month, "day": today,
            "prev": {"month": grid.month_label(grid.add_months(first, -1))},
            "next": {"month": grid.month_label(grid.add_months(first, 1))},
            "today": {"month": grid.month_label(today)},
            "other": {"week": grid.week_label(today if this_month else first)}}


def _place(span: grid.Span, calendar: dict[str, Any]) -> dict[str, Any]:
    """Each day's changes (with their conflicts) and freeze windows."""
    overlaps: dict[str, list[str]] = {}
    frozen: dict[str, list[str]] = {}
    for c in calendar["conflicts"]:
        ids = c["change_request_ids"]
        if c["kind"] == "overlap":
            overlaps.setdefault(ids[0], []).append(ids[1])
            overlaps.setdefault(ids[1], []).append(ids[0])
        else:
            frozen.setdefault(ids[0], []).append(c["freeze_id"])
    changes = grid.by_day(span, calendar["changes"], "planned_start", "planned_end")
    freezes = grid.by_day(span, calendar["freezes"], "start", "end")
    return {"weeks": span.weeks(), "changes": changes, "freezes": freezes,
            "overlaps": overlaps, "frozen": frozen,
            "titles": {c["id"]: c["title"] for c in calendar["changes"]}}


@bp.post("/change-calendar/freezes/<freeze_id>/lift")
@login_required
def lift_freeze(freeze_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Lift a freeze window (admins)."""
    back = url_for("ccb.change_calendar")
    return handle_form(LiftFreezeFormSchema(), lambda data: services().ccb.lift_freeze(freeze_id),
                       reason="reason", success=("Freeze window lifted.", back), retry=back,
                       failure="Refused")


# -- decision log ---------------------------------------------------------------------------------

EXPORT_ONLY = ("format", "limit", "offset")


def _decision_args() -> tuple[dict[str, Any], dict[str, Any]]:
    args, errors = validate(DecisionLogQueryArgsSchema(), request.args.to_dict())
    args = dict(args or {})
    args.pop("format", None)
    return args, errors


def _download(chunks: Iterator[str], mimetype: str, filename: str) -> Response:
    """A streamed download: the rows are read and written a batch at a time (the read model's
    engine is chosen before the response starts, so the rows need no request context)."""
    return Response(chunks, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={filename}"})


def _every_decision() -> Iterator[dict[str, Any]]:
    args, _ = _decision_args()
    for key in EXPORT_ONLY:
        args.pop(key, None)
    return q.iter_decisions(read_model(), **args)


@bp.get("/decision-log")
@login_required
def decision_log() -> str:
    """The decision log, a page at a time, with filters and downloads."""
    args, errors = _decision_args()
    engine = read_model()
    page = q.decision_log(engine, columns=q.LOGGED, **args) if not errors else q.decision_log(
        engine, limit=DEFAULT_LIMIT, offset=0, columns=q.LOGGED)
    names = q.names_of(engine, _people_of(page["items"]))
    return render_template("ccb/decision_log.html", page=page,
                           rows=[_logged(d, names) for d in page["items"]],
                           errors=errors, args=request.args,
                           boards=at_position("ccb", ("board-choices",),
                                              lambda: q.board_choices(engine)),
                           outcomes=OUTCOMES)


def _logged(d: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A decision as the log page shows it: its cells' texts and links worked out here, in
    one plain function, rather than by the template's expressions cell by cell (a page shows
    50-500 rows). The template escapes every text."""
    quorum, tally = d.get("quorum"), d.get("tally")
    reason = None
    if d.get("reason"):
        reason = DEFERRAL.get(d["reason"], d["reason"])
        if quorum and not quorum.get("met"):
            reason += "; quorum not met"
    if quorum:
        shown = (f"{'met' if quorum.get('met') else 'not met'}: "
                 f"{len(quorum.get('present') or ())} present, "
                 f"{', '.join(str(f) for f in quorum.get('functions') or ())}")
        if quorum.get("proxies"):
            shown += "; proxies: " + ", ".join(
                f"{names.get(p.get('holder_id'))} for {names.get(p.get('grantor_id'))}"
                for p in quorum["proxies"])
    else:
        shown = "out of meeting"
    versions = ", ".join(str(v) for v in (d.get("evidence") or {}).get("event_versions", ()))
    change_id = d["change_request_id"]
    if d.get("meeting_id"):
        evidence = (link("ccb.meeting", meeting_id=d["meeting_id"], tab="history"),
                    f"meeting events {versions}")
    else:
        evidence = (link("changes.detail", change_id=change_id, tab="history"),
                    f"change request events {versions}")
    return {**d, "decider": names.get(d.get("decided_by"), ""),
            "change_href": link("changes.detail", change_id=change_id),
            "reason_text": reason,
            "tally_text": "/".join(str(tally.get(k, "")) for k in ("approve", "reject", "abstain"))
            if tally else "",
            "quorum_text": shown,
            "tie_text": (d.get("tie_break") or "—") + (
                f" ({d['casting_vote']})" if d.get("casting_vote") else ""),
            "evidence_href": evidence[0], "evidence_text": evidence[1]}


def _people_of(rows: list[dict[str, Any]]) -> set[str]:
    """The people a page of decisions names: deciders and proxies."""
    found = set()
    for d in rows:
        found.add(d["decided_by"])
        for p in (d.get("quorum") or {}).get("proxies", []):
            found.update((p["holder_id"], p["grantor_id"]))
    return {p for p in found if p}


@bp.get("/decision-log.csv")
@login_required
def decision_log_csv_download() -> Response:
    """The filtered decision log as CSV (every matching decision, streamed)."""
    return _download(decision_log_csv_lines(_every_decision()), "text/csv",
                     "decision-log.csv")


@bp.get("/decision-log.json")
@login_required
def decision_log_json_download() -> Response:
    """The filtered decision log as JSON (every matching decision, streamed)."""
    return _download(decision_log_json_chunks(_every_decision()), "application/json",
                     "decision-log.json")


# -- helpers --------------------------------------------------------------------------------------

def _charter_values(base: dict[str, Any], form: FormInput) -> dict[str, Any]:
    """The charter fields to show: ``base`` overlaid with what the form sent."""
    if not form:
        return dict(base)
    sent = {k[len("charter_"):]: v for k, v in form.items() if k.startswith("charter_")}
    for key in ("proxies_count_toward_quorum", "requester_may_vote"):
        sent[key] = sent.get(key) in ("on", "true", "1")
    return {**base, **sent}
