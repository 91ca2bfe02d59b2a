"""JSON API of the Change Control Board under /api/v1: boards, meetings, votes, decision log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from app.ccb import queries as q
from app.ccb.calendar import board_calendar
from app.ccb.documents import render_minutes
from app.ccb.exports import decision_log_csv
from app.ccb.schemas import (
    ActionInputSchema,
    AgendaInputSchema,
    AttendanceInputSchema,
    BoardInputSchema,
    BoardSchema,
    CastingVoteInputSchema,
    CharterAmendmentSchema,
    CharterQueryArgsSchema,
    CharterSchema,
    DecisionLogQueryArgsSchema,
    DecisionLogSchema,
    DecisionSchema,
    EmergencyApprovalSchema,
    FreezeInputSchema,
    MeetingCreatedSchema,
    MeetingInputSchema,
    MeetingSchema,
    ProxyInputSchema,
    SeriesInputSchema,
    VoteInputSchema,
)
from app.schemas import HistorySchema, jsonable
from domain.base import now
from domain.ccb.board import Board
from domain.ccb.meeting import Meeting
from domain.errors import NotAuthenticated
from web.api import openapi
from web.changes.api import body
from web.context import acting, read_model, services
from web.history import history_rows

bp = Blueprint("api_ccb", __name__, url_prefix="/api/v1")


@bp.before_request
def require_token() -> None:
    """Every API call needs a valid bearer token."""
    if g.get("user") is None:
        raise NotAuthenticated("send a valid bearer token in the Authorization header")


# -- boards ---------------------------------------------------------------------------------------

@bp.post("/boards")
def create_board() -> tuple[dict[str, Any], int]:
    """Create a board (admins only)."""
    data = body(BoardInputSchema())
    with acting():
        result = services().ccb.create_board(**data)
    return BoardSchema().dump(result), 201


@bp.get("/boards")
def list_boards() -> dict[str, Any]:
    """List boards."""
    return {"items": BoardSchema(many=True).dump(q.list_boards(read_model()))}


@bp.get("/boards/<board_id>")
def get_board(board_id: str) -> dict[str, Any]:
    """One board with its current charter."""
    return BoardSchema().dump(q.get_board(read_model(), board_id))


@bp.get("/boards/<board_id>/charter")
def get_charter(board_id: str) -> dict[str, Any]:
    """The charter in force at ``at`` (default: now)."""
    args = CharterQueryArgsSchema().load(request.args.to_dict())
    return CharterSchema().dump(q.charter_at(read_model(), board_id, args["at"] or now()))


@bp.get("/boards/<board_id>/charters")
def charter_history(board_id: str) -> dict[str, Any]:
    """Every charter the board has had, oldest first."""
    q.get_board(read_model(), board_id)
    return {"items": CharterSchema(many=True).dump(q.charter_history(read_model(), board_id))}


@bp.post("/boards/<board_id>/charter")
def amend_charter(board_id: str) -> dict[str, Any]:
    """Amend the charter (chair or admin) with a reason."""
    data = body(CharterAmendmentSchema())
    with acting(reason=data["reason"]):
        result = services().ccb.amend_charter(board_id, data["charter"])
    return BoardSchema().dump(result)


@bp.get("/boards/<board_id>/history")
def board_history(board_id: str) -> dict[str, Any]:
    """Every event of a board."""
    return HistorySchema().dump({"events": history_rows(Board, board_id)})


@bp.get("/boards/<board_id>/meetings")
def list_meetings(board_id: str) -> dict[str, Any]:
    """The board's meetings, newest first."""
    q.get_board(read_model(), board_id)
    return {"items": MeetingSchema(many=True).dump(q.list_meetings(read_model(), board_id))}


@bp.post("/boards/<board_id>/meetings")
def schedule_meeting(board_id: str) -> tuple[dict[str, Any], int]:
    """Schedule an ad-hoc meeting."""
    data = body(MeetingInputSchema())
    with acting():
        result = services().ccb.schedule_meeting(board_id, **data)
    return MeetingCreatedSchema().dump(result), 201


@bp.post("/boards/<board_id>/meeting-series")
def schedule_series(board_id: str) -> tuple[dict[str, Any], int]:
    """Schedule the next meetings from the charter's cadence (chair or admin)."""
    data = body(SeriesInputSchema())
    with acting():
        result = services().ccb.schedule_series(board_id, data["first_day"] or now().date(),
                                          data["count"])
    return jsonable(result), 201


@bp.get("/boards/<board_id>/calendar.ics")
def calendar(board_id: str) -> Response:
    """The board's meetings as an iCalendar feed."""
    return Response(board_calendar(read_model(), board_id), mimetype="text/calendar")


# -- meetings -------------------------------------------------------------------------------------

@bp.get("/meetings/<meeting_id>")
def get_meeting(meeting_id: str) -> dict[str, Any]:
    """One meeting with attendance, proxies, agenda, votes and decisions."""
    return MeetingSchema().dump(q.get_meeting(read_model(), meeting_id))


@bp.get("/meetings/<meeting_id>/history")
def meeting_history(meeting_id: str) -> dict[str, Any]:
    """Every event of a meeting."""
    return HistorySchema().dump({"events": history_rows(Meeting, meeting_id)})


@bp.post("/meetings/<meeting_id>/open")
def open_meeting(meeting_id: str) -> dict[str, Any]:
    """Open the meeting (chair or admin)."""
    with acting():
        services().ccb.open_meeting(meeting_id)
    return MeetingSchema().dump(q.get_meeting(read_model(), meeting_id))


@bp.post("/meetings/<meeting_id>/close")
def close_meeting(meeting_id: str) -> dict[str, Any]:
    """Close the meeting (chair or admin); undecided items are deferred."""
    with acting():
        services().ccb.close_meeting(meeting_id)
    return MeetingSchema().dump(q.get_meeting(read_model(), meeting_id))


@bp.post("/meetings/<meeting_id>/attendance")
def record_attendance(meeting_id: str) -> tuple[dict[str, Any], int]:
    """Check a member in (themselves, or by the chair or an admin)."""
    data = body(AttendanceInputSchema())
    with acting():
        result = services().ccb.record_attendance(meeting_id, **data)
    return result, 201


@bp.post("/meetings/<meeting_id>/proxies")
def give_proxy(meeting_id: str) -> tuple[dict[str, Any], int]:
    """Give a proxy for this meeting (the grantor or an admin)."""
    data = body(ProxyInputSchema())
    with acting():
        result = services().ccb.give_proxy(meeting_id, **data)
    return result, 201


@bp.delete("/meetings/<meeting_id>/proxies/<proxy_id>")
def revoke_proxy(meeting_id: str, proxy_id: str) -> dict[str, Any]:
    """Revoke an unused proxy (the grantor or an admin)."""
    with acting():
        return services().ccb.revoke_proxy(meeting_id, proxy_id)


@bp.post("/meetings/<meeting_id>/agenda")
def add_agenda_item(meeting_id: str) -> tuple[dict[str, Any], int]:
    """Put a change request on the agenda; it becomes scheduled."""
    data = body(AgendaInputSchema())
    with acting():
        result = services().ccb.add_agenda_item(meeting_id, data["change_request_id"])
    return result, 201


@bp.post("/meetings/<meeting_id>/items/<change_id>/votes")
def cast_vote(meeting_id: str, change_id: str) -> tuple[dict[str, Any], int]:
    """Vote as the authenticated member (or as proxy holder for ``on_behalf_of``)."""
    data = body(VoteInputSchema())
    with acting():
        result = services().ccb.cast_vote(meeting_id, change_id, **data)
    return result, 201


@bp.post("/meetings/<meeting_id>/items/<change_id>/decide")
def decide(meeting_id: str, change_id: str) -> dict[str, Any]:
    """Decide the item (chair or admin); 409 awaiting_casting_vote on a chair tie-break."""
    with acting():
        result = services().ccb.decide_item(meeting_id, change_id)
    return DecisionSchema().dump(result)


@bp.post("/meetings/<meeting_id>/items/<change_id>/casting-vote")
def casting_vote(meeting_id: str, change_id: str) -> dict[str, Any]:
    """The chair's deciding vote on a tie; returns the decision."""
    data = body(CastingVoteInputSchema())
    with acting():
        result = services().ccb.cast_deciding_vote(meeting_id, change_id, data["choice"])
    return DecisionSchema().dump(result)


@bp.post("/meetings/<meeting_id>/action-items")
def raise_action(meeting_id: str) -> tuple[dict[str, Any], int]:
    """Raise an action item in the meeting (optionally on one agenda item)."""
    data = body(ActionInputSchema())
    with acting():
        result = services().ccb.raise_meeting_action(meeting_id, **data)
    return result, 201


@bp.get("/meetings/<meeting_id>/minutes")
def minutes(meeting_id: str) -> Response:
    """The meeting's minutes as Markdown, generated from its events."""
    text = render_minutes(read_model(), meeting_id)
    return Response(text, mimetype="text/markdown")


# -- emergency changes and the decision log --------------------------------------------------------

@bp.post("/change-requests/<change_id>/emergency-approvals")
def approve_emergency(change_id: str) -> dict[str, Any]:
    """Approve an emergency change outside a meeting as the authenticated board member."""
    with acting():
        result = services().ccb.approve_emergency_change(change_id)
    return EmergencyApprovalSchema().dump(result)


@bp.get("/change-requests/<change_id>/gate")
def gate(change_id: str) -> dict[str, Any]:
    """Deployment gate: 200 with the approval evidence when approved and inside the window."""
    return jsonable(q.gate(read_model(), change_id, now()))


@bp.post("/freeze-windows")
def declare_freeze() -> tuple[dict[str, Any], int]:
    """Declare a freeze window (admins) with a reason."""
    data = body(FreezeInputSchema())
    reason = data.pop("reason")
    with acting(reason=reason):
        result = services().ccb.declare_freeze(**data)
    return jsonable(result), 201


@bp.delete("/freeze-windows/<freeze_id>")
def lift_freeze(freeze_id: str) -> dict[str, Any]:
    """Lift a freeze window (admins)."""
    with acting(reason=request.args.get("reason")):
        return services().ccb.lift_freeze(freeze_id)


@bp.get("/change-calendar")
def change_calendar() -> dict[str, Any]:
    """Approved and scheduled changes' windows, freeze windows and conflicts."""
    return jsonable(q.change_calendar(read_model()))


@bp.get("/decision-log")
def decision_log() -> Any:
    """Every decision, filtered by board, outcome and date; ``format=csv`` for CSV."""
    args = DecisionLogQueryArgsSchema().load(request.args.to_dict())
    fmt = args.pop("format")
    rows = q.list_decisions(read_model(), **args)
    if fmt == "csv":
        return Response(decision_log_csv(rows), mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=decision-log.csv"})
    return DecisionLogSchema().dump({"items": rows, "total": len(rows)})


# -- OpenAPI --------------------------------------------------------------------------------------

R = openapi.responses


def _param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "format": "uuid"}}


BOARD, MEETING, ITEM = [_param("board_id")], [_param("meeting_id")], [
    _param("meeting_id"), _param("change_id")]
TAGS = ["change control board"]


def _op(summary: str, responses: dict[str, Any], params: list[dict[str, Any]] | None = None,
        schema: str | None = None, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": TAGS, "responses": responses, **extra}
    if params:
        op["parameters"] = params
    if schema:
        op["requestBody"] = openapi.body(schema)
    return op


WRITE = ("401", "403", "404", "409", "422")

openapi.add({
    "/boards": {
        "get": _op("List boards", R("200", None, "Boards", ("401",))),
        "post": _op("Create a board (admin); charter fields default from the rule book",
                    R("201", "Board", "Created", ("401", "403", "409", "422")),
                    schema="BoardInput")},
    "/boards/{board_id}": {"get": _op("One board", R("200", "Board", "The board",
                                                       ("401", "404")), BOARD)},
    "/boards/{board_id}/charter": {
        "get": _op("The charter in force at `at` (ISO 8601, default now)",
                   R("200", "Charter", "The charter", ("401", "404", "422")),
                   BOARD + [{"name": "at", "in": "query", "schema": {
                       "type": "string", "format": "date-time"}}]),
        "post": _op("Amend the charter with a reason (chair or admin)",
                    R("200", "Board", "Amended", WRITE), BOARD, "CharterAmendment")},
    "/boards/{board_id}/charters": {"get": _op("Charter history", R(
        "200", None, "Charters, oldest first", ("401", "404")), BOARD)},
    "/boards/{board_id}/history": {"get": _op("Every event of a board", R(
        "200", "History", "Events", ("401", "404")), BOARD)},
    "/boards/{board_id}/meetings": {
        "get": _op("The board's meetings", R("200", None, "Meetings", ("401", "404")), BOARD),
        "post": _op("Schedule an ad-hoc meeting", R("201", "MeetingCreated", "Scheduled",
                                                    WRITE), BOARD, "MeetingInput")},
    "/boards/{board_id}/meeting-series": {"post": _op(
        "Schedule the next meetings from the charter's cadence (chair or admin)",
        R("201", None, "Series id and meetings", WRITE), BOARD, "SeriesInput")},
    "/boards/{board_id}/calendar.ics": {"get": _op(
        "The board's meetings as an iCalendar feed",
        {"200": {"description": "iCalendar", "content": {"text/calendar": {
            "schema": {"type": "string"}}}}}, BOARD)},
    "/meetings/{meeting_id}": {"get": _op("One meeting", R("200", "Meeting", "The meeting",
                                                           ("401", "404")), MEETING)},
    "/meetings/{meeting_id}/history": {"get": _op("Every event of a meeting", R(
        "200", "History", "Events", ("401", "404")), MEETING)},
    "/meetings/{meeting_id}/open": {"post": _op(
        "Open (chair or admin); queued deferrals and ratifications join the agenda",
        R("200", "Meeting", "Opened", WRITE), MEETING)},
    "/meetings/{meeting_id}/close": {"post": _op(
        "Close (chair or admin); undecided items are deferred",
        R("200", "Meeting", "Closed", WRITE), MEETING)},
    "/meetings/{meeting_id}/attendance": {"post": _op(
        "Check a member in (self, chair or admin)", R("201", None, "Recorded", WRITE),
        MEETING, "AttendanceInput")},
    "/meetings/{meeting_id}/proxies": {"post": _op(
        "Give a proxy (grantor or admin); never chained", R("201", None, "Proxy id", WRITE),
        MEETING, "ProxyInput")},
    "/meetings/{meeting_id}/proxies/{proxy_id}": {"delete": _op(
        "Revoke an unused proxy", R("200", None, "Revoked", WRITE),
        MEETING + [_param("proxy_id")])},
    "/meetings/{meeting_id}/agenda": {"post": _op(
        "Put a change request on the agenda", R("201", None, "Added", WRITE), MEETING,
        "AgendaInput")},
    "/meetings/{meeting_id}/items/{change_id}/votes": {"post": _op(
        "Vote as the authenticated member (on_behalf_of: as proxy holder)",
        R("201", None, "Vote recorded with the tally", WRITE), ITEM, "VoteInput")},
    "/meetings/{meeting_id}/items/{change_id}/decide": {"post": _op(
        "Decide (chair or admin): quorum, tally, tie-breaker; 409 awaiting_casting_vote",
        R("200", "Decision", "Decided", WRITE), ITEM)},
    "/meetings/{meeting_id}/items/{change_id}/casting-vote": {"post": _op(
        "The chair's deciding vote on a tie", R("200", "Decision", "Decided", WRITE), ITEM,
        "CastingVoteInput")},
    "/meetings/{meeting_id}/action-items": {"post": _op(
        "Raise an action item in the meeting", R("201", None, "Raised", WRITE), MEETING,
        "ActionInput")},
    "/meetings/{meeting_id}/minutes": {"get": _op(
        "Minutes generated from the meeting's events",
        {"200": {"description": "Markdown", "content": {"text/markdown": {
            "schema": {"type": "string"}}}}, **{k: v for k, v in R(
                "200", None, "", ("401", "404")).items() if k != "200"}}, MEETING)},
    "/change-requests/{change_id}/emergency-approvals": {"post": _op(
        "Approve an emergency change outside a meeting (chair/delegate + another function)",
        R("200", "EmergencyApproval", "Approvals so far", WRITE), [_param("change_id")])},
    "/change-requests/{change_id}/gate": {"get": _op(
        "Deployment gate: 200 with approval evidence only when approved and now is inside the "
        "window; else 409 not_approved | outside_window | freeze_window",
        R("200", None, "Gate open, with the decisions", ("401", "404", "409")),
        [_param("change_id")])},
    "/freeze-windows": {"post": _op(
        "Declare a freeze window (admin) with a reason", R("201", None, "Declared", WRITE),
        schema="FreezeInput")},
    "/freeze-windows/{freeze_id}": {"delete": _op(
        "Lift a freeze window (admin)", R("200", None, "Lifted", WRITE), [_param("freeze_id")])},
    "/change-calendar": {"get": _op(
        "Changes' windows, freeze windows and conflicts", R("200", None, "Calendar", ("401",)))},
    "/decision-log": {"get": _op(
        "The decision log (filters; format=csv; as_of)",
        R("200", "DecisionLog", "Decisions, oldest first", ("401", "422")),
        [{"in": "query", "schema": DecisionLogQueryArgsSchema}])},
}, {
    "Board": BoardSchema, "BoardInput": BoardInputSchema, "Charter": CharterSchema,
    "CharterAmendment": CharterAmendmentSchema, "MeetingInput": MeetingInputSchema,
    "MeetingCreated": MeetingCreatedSchema, "Meeting": MeetingSchema,
    "AttendanceInput": AttendanceInputSchema, "ProxyInput": ProxyInputSchema,
    "AgendaInput": AgendaInputSchema, "VoteInput": VoteInputSchema,
    "CastingVoteInput": CastingVoteInputSchema, "ActionInput": ActionInputSchema,
    "Decision": DecisionSchema, "EmergencyApproval": EmergencyApprovalSchema,
    "DecisionLog": DecisionLogSchema, "SeriesInput": SeriesInputSchema,
    "FreezeInput": FreezeInputSchema,
})
