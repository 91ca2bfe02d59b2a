"""Read side of the Change Control Board: boards, charters, meetings and the decision log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select

from app.paging import DEFAULT_LIMIT, fetch_page, stream
from domain.ccb.freeze import exempt_from_freezes, freeze_in_force, freeze_overlaps
from domain.changes.change_request import AWAITING_RATIFICATION, SCHEDULABLE, is_unratified
from domain.errors import DomainError, NotFound
from projections.base import from_db
from projections.ccb.meeting_state import with_states
from projections.ccb.tables import (
    board_charters,
    board_memberships,
    boards,
    decisions,
    freeze_windows,
    meetings,
)
from projections.changes.tables import change_requests
from projections.people.tables import people

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sqlalchemy import Engine, Select


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


def board_choices(engine: Engine) -> list[dict[str, Any]]:
    """Every board's id and name, by name (a filter's choices)."""
    return _rows(engine, select(boards.c.id, boards.c.name).order_by(boards.c.name))


def get_board(engine: Engine, board_id: str) -> dict[str, Any]:
    """One board or NotFound."""
    rows = _rows(engine, select(boards).where(boards.c.id == board_id))
    if not rows:
        raise NotFound(f"no board with id {board_id}", id=board_id)
    return _aware(rows[0], "created_at", "updated_at")


def charter_history(engine: Engine, board_id: str) -> list[dict[str, Any]]:
    """Every charter the board has had, oldest first."""
    return [_aware(r, "effective_at") for r in _rows(
        engine, select(board_charters).where(board_charters.c.board_id == board_id)
        .order_by(board_charters.c.version))]


def charter_at(engine: Engine, board_id: str, at: datetime) -> dict[str, Any]:
    """The charter in force at ``at`` (NotFound before the board existed)."""
    rows = [r for r in charter_history(engine, board_id) if r["effective_at"] <= at]
    if not rows:
        get_board(engine, board_id)
        raise NotFound(f"the board had no charter at {at.isoformat()}", id=board_id)
    return rows[-1]


def membership_history(engine: Engine, board_id: str,
                       until: datetime | None = None) -> list[dict[str, Any]]:
    """Every membership change of a board (up to ``until``), oldest first, with who and why."""
    query = select(board_memberships).where(board_memberships.c.board_id == board_id)
    if until is not None:
        query = query.where(board_memberships.c.at <= until)
    return [_aware(r, "at") for r in _rows(engine, query.order_by(
        board_memberships.c.version, board_memberships.c.person_id))]


def members_at(engine: Engine, board_id: str, at: datetime) -> list[dict[str, Any]]:
    """Who sat on the board at ``at``, with the function each held and since when (NotFound
    before the board existed). The membership history replayed up to that moment."""
    seated: dict[str, dict[str, Any]] = {}
    history = membership_history(engine, board_id, at)
    if not history:
        get_board(engine, board_id)
        raise NotFound(f"the board had no members at {at.isoformat()}", id=board_id)
    for row in history:
        if row["change"] == "left":
            seated.pop(row["person_id"], None)
        elif row["change"] == "function_changed" and row["person_id"] in seated:
            seated[row["person_id"]]["function"] = row["function"]
        else:
            seated[row["person_id"]] = {"person_id": row["person_id"],
                                        "function": row["function"], "since": row["at"]}
    return list(seated.values())


MEETING_TIMES = ("scheduled_start", "scheduled_end", "opened_at", "closed_at", "updated_at")


def _meeting_query(board_id: str | None) -> Select[Any]:
    query = select(meetings).order_by(meetings.c.scheduled_start.desc(), meetings.c.id)
    return query.where(meetings.c.board_id == board_id) if board_id else query


def _meetings(engine: Engine, query: Any) -> list[dict[str, Any]]:
    """Meeting rows, each with its ``state`` (``projections.ccb.meeting_state``)."""
    with engine.connect() as conn:
        return [_aware(r, *MEETING_TIMES)
                for r in with_states(conn, [dict(r._mapping) for r in conn.execute(query)])]


def list_meetings(engine: Engine, board_id: str | None = None, start: datetime | None = None,
                  end: datetime | None = None) -> list[dict[str, Any]]:
    """Meetings (of one board; starting in ``[start, end)``), newest first: for the calendar
    feed; lists the product serves use ``meeting_page``."""
    query = _meeting_query(board_id)
    if start is not None:
        query = query.where(meetings.c.scheduled_start >= start)
    if end is not None:
        query = query.where(meetings.c.scheduled_start < end)
    return _meetings(engine, query)


def meeting_page(engine: Engine, board_id: str | None = None, *, limit: int = DEFAULT_LIMIT,
                 offset: int = 0) -> dict[str, Any]:
    """One page of meetings (of one board), newest first, with how many there are."""
    page = fetch_page(engine, _meeting_query(board_id), limit=limit, offset=offset,
                      convert=lambda r: _aware(dict(r._mapping), *MEETING_TIMES))
    with engine.connect() as conn:
        with_states(conn, page["items"])
    return page


def get_meeting(engine: Engine, meeting_id: str) -> dict[str, Any]:
    """One meeting or NotFound."""
    rows = _meetings(engine, select(meetings).where(meetings.c.id == meeting_id))
    if not rows:
        raise NotFound(f"no meeting with id {meeting_id}", id=meeting_id)
    return rows[0]


def next_meeting(engine: Engine, meeting: dict[str, Any]) -> dict[str, Any] | None:
    """The board's next meeting scheduled after ``meeting`` starts, if any."""
    rows = _meetings(engine, select(meetings).where(
        meetings.c.board_id == meeting["board_id"],
        meetings.c.scheduled_start > meeting["scheduled_start"], meetings.c.id != meeting["id"],
    ).order_by(meetings.c.scheduled_start).limit(1))
    return rows[0] if rows else None


def names(engine: Engine) -> dict[str, str]:
    """Person id → name."""
    return {r["id"]: r["name"] for r in _rows(engine, select(people.c.id, people.c.name))}


def names_of(engine: Engine, ids: Iterable[str]) -> dict[str, str]:
    """Person id → name, for the given ids only (the people one page shows)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {r["id"]: r["name"] for r in _rows(engine, select(people.c.id, people.c.name)
                                              .where(people.c.id.in_(wanted)))}


def change_titles(engine: Engine,
                  ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Change request id → title, status, category and requester (of ``ids`` only, when given:
    the change requests one page names)."""
    c = change_requests.c
    query = select(c.id, c.title, c.status, c.category, c.requester_id, c.board_id)
    if ids is not None:
        wanted = sorted({i for i in ids if i})
        if not wanted:
            return {}
        query = query.where(c.id.in_(wanted))
    return {r["id"]: r for r in _rows(engine, query)}


def board_changes(engine: Engine, board_id: str) -> list[dict[str, Any]]:
    """Change requests that may go on this board's agendas (its own or unassigned, undecided)."""
    c = change_requests.c
    return _rows(engine, select(c.id, c.title, c.status, c.category).where(
        (c.board_id == board_id) | c.board_id.is_(None),
        c.status.in_(SCHEDULABLE), c.category != "standard",
    ).order_by(c.submitted_at))


DECISION_TIMES = ("decided_at", "ratified_at")


def _decision_filters(board_id: str | None = None, outcome: str | None = None,
                      start: datetime | None = None, end: datetime | None = None,
                      as_of: datetime | None = None, flagged: bool | None = None,
                      change_request_id: str | None = None) -> list[Any]:
    """The decision log's filters as SQL conditions."""
    d = decisions.c
    conditions = [col == value for col, value in (
        (d.board_id, board_id), (d.outcome, outcome),
        (d.change_request_id, change_request_id)) if value]
    if start:
        conditions.append(d.decided_at >= start)
    if end:
        conditions.append(d.decided_at <= end)
    if as_of:
        conditions.append(d.decided_at <= as_of)
    if flagged is not None:
        ratification = d.ratification if as_of is None else case(
            (d.ratified_at > as_of, "pending"), else_=d.ratification)
        awaiting = (d.kind == "emergency") & func.coalesce(ratification, "").in_(
            AWAITING_RATIFICATION)
        conditions.append(awaiting if flagged else ~awaiting)
    return conditions


LOGGED = tuple(c.key for c in decisions.columns if c.key != "votes")
"""The columns the decision log page shows: every one but each member's vote (``votes``,
the widest, which the API, the exports and a change request's evidence carry)."""


def _decision_query(columns: tuple[str, ...] | None = None, **filters: Any) -> Select[Any]:
    """The decision log filtered in SQL, oldest first, with change request titles (only
    ``columns`` of each decision when given).

    The title is a correlated lookup by key, not a join: as of a past moment both tables are
    views of their history (``projections/history.py``), and SQLite materialises a view it is
    joined to (0.6 s at 1M events) but looks a key up in it through its indexes."""
    d = decisions.c
    chosen = [decisions.c[c] for c in columns] if columns else [decisions]
    title = select(change_requests.c.title).where(
        change_requests.c.id == d.change_request_id).scalar_subquery()
    return select(*chosen, title.label("change_request_title")).where(
        *_decision_filters(**filters)).order_by(d.decided_at, d.id)


def _decision(as_of: datetime | None) -> Callable[[Any], dict[str, Any]]:
    def convert(row: Any) -> dict[str, Any]:
        entry = _aware(dict(row._mapping), *DECISION_TIMES)
        if as_of:
            entry = _as_of(entry, as_of)
        entry["unratified"] = entry["kind"] == "emergency" and is_unratified(
            entry["ratification"])
        return entry

    return convert


def decision_log(engine: Engine, *, limit: int = DEFAULT_LIMIT, offset: int = 0,
                 columns: tuple[str, ...] | None = None, **filters: Any) -> dict[str, Any]:
    """One page of the decision log (oldest first) matching every filter given, with the
    number of matching decisions (only ``columns`` of each, e.g. ``LOGGED``, when given)."""
    total = select(func.count()).select_from(decisions).where(*_decision_filters(**filters))
    return fetch_page(engine, _decision_query(columns, **filters), limit=limit, offset=offset,
                      convert=_decision(filters.get("as_of")), total=total)


def iter_decisions(engine: Engine, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every decision matching the filters, oldest first, streamed in batches (exports)."""
    return stream(engine, _decision_query(**filters), _decision(filters.get("as_of")))


def list_decisions(engine: Engine, board_id: str | None = None, outcome: str | None = None,
                   start: datetime | None = None, end: datetime | None = None,
                   as_of: datetime | None = None, flagged: bool | None = None,
                   change_request_id: str | None = None) -> list[dict[str, Any]]:
    """The decisions matching the filters, oldest first, with change request titles: for
    bounded sets (one change's evidence, a report's date range); lists the product serves
    use ``decision_log`` pages or ``iter_decisions``."""
    return list(iter_decisions(engine, board_id=board_id, outcome=outcome, start=start,
                               end=end, as_of=as_of, flagged=flagged,
                               change_request_id=change_request_id))


def _as_of(row: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    """Undo a ratification recorded after ``as_of``."""
    if row["ratified_at"] and row["ratified_at"] > as_of:
        row["ratification"], row["ratified_at"] = "pending", None
    return row


# -- change calendar and gate ---------------------------------------------------------------------

def list_freezes(engine: Engine, include_lifted: bool = False, start: datetime | None = None,
                 end: datetime | None = None) -> list[dict[str, Any]]:
    """Freeze windows, by start; with ``start``/``end`` only those overlapping ``[start, end)``."""
    f = freeze_windows.c
    query = select(freeze_windows).order_by(f.start)
    if not include_lifted:
        query = query.where(f.lifted_at.is_(None))
    if start is not None:
        query = query.where(f.end > start)
    if end is not None:
        query = query.where(f.start < end)
    return [_aware(r, "start", "end", "declared_at", "lifted_at") for r in _rows(engine, query)]


def change_calendar(engine: Engine, start: datetime, end: datetime) -> dict[str, Any]:
    """Scheduled and approved changes' windows, freeze windows, and the conflicts between them:
    two changes on a shared system with overlapping windows, or a change inside a freeze.

    Only the windows that overlap ``[start, end)`` (the days a calendar shows) are selected;
    every conflict that overlaps the range is still found, since both windows of such a
    conflict overlap it."""
    c = change_requests.c
    query = select(c.id, c.title, c.status, c.category, c.systems, c.planned_start,
                   c.planned_end, c.board_id).where(
        c.status.in_(["scheduled", "approved", "implemented"]),
        c.planned_end > start, c.planned_start < end)
    changes = [_aware(r, "planned_start", "planned_end")
               for r in _rows(engine, query.order_by(c.planned_start, c.id))]
    freezes = list_freezes(engine, start=start, end=end)
    return {"start": start, "end": end, "changes": changes, "freezes": freezes,
            "conflicts": _conflicts(changes, freezes)}


def _conflicts(changes: list[dict[str, Any]],
               freezes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each change's overlaps with the changes after it, then its freezes. ``changes`` are in
    start order, so the changes a window can overlap are the ones that start before it ends:
    the scan of later changes stops at the first that starts after (pairs that overlap, not
    every pair)."""
    conflicts = []
    for i, a in enumerate(changes):
        for b in changes[i + 1:]:
            if b["planned_start"] >= a["planned_end"]:
                break
            shared = sorted(set(a["systems"]) & set(b["systems"]))
            if shared and a["planned_start"] < b["planned_end"]:
                conflicts.append({"kind": "overlap", "change_request_ids": [a["id"], b["id"]],
                                  "systems": shared})
        for f in freezes:
            if freeze_overlaps(f, a["planned_start"], a["planned_end"], a["systems"]):
                conflicts.append({"kind": "freeze", "change_request_ids": [a["id"]],
                                  "freeze_id": f["id"],
                                  "emergency": exempt_from_freezes(a["category"])})
    return conflicts


def gate(engine: Engine, change_id: str, at: datetime) -> dict[str, Any]:
    """The deployment gate: the approval evidence when the change may be deployed at ``at``.

    :raise GateClosed: naming why not (not approved, outside its window, inside a freeze).
    """
    c = change_requests.c
    rows = _rows(engine, select(change_requests).where(c.id == change_id))
    if not rows:
        raise NotFound(f"no change request with id {change_id}", id=change_id)
    change = _aware(rows[0], "planned_start", "planned_end")
    if change["status"] != "approved":
        raise GateClosed("not_approved", f"the change request is {change['status']}, not "
                         "approved", status=change["status"])
    if not change["planned_start"] <= at < change["planned_end"]:
        raise GateClosed("outside_window", "now is outside the change's planned window",
                         planned_start=change["planned_start"].isoformat(),
                         planned_end=change["planned_end"].isoformat(), now=at.isoformat())
    frozen = [f for f in list_freezes(engine) if freeze_in_force(f, at, change["systems"])]
    if frozen and not exempt_from_freezes(change["category"]):
        raise GateClosed("freeze_window", "a freeze window is in force for these systems",
                         freezes=[f["id"] for f in frozen])
    evidence = list_decisions(engine, change_request_id=change_id)
    return {"change_request_id": change_id, "status": "open", "checked_at": at,
            "planned_start": change["planned_start"], "planned_end": change["planned_end"],
            "decisions": evidence}


class GateClosed(DomainError):
    """Raised when the deployment gate is closed for a change; ``code`` says why."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


OPEN_EMERGENCY = ("submitted", "scheduled", "deferred")
"""An emergency change in these states still waits for its approvals."""


def open_emergency_changes(engine: Engine, board_id: str) -> list[dict[str, Any]]:
    """The board's emergency changes not yet decided (submitted, scheduled or deferred)."""
    c = change_requests.c
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(
            c.id, c.title, c.status, c.requester_id, c.planned_start, c.version).where(
            c.board_id == board_id, c.category == "emergency",
            c.status.in_(OPEN_EMERGENCY)))]
