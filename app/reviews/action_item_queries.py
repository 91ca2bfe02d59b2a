"""Read side of the action item tracker: lists, filters, CSV, follow-up policy violations.

Overdue is derived here from the clock (``today``), never stored by the projection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.csv_export import csv_text
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
    from datetime import date, datetime

    from sqlalchemy import Engine

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


def list_action_items(engine: Engine, today: date, *, owner_id: str | None = None,
                      status: str | None = None, priority: str | None = None,
                      source_type: str | None = None, source_id: str | None = None,
                      overdue: bool | None = None, open_only: bool = False, q: str | None = None,
                      limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """Return a page of items (earliest due first) matching every filter given."""
    c = action_items.c
    conditions = [col == value for col, value in (
        (c.owner_id, owner_id), (c.status, status), (c.priority, priority),
        (c.source_type, source_type), (c.source_id, source_id)) if value]
    if open_only:
        conditions.append(c.status.in_(OPEN_STATUSES))
    if q:
        conditions.append(func.lower(c.title).contains(q.lower(), autoescape=True))
    with engine.connect() as conn:
        rows = [_item(r, today) for r in conn.execute(
            _query().where(*conditions).order_by(c.due, c.priority, c.raised_at, c.id))]
    if overdue is not None:
        rows = [r for r in rows if r["overdue"] == overdue]
    return {"items": rows[offset:offset + limit], "total": len(rows), "limit": limit,
            "offset": offset}


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


def action_items_csv(items: list[dict[str, Any]]) -> str:
    """The items as CSV (one header row, ISO dates)."""
    return csv_text(CSV_COLUMNS, ([_cell(item.get(col)) for col in CSV_COLUMNS]
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
    """Items breaking an active policy at ``at``: completed late, or still open past the deadline."""
    policies = list_policies(engine, active_only=True)
    items = list_action_items(engine, at.date(), limit=1_000_000)["items"]
    rows = []
    for policy in policies:
        for item in items:
            why = policy_violation(policy, item, at)
            if why:
                rows.append({"policy_id": policy["id"], "policy_name": policy["name"],
                             "item": item, "why": why})
    return rows

