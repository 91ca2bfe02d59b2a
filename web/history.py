"""History rows for any entity page: its events with the names of who acted."""

from __future__ import annotations

from typing import Any

from app import queries
from web.context import ledger, read_model


def history_rows(cls: type, entity_id: str) -> list[dict[str, Any]]:
    """Return an entity's events with actor and on-behalf-of names filled in."""
    names = queries.people_names(read_model())
    rows = ledger().history(cls, entity_id)
    for row in rows:
        row["actor_name"] = names.get(row["actor_id"] or "", "system" if row["actor_id"] else None)
        row["on_behalf_of_name"] = names.get(row["on_behalf_of"] or "")
    return rows
