"""Read side of change requests: lists with filters and pages, counts, one request (read models only)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, cast, func, select

from app.paging import fetch_page
from app.sql import in_chunks
from domain.errors import NotFound
from projections.base import from_db
from projections.changes.tables import change_requests
from projections.people.tables import people

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from sqlalchemy import Engine, Row



CR_DATETIMES = ("planned_start", "planned_end", "submitted_at", "updated_at")


def _change_request(row: Row[Any]) -> dict[str, Any]:
    data = dict(row._mapping)
    for key in CR_DATETIMES:
        data[key] = from_db(data[key])
    return data


def list_change_requests(engine: Engine, *, status: str | None = None,
                         category: str | None = None, risk: str | None = None,
                         requester_id: str | None = None, board_id: str | None = None,
                         system: str | None = None, q: str | None = None,
                         limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Return a page of change requests (newest first) matching every filter given."""
    c = change_requests.c
    query = _with_requester()
    conditions = [col == value for col, value in (
        (c.status, status), (c.category, category), (c.risk, risk),
        (c.requester_id, requester_id), (c.board_id, board_id)) if value]
    if q:
        conditions.append(func.lower(c.title).contains(q.lower(), autoescape=True))
    if system:  # an exact element of the JSON list: its quoted form in the stored text
        conditions.append(cast(c.systems, Text).contains(json.dumps(system), autoescape=True))
    return fetch_page(engine, query.where(*conditions).order_by(c.submitted_at.desc(), c.id),
                      limit=limit, offset=offset, convert=_change_request,
                      total=select(func.count()).select_from(change_requests).where(
                          *conditions))


def submitted_between(engine: Engine, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every change request submitted from ``start`` to ``end`` (inclusive), oldest first,
    with its requester's name (one indexed range: a bundle's population)."""
    c = change_requests.c
    query = _with_requester().where(c.submitted_at >= start, c.submitted_at <= end).order_by(
        c.submitted_at, c.id)
    with engine.connect() as conn:
        return [_change_request(r) for r in conn.execute(query)]


def _with_requester() -> Any:
    """Change requests with their requester's name (``requester_name``)."""
    return select(change_requests, people.c.name.label("requester_name")).outerjoin(
        people, people.c.id == change_requests.c.requester_id)


def requesters_of(engine: Engine, ids: Iterable[str]) -> dict[str, str]:
    """Each of the change requests ``ids`` that exists → its requester's id."""
    c = change_requests.c
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for chunk in in_chunks(sorted(set(ids))):
            found.update(conn.execute(select(c.id, c.requester_id).where(c.id.in_(chunk))).all())
    return found


def count_change_requests_by_status(engine: Engine) -> dict[str, int]:
    """How many change requests are in each status."""
    c = change_requests.c
    return {status: n for status, n in _fetch(
        engine, select(c.status, func.count()).group_by(c.status))}


def _fetch(engine: Engine, query: Any) -> list[Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(query))


def get_change_request(engine: Engine, change_id: str) -> dict[str, Any]:
    """Return one change request or raise NotFound."""
    query = select(change_requests, people.c.name.label("requester_name")).outerjoin(
        people, people.c.id == change_requests.c.requester_id).where(
        change_requests.c.id == change_id)
    rows = _fetch(engine, query)
    if not rows:
        raise NotFound(f"no change request with id {change_id}", id=change_id)
    return _change_request(rows[0])
