"""Read side of the action item tracker: lists, filters, CSV, follow-up policy violations.

Overdue is derived here from the clock (``today``), never stored by the projection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.csv_export import csv_lines
from app.paging import DEFAULT_LIMIT, fetch_page, stream
from domain.errors import NotFound
from domain.reviews.action_item import OPEN_STATUSES, is_overdue, policy_violation
from projections.base import from_db
from projections.people.tables import people
from projections.reviews.tables import (
    action_item_updates,
    action_items,
    follow_up_policies,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date, datetime

    from sqlalchemy import Engine

DONE = "completed"
"""The status that ends an item (``is_overdue`` never holds for it)."""
CSV_COLUMNS = ("id", "title", "priority", "status", "overdue", "owner_name", "owner_id", "due",
               "source_type", "source_id", "raised_at", "completed_at", "status_note")


def _item(row: Any, today: date) -> dict[str, Any]:
    data = dict(row._mapping)
    for key in ("raised_at", "updated_at", "completed_at"):
        data[key] = from_db(data[key])
    data["overdue"] = is_overdue(data["due"], data["status"], today)
    return data


def _query() -> Any:
    return select(action_items, people.c.name.label("owner_name")).outerjoin(
        people, people.c.id == action_items.c.owner_id)


def _filters(today: date, *, owner_id: str | None = None, status: str | None = None,
             priority: str | None = None, source_type: str | None = None,
             source_id: str | None = None, overdue: bool | None = None,
             open_only: bool = False, q: str | None = None,
             raised_until: datetime | None = None,
             open_or_raised_since: datetime | None = None) -> list[Any]:
    """The tracker's filters as SQL conditions (the last two select a report's period: raised
    by its end, and raised in it or not completed)."""
    c = action_items.c
    conditions = [col == value for col, value in (
        (c.owner_id, owner_id), (c.status, status), (c.priority, priority),
        (c.source_type, source_type), (c.source_id, source_id)) if value]
    if open_only:
        conditions.append(c.status.in_(OPEN_STATUSES))
    if q:
        conditions.append(func.lower(c.title).contains(q.lower(), autoescape=True))
    if overdue is not None:
        late = overdue_condition(today)
        conditions.append(late if overdue else ~late)
    if raised_until is not None:
        conditions.append(c.raised_at <= raised_until)
    if open_or_raised_since is not None:
        conditions.append((c.raised_at >= open_or_raised_since) | (c.status != DONE))
    return conditions


def overdue_condition(today: date) -> Any:
    """``domain.reviews.action_item.is_overdue`` as SQL (not completed, due before ``today``),
    so the overdue filter is applied before paging; ``_item`` still derives each row's flag
    with the domain function, and a test holds the two to the same answer."""
    return (action_items.c.status != DONE) & (action_items.c.due < today)


ORDER = (action_items.c.due, action_items.c.priority, action_items.c.raised_at,
         action_items.c.id)
"""Earliest due first (an index on the same columns serves it)."""


def list_action_items(engine: Engine, today: date, *, limit: int = DEFAULT_LIMIT,
                      offset: int = 0, **filters: Any) -> dict[str, Any]:
    """Return a page of items (earliest due first) matching every filter given (see
    ``_filters``), with the number of matching items."""
    conditions = _filters(today, **filters)
    return fetch_page(engine, _query().where(*conditions).order_by(*ORDER), limit=limit,
                      offset=offset, convert=lambda row: _item(row, today),
                      total=select(func.count()).select_from(action_items).where(*conditions))


def iter_action_items(engine: Engine, today: date, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every item matching the filters, earliest due first, streamed in batches (exports)."""
    return stream(engine, _query().where(*_filters(today, **filters)).order_by(*ORDER),
                  lambda row: _item(row, today))


def get_action_item(engine: Engine, item_id: str, today: date) -> dict[str, Any]:
    """Return one item with its updates (oldest first), or raise NotFound."""
    with engine.connect() as conn:
        row = conn.execute(_query().where(action_items.c.id == item_id)).first()
        if row is None:
            raise NotFound(f"no action item with id {item_id}", id=item_id)
        updates = [dict(r._mapping) for r in conn.execute(
            select(action_item_updates).where(action_item_updates.c.item_id == item_id)
            .order_by(action_item_updates.c.version))]
    for u in updates:
        u["at"] = from_db(u["at"])
    return {**_item(row, today), "updates": updates}


def action_items_csv(items: Iterable[dict[str, Any]]) -> str:
    """The items as CSV (one header row, ISO dates)."""
    return "".join(action_items_csv_lines(items))


def action_items_csv_lines(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The items as CSV, line by line as they arrive (a streamed download)."""
    return csv_lines(CSV_COLUMNS, ([_cell(item.get(col)) for col in CSV_COLUMNS]
                                   for item in items))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def list_policies(engine: Engine, active_only: bool = False) -> list[dict[str, Any]]:
    """Every follow-up policy, by name."""
    query = select(follow_up_policies).order_by(follow_up_policies.c.name)
    if active_only:
        query = query.where(follow_up_policies.c.active.is_(True))
    with engine.connect() as conn:
        return [{**dict(r._mapping), "defined_at": from_db(r.defined_at)}
                for r in conn.execute(query)]


def policy_violations(engine: Engine, at: datetime) -> list[dict[str, Any]]:
    """Items breaking an active policy at ``at``: completed late, or still open past the deadline.
    Each policy reads only the items of its source and priority (filtered in SQL, streamed)."""
    rows = []
    for policy in list_policies(engine, active_only=True):
        for item in iter_action_items(engine, at.date(), source_type=policy["source_type"],
                                      priority=policy["priority"]):
            why = policy_violation(policy, item, at)
            if why:
                rows.append({"policy_id": policy["id"], "policy_name": policy["name"],
                             "item": item, "why": why})
    return rows
