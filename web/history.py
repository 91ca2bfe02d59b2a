"""History rows for any entity page: its events with the names of who acted, each event's
position in the log and whether it is included in the latest signed checkpoint."""

from __future__ import annotations

from typing import Any

from app.people import queries as people_queries
from web.context import ledger, read_model, services


def history_rows(cls: type, entity_id: str) -> list[dict[str, Any]]:
    """Return an entity's events with actor and on-behalf-of names filled in."""
    names = people_queries.people_names(read_model())
    rows = ledger().history(cls, entity_id)
    for row in rows:
        row["actor_name"] = names.get(row["actor_id"] or "", "system" if row["actor_id"] else None)
        row["on_behalf_of_name"] = names.get(row["on_behalf_of"] or "")
    add_inclusion(rows, entity_id)
    return rows


def add_inclusion(rows: list[dict[str, Any]], entity_id: str) -> None:
    """Add ``position`` and ``sealed`` (inclusion in the latest checkpoint) to history rows."""
    sealer = services().audit
    positions = sealer.positions_of(entity_id) if rows else {}
    for row in rows:
        row["position"] = positions.get(row["version"])
    inclusion = sealer.inclusion_many([p for p in positions.values() if p is not None])
    for row in rows:
        row["sealed"] = inclusion.get(row["position"]) if row["position"] else None
