"""Read side of people: the directory and display names (read models only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from projections.base import from_db
from projections.people.tables import people

if TYPE_CHECKING:
    from sqlalchemy import Engine


def list_people(engine: Engine) -> list[dict[str, Any]]:
    """Return everyone, by name."""
    with engine.connect() as conn:
        rows = list(conn.execute(select(people).order_by(people.c.name)))
    return [{**dict(r._mapping), "registered_at": from_db(r.registered_at)} for r in rows]


def people_names(engine: Engine) -> dict[str, str]:
    """Map person id to name (for showing actors in history)."""
    with engine.connect() as conn:
        return {r.id: r.name for r in conn.execute(select(people.c.id, people.c.name))}
