"""JSON API of the Change Control Board under /api/v1: boards, meetings, votes, decision log."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.ccb import queries as q
from app.ccb.calendar import board_calendar
from app.ccb.documents import render_minutes
from app.ccb.exports import decision_log_csv_lines
from app.ccb.schemas import (
    ActionInputSchema,
    AgendaInputSchema,
    AgendaSchema,
    AttendanceInputSchema,
    AttendanceSchema,
    BoardInputSchema,
    BoardSchema,
    CastingVoteInputSchema,
    ChangeCalendarQueryArgsSchema,
    ChangeCalendarSchema,
    CharterAmendmentSchema,
    CharterQueryArgsSchema,
    CharterSchema,
    DecisionLogQueryArgsSchema,
    DecisionLogSchema,
    DecisionSchema,
    EmergencyApprovalSchema,
    FreezeInputSchema,
    FreezeQueryArgsSchema,
    FreezeSchema,
    GateSchema,
    MeetingActionSchema,
    MeetingCreatedSchema,
    MeetingInputSchema,
    MeetingSchema,
    MemberFunctionSchema,
    MemberJoinSchema,
    MemberLeaveSchema,
    MembersAtArgsSchema,
    MembersAtSchema,
    MembershipChangeSchema,
    ProxyInputSchema,
    ProxySchema,
    SeriesInputSchema,
    SeriesSchema,
    StatusChangeSchema,
    VoteInputSchema,
    VoteSchema,
    calendar_range,
)
from app.paging import PageQueryArgsSchema, page_schema
from app.schemas import HistorySchema
from domain.base import now
from domain.ccb.board import Board
from domain.ccb.meeting import Meeting
from web.api import AreaBlueprint, listing
from web.context import acting, read_model, services, view_now
from web.history import history_page

bp = AreaBlueprint("ccb", __name__, tag="change control board")

BoardListSchema = listing(BoardSchema, "BoardList")
CharterListSchema = listing(CharterSchema, "CharterList")
MembershipListSchema = listing(MembershipChangeSchema, "MembershipChangeList")
MeetingListSchema = page_schema(MeetingSchema, "MeetingList")
TEXT = {"type": "string"}


# -- boards ---------------------------------------------------------------------------------------

@bp.post("/boards")
@bp.arguments(BoardInputSchema)
@bp.response(201, BoardSchema)
@bp.errors(404, 409)
def create_board(data: dict[str, Any]) -> dict[str, Any]:
    """Create a board (admins only); charter fields default from the rule book."""
    with acting():
        return services().ccb.create_board(**data)


@bp.get("/boards")
@bp.response(200, BoardListSchema)
def list_boards() -> dict[str, Any]:
    """List boards."""
    return {"items": q.list_boards(read_model())}


@bp.get("/boards/<board_id>")
@bp.response(200, BoardSchema)
@bp.errors(404)
def get_board(board_id: str) -> dict[str, Any]:
    """One board with its current charter."""
    return q.get_board(read_model(), board_id)


@bp.get("/boards/<board_id>/charter")
@bp.arguments(CharterQueryArgsSchema, location="query")
@bp.response(200, CharterSchema)
@bp.errors(404)
def get_charter(args: dict[str, Any], board_id: str) -> dict[str, Any]:
    """The charter in force at ``at`` (ISO 8601, default: now)."""
    return q.charter_at(read_model(), board_id, args["at"] or now())


@bp.get("/boards/<board_id>/charters")
@bp.response(200, CharterListSchema)
@bp.errors(404)
def charter_history(board_id: str) -> dict[str, Any]:
    """Every charter the board has had, oldest first."""
    q.get_board(read_model(), board_id)
    return {"items": q.charter_history(read_model(), board_id)}


@bp.post("/boards/<board_id>/charter")
@bp.arguments(CharterAmendmentSchema)
@bp.response(200, BoardSchema)
@bp.errors(404, 409)
def amend_charter(data: dict[str, Any], board_id: str) -> dict[str, Any]:
    """Amend the charter (chair or admin) with a reason."""
    with acting(reason=data["reason"]):
        return services().ccb.amend_charter(board_id, data["charter"])


@bp.get("/boards/<board_id>/members")
@bp.arguments(MembersAtArgsSchema, location="query")
@bp.response(200, MembersAtSchema)
@bp.errors(404)
def members_at(args: dict[str, Any], board_id: str) -> dict[str, Any]:
    """Who sat on the board at ``at`` (ISO 8601, default: now), with each one's function."""
    engine, at = read_model(), args["at"] or now()
    seated = q.members_at(engine, board_id, at)
    names = q.names_of(engine, [m["person_id"] for m in seated])
    return {"board_id": board_id, "at": at,
            "items": [{**m, "name": names.get(m["person_id"])} for m in seated]}


@bp.get("/boards/<board_id>/membership")
@bp.response(200, MembershipListSchema)
@bp.errors(404)
def membership_history(board_id: str) -> dict[str, Any]:
    """Every membership change of the board (founding members, joins, departures, function
    changes), oldest first, with who made it and why."""
    engine = read_model()
    q.get_board(engine, board_id)
    rows = q.membership_history(engine, board_id)
    names = q.names_of(engine, [r["person_id"] for r in rows])
    return {"items": [{**r, "name": names.get(r["person_id"])} for r in rows]}


@bp.post("/boards/<board_id>/members")
@bp.arguments(MemberJoinSchema)
@bp.response(201, BoardSchema)
@bp.errors(404, 409)
def add_member(data: dict[str, Any], board_id: str) -> dict[str, Any]:
    """A person joins the board (admins) with a reason; function defaults to the person's."""
    with acting(reason=data["reason"]):
        return services().ccb.add_board_member(board_id, data["person_id"], data["function"])


@bp.post("/boards/<board_id>/members/<person_id>/leave")
@bp.arguments(MemberLeaveSchema)
@bp.response(200, BoardSchema)
@bp.errors(404, 409)
def remove_member(data: dict[str, Any], board_id: str, person_id: str) -> dict[str, Any]:
    """A member leaves the board (admins) with a reason; they can no longer vote or hold a
    proxy (409 ``member_left``)."""
    with acting(reason=data["reason"]):
        return services().ccb.remove_board_member(board_id, person_id)


@bp.post("/boards/<board_id>/members/<person_id>/function")
@bp.arguments(MemberFunctionSchema)
@bp.response(200, BoardSchema)
@bp.errors(404, 409)
def change_member_function(data: dict[str, Any], board_id: str,
                           person_id: str) -> dict[str, Any]:
    """A member changes the function they hold on the board (admins) with a reason."""
    with acting(reason=data["reason"]):
        return services().ccb.change_member_function(board_id, person_id, data["function"])


@bp.get("/boards/<board_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def board_history(board_id: str) -> dict[str, Any]:
    """Every event of a board."""
    return history_page(Board, board_id)


@bp.get("/boards/<board_id>/meetings")
@bp.arguments(PageQueryArgsSchema, location="query")
@bp.response(200, MeetingListSchema)
@bp.errors(404)
def list_meetings(page: dict[str, Any], board_id: str) -> dict[str, Any]:
    """A page of the board's meetings, newest first, and how many there are."""
    q.get_board(read_model(), board_id)
    return q.meeting_page(read_model(), board_id, **page)


@bp.post("/boards/<board_id>/meetings")
@bp.arguments(MeetingInputSchema)
@bp.response(201, MeetingCreatedSchema)
@bp.errors(404, 409)
def schedule_meeting(data: dict[str, Any], board_id: str) -> dict[str, Any]:
    """Schedule an ad-hoc meeting."""
    with acting():
        return services().ccb.schedule_meeting(board_id, **data)


@bp.post("/boards/<board_id>/meeting-series")
@bp.arguments(SeriesInputSchema)
@bp.response(201, SeriesSchema)
@bp.errors(404, 409)
def schedule_series(data: dict[str, Any], board_id: str) -> dict[str, Any]:
    """Schedule the next meetings from the charter's cadence (chair or admin)."""
    with acting():
        return services().ccb.schedule_series(board_id, data["first_day"] or now().date(),
                                        data["count"])


@bp.get("/boards/<board_id>/calendar.ics")
@bp.response(200, TEXT, content_type="text/calendar", description="iCalendar (RFC 5545)")
@bp.errors(404)
def calendar(board_id: str) -> Response:
    """The board's meetings as an iCalendar feed: the last 92 days and the next 366."""
    return Response(board_calendar(read_model(), board_id, now()), mimetype="text/calendar")


# -- meetings -------------------------------------------------------------------------------------

@bp.get("/meetings/<meeting_id>")
@bp.response(200, MeetingSchema)
@bp.errors(404)
def get_meeting(meeting_id: str) -> dict[str, Any]:
    """One meeting with attendance, proxies, agenda, votes and decisions."""
    return q.get_meeting(read_model(), meeting_id)


@bp.get("/meetings/<meeting_id>/history")
@bp.response(200, HistorySchema)
@bp.errors(404)
def meeting_history(meeting_id: str) -> dict[str, Any]:
    """Every event of a meeting."""
    return history_page(Meeting, meeting_id)


@bp.post("/meetings/<meeting_id>/open")
@bp.response(200, MeetingSchema)
@bp.errors(404, 409)
def open_meeting(meeting_id: str) -> dict[str, Any]:
    """Open the meeting (chair or admin); queued deferrals and ratifications join the agenda."""
    with acting():
        services().ccb.open_meeting(meeting_id)
    return q.get_meeting(read_model(), meeting_id)


@bp.post("/meetings/<meeting_id>/close")
@bp.response(200, MeetingSchema)
@bp.errors(404, 409)
def close_meeting(meeting_id: str) -> dict[str, Any]:
    """Close the meeting (chair or admin); undecided items are deferred."""
    with acting():
        services().ccb.close_meeting(meeting_id)
    return q.get_meeting(read_model(), meeting_id)


@bp.post("/meetings/<meeting_id>/attendance")
@bp.arguments(AttendanceInputSchema)
@bp.response(201, AttendanceSchema)
@bp.errors(404, 409)
def record_attendance(data: dict[str, Any], meeting_id: str) -> dict[str, Any]:
    """Check a member in (themselves, or by the chair or an admin)."""
    with acting():
        return services().ccb.record_attendance(meeting_id, **data)


@bp.post("/meetings/<meeting_id>/proxies")
@bp.arguments(ProxyInputSchema)
@bp.response(201, ProxySchema)
@bp.errors(404, 409)
def give_proxy(data: dict[str, Any], meeting_id: str) -> dict[str, Any]:
    """Give a proxy for this meeting (the grantor or an admin); never chained."""
    with acting():
        return services().ccb.give_proxy(meeting_id, **data)


@bp.delete("/meetings/<meeting_id>/proxies/<proxy_id>")
@bp.response(200, StatusChangeSchema)
@bp.errors(404, 409)
def revoke_proxy(meeting_id: str, proxy_id: str) -> dict[str, Any]:
    """Revoke an unused proxy (the grantor or an admin)."""
    with acting():
        return services().ccb.revoke_proxy(meeting_id, proxy_id)


@bp.post("/meetings/<meeting_id>/agenda")
@bp.arguments(AgendaInputSchema)
@bp.response(201, AgendaSchema)
@bp.errors(404, 409)
def add_agenda_item(data: dict[str, Any], meeting_id: str) -> dict[str, Any]:
    """Put a change request on the agenda; it becomes scheduled."""
    with acting():
        return services().ccb.add_agenda_item(meeting_id, data["change_request_id"])


@bp.post("/meetings/<meeting_id>/items/<change_id>/votes")
@bp.arguments(VoteInputSchema)
@bp.response(201, VoteSchema)
@bp.errors(404, 409)
def cast_vote(data: dict[str, Any], meeting_id: str, change_id: str) -> dict[str, Any]:
    """Vote as the authenticated member (or as proxy holder for ``on_behalf_of``)."""
    with acting():
        return services().ccb.cast_vote(meeting_id, change_id, **data)


@bp.post("/meetings/<meeting_id>/items/<change_id>/decide")
@bp.response(200, DecisionSchema)
@bp.errors(404, 409)
def decide(meeting_id: str, change_id: str) -> dict[str, Any]:
    """Decide the item (chair or admin): quorum, tally, tie-breaker; 409 awaiting_casting_vote
    on a chair tie-break."""
    with acting():
        return services().ccb.decide_item(meeting_id, change_id)


@bp.post("/meetings/<meeting_id>/items/<change_id>/casting-vote")
@bp.arguments(CastingVoteInputSchema)
@bp.response(200, DecisionSchema)
@bp.errors(404, 409)
def casting_vote(data: dict[str, Any], meeting_id: str, change_id: str) -> dict[str, Any]:
    """The chair's deciding vote on a tie; returns the decision."""
    with acting():
        return services().ccb.cast_deciding_vote(meeting_id, change_id, data["choice"])


@bp.post("/meetings/<meeting_id>/action-items")
@bp.arguments(ActionInputSchema)
@bp.response(201, MeetingActionSchema)
@bp.errors(404, 409)
def raise_action(data: dict[str, Any], meeting_id: str) -> dict[str, Any]:
    """Raise an action item in the meeting (optionally on one agenda item)."""
    with acting():
        return services().ccb.raise_meeting_action(meeting_id, **data)


@bp.get("/meetings/<meeting_id>/minutes")
@bp.response(200, TEXT, content_type="text/markdown", description="Markdown")
@bp.errors(404)
def minutes(meeting_id: str) -> Response:
    """The meeting's minutes as Markdown, generated from its events."""
    return Response(render_minutes(read_model(), meeting_id), mimetype="text/markdown")


# -- emergency changes and the decision log --------------------------------------------------------

@bp.post("/change-requests/<change_id>/emergency-approvals")
@bp.response(200, EmergencyApprovalSchema)
@bp.errors(404, 409)
def approve_emergency(change_id: str) -> dict[str, Any]:
    """Approve an emergency change outside a meeting (chair or delegate plus another function)
    as the authenticated board member."""
    with acting():
        return services().ccb.approve_emergency_change(change_id)


@bp.get("/change-requests/<change_id>/gate")
@bp.response(200, GateSchema)
@bp.errors(404, 409)
def gate(change_id: str) -> dict[str, Any]:
    """Deployment gate: 200 with the approval evidence only when approved and now is inside the
    window; else 409 not_approved | outside_window | freeze_window."""
    return q.gate(read_model(), change_id, now())


@bp.post("/freeze-windows")
@bp.arguments(FreezeInputSchema)
@bp.response(201, FreezeSchema)
@bp.errors(409)
def declare_freeze(data: dict[str, Any]) -> dict[str, Any]:
    """Declare a freeze window (admins) with a reason."""
    reason = data.pop("reason")
    with acting(reason=reason):
        return services().ccb.declare_freeze(**data)


@bp.delete("/freeze-windows/<freeze_id>")
@bp.arguments(FreezeQueryArgsSchema, location="query")
@bp.response(200, StatusChangeSchema)
@bp.errors(404, 409)
def lift_freeze(args: dict[str, Any], freeze_id: str) -> dict[str, Any]:
    """Lift a freeze window (admins)."""
    with acting(reason=args["reason"]):
        return services().ccb.lift_freeze(freeze_id)


@bp.get("/change-calendar")
@bp.arguments(ChangeCalendarQueryArgsSchema, location="query")
@bp.response(200, ChangeCalendarSchema)
def change_calendar(args: dict[str, Any]) -> dict[str, Any]:
    """Approved, scheduled and implemented changes' windows, freeze windows and conflicts,
    overlapping ``[from, to)`` (default: the last 31 days and the next 92; at most 366)."""
    return q.change_calendar(read_model(), *calendar_range(args, view_now()))


@bp.get("/decision-log")
@bp.arguments(DecisionLogQueryArgsSchema, location="query")
@bp.response(200, DecisionLogSchema)
@bp.alt_response(200, schema=TEXT, content_type="text/csv", success=True,
                 description="Every matching decision, oldest first, streamed (format=csv)")
def decision_log(args: dict[str, Any]) -> Any:
    """A page of decisions (oldest first), filtered by board, outcome and date;
    ``format=csv`` for every matching decision as CSV."""
    fmt = args.pop("format")
    if fmt == "csv":
        args.pop("limit"), args.pop("offset")
        lines = decision_log_csv_lines(q.iter_decisions(read_model(), **args))
        return Response(lines, mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=decision-log.csv"})
    return q.decision_log(read_model(), **args)
