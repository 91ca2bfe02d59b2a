"""Read side of the Change Control Board: boards, charters, meetings and the decision log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.errors import NotFoundError
from projections.base import from_db
from projections.ccb import board_charters, boards, decisions, meetings
from projections.tables import change_requests, people

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _rows(engine: Engine, query: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _aware(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        row[key] = from_db(row.get(key))
    return row


def list_boards(engine: Engine) -> list[dict[str, Any]]:
    """Every board, by name."""
    return [_aware(r, "created_at", "updated_at")
            for r in _rows(engine, select(boards).order_by(boards.c.name))]


def get_board(engine: Engine, board_id: str) -> dict[str, Any]:
    """One board or NotFoundError."""
    rows = _rows(engine, select(boards).where(boards.c.id == board_id))
    if not rows:
        raise NotFoundError(f"no board with id {board_id}", id=board_id)
    return _aware(rows[0], "created_at", "updated_at")


def charter_history(engine: Engine, board_id: str) -> list[dict[str, Any]]:
    """Every charter the board has had, oldest first."""
    return [_aware(r, "effective_at") for r in _rows(
        engine, select(board_charters).where(board_charters.c.board_id == board_id)
        .order_by(board_charters.c.version))]


def charter_at(engine: Engine, board_id: str, at: datetime) -> dict[str, Any]:
    """The charter in force at ``at`` (NotFoundError before the board existed)."""
    rows = [r for r in charter_history(engine, board_id) if r["effective_at"] <= at]
    if not rows:
        get_board(engine, board_id)
        raise NotFoundError(f"the board had no charter at {at.isoformat()}", id=board_id)
    return rows[-1]


MEETING_TIMES = ("scheduled_start", "scheduled_end", "opened_at", "closed_at", "updated_at")


def list_meetings(engine: Engine, board_id: str | None = None) -> list[dict[str, Any]]:
    """Meetings (of one board), newest first."""
    query = select(meetings).order_by(meetings.c.scheduled_start.desc(), meetings.c.id)
    if board_id:
        query = query.where(meetings.c.board_id == board_id)
    return [_aware(r, *MEETING_TIMES) for r in _rows(engine, query)]


def get_meeting(engine: Engine, meeting_id: str) -> dict[str, Any]:
    """One meeting or NotFoundError."""
    rows = _rows(engine, select(meetings).where(meetings.c.id == meeting_id))
    if not rows:
        raise NotFoundError(f"no meeting with id {meeting_id}", id=meeting_id)
    return _aware(rows[0], *MEETING_TIMES)


def next_meeting(engine: Engine, meeting: dict[str, Any]) -> dict[str, Any] | None:
    """The board's next meeting scheduled after ``meeting`` starts, if any."""
    rows = _rows(engine, select(meetings).where(
        meetings.c.board_id == meeting["board_id"],
        meetings.c.scheduled_start > meeting["scheduled_start"], meetings.c.id != meeting["id"],
    ).order_by(meetings.c.scheduled_start).limit(1))
    return _aware(rows[0], *MEETING_TIMES) if rows else None


def names(engine: Engine) -> dict[str, str]:
    """Person id → name."""
    return {r["id"]: r["name"] for r in _rows(engine, select(people.c.id, people.c.name))}


def change_titles(engine: Engine) -> dict[str, dict[str, Any]]:
    """Change request id → title, status, category and requester."""
    c = change_requests.c
    return {r["id"]: r for r in _rows(engine, select(
        c.id, c.title, c.status, c.category, c.requester_id, c.board_id))}


def board_changes(engine: Engine, board_id: str) -> list[dict[str, Any]]:
    """Change requests that may go on this board's agendas (its own or unassigned, undecided)."""
    c = change_requests.c
    return _rows(engine, select(c.id, c.title, c.status, c.category).where(
        (c.board_id == board_id) | c.board_id.is_(None),
        c.status.in_(["submitted", "deferred"]), c.category != "standard",
    ).order_by(c.submitted_at))


def list_decisions(engine: Engine, board_id: str | None = None, outcome: str | None = None,
                   start: datetime | None = None, end: datetime | None = None,
                   as_of: datetime | None = None, flagged: bool | None = None,
                   ) -> list[dict[str, Any]]:
    """The decision log, oldest first, with change request titles, filtered."""
    d = decisions.c
    query = select(decisions, change_requests.c.title.label("change_request_title")).outerjoin(
        change_requests, change_requests.c.id == d.change_request_id).order_by(
        d.decided_at, d.id)
    conditions = [col == value for col, value in ((d.board_id, board_id),
                                                  (d.outcome, outcome)) if value]
    if start:
        conditions.append(d.decided_at >= start)
    if end:
        conditions.append(d.decided_at <= end)
    if as_of:
        conditions.append(d.decided_at <= as_of)
    rows = [_aware(r, "decided_at", "ratified_at") for r in _rows(engine,
                                                                  query.where(*conditions))]
    if as_of:
        rows = [_as_of(r, as_of) for r in rows]
    for row in rows:
        row["unratified"] = row["kind"] == "emergency" and row["ratification"] in (
            "pending", "overdue")
    if flagged is not None:
        rows = [r for r in rows if r["unratified"] == flagged]
    return rows


def _as_of(row: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    """Undo a ratification recorded after ``as_of``."""
    if row["ratified_at"] and row["ratified_at"] > as_of:
        row["ratification"], row["ratified_at"] = "pending", None
    return row
