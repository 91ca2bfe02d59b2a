"""A meeting's state put together from its rows: attendance, proxies, agenda items with their
votes and decisions, action items raised.

The CCB projection writes one small row per meeting event (``projections/ccb/tables.py``) rather
than rewriting one document per event; readers (pages, API, tasks, minutes) and the projection
itself read the same dictionary back through :func:`states_of`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from projections.ccb.tables import (
    meeting_actions,
    meeting_attendance,
    meeting_items,
    meeting_proxies,
    meeting_votes,
    meetings,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Connection, Table

CHUNK = 500
"""Meeting ids per ``IN (…)`` list."""


def empty_state() -> dict[str, Any]:
    """A meeting's state before anything happened in it."""
    return {"attendance": [], "proxies": [], "items": [], "actions": [],
            "deferral_reason": None}


def item_key(meeting_id: str, change_request_id: str) -> str:
    """The primary key of an agenda item's row."""
    return f"{meeting_id}:{change_request_id}"


def proxy_key(meeting_id: str, proxy_id: str) -> str:
    """The primary key of a proxy's row."""
    return f"{meeting_id}:{proxy_id}"


def new_item(e: Any) -> dict[str, Any]:
    """The agenda item an ``ItemAdded`` event puts in a meeting's state."""
    return {"change_request_id": e.change_request_id, "requester_id": e.requester_id,
            "emergency": e.emergency, "carried_over": e.carried_over, "votes": {},
            "vote_events": [], "casting_vote": None, "decision": None,
            "version": e.originator_version}


def states_of(conn: Any, deferral: dict[str, str | None]) -> dict[str, dict[str, Any]]:
    """Meeting id → state, for the meetings whose ids are the keys of ``deferral`` (each
    mapped to its row's ``deferral_reason``). Five queries per :data:`CHUNK` meetings."""
    states = {}
    for meeting_id, reason in deferral.items():
        states[meeting_id] = state = empty_state()
        state["deferral_reason"] = reason
    ids = list(states)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        items: dict[tuple[str, str], dict[str, Any]] = {}
        for r in _select(conn, meeting_attendance, chunk):
            states[r.meeting_id]["attendance"].append({
                "person_id": r.person_id, "mode": r.mode, "function": r.function,
                "recording_url": r.recording_url, "recorded_by": r.recorded_by, "at": r.at,
                "version": r.version})
        for r in _select(conn, meeting_proxies, chunk):
            states[r.meeting_id]["proxies"].append({
                "id": r.proxy_id, "grantor_id": r.grantor_id, "holder_id": r.holder_id,
                "status": r.status, "given_by": r.given_by, "at": r.at, "version": r.version})
        for r in _select(conn, meeting_items, chunk):
            item = items[(r.meeting_id, r.change_request_id)] = {
                "change_request_id": r.change_request_id, "requester_id": r.requester_id,
                "emergency": r.emergency, "carried_over": r.carried_over, "votes": {},
                "vote_events": [], "casting_vote": r.casting_vote, "decision": r.decision,
                "version": r.version}
            states[r.meeting_id]["items"].append(item)
        for r in _select(conn, meeting_votes, chunk):
            vote = {"member_id": r.member_id, "choice": r.choice, "cast_by": r.cast_by,
                    "proxy_id": r.proxy_id, "at": r.at, "version": r.version}
            item = items[(r.meeting_id, r.change_request_id)]
            item["votes"][r.member_id] = vote
            item["vote_events"].append(vote)
        for r in _select(conn, meeting_actions, chunk):
            states[r.meeting_id]["actions"].append({
                "action_item_id": r.action_item_id, "change_request_id": r.change_request_id,
                "title": r.title, "owner_id": r.owner_id, "version": r.version})
    return states


def _select(conn: Any, table: Table, ids: list[str]) -> Any:
    """The rows of ``table`` of these meetings, in the order their events happened."""
    return conn.execute(select(table).where(table.c.meeting_id.in_(ids))
                        .order_by(table.c.meeting_id, table.c.version))


def with_states(conn: Connection, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Meeting rows (dictionaries of ``rm_meetings`` columns) with their ``state`` in place of
    the ``deferral_reason`` column."""
    rows = list(rows)
    states = states_of(conn, {r["id"]: r.get("deferral_reason") for r in rows})
    for row in rows:
        row.pop("deferral_reason", None)
        row["state"] = states[row["id"]]
    return rows

