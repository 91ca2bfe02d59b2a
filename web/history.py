"""History rows for any entity page: its events with the names of who acted, each event's
position in the log and whether it is included in the latest signed checkpoint."""

from __future__ import annotations

from typing import Any

from flask import request

from app.paging import PageQueryArgsSchema
from app.people import queries as people_queries
from web.context import ledger, read_model, services
from web.forms import query_args


HISTORY_LIMIT = 100
"""Events on one page of an entity's history (``?limit=`` up to ``LIMIT_CAP``, ``?offset=``)."""


class HistoryRows(list):  # type: ignore[type-arg]
    """One page of an entity's history rows, with ``total``, ``limit`` and ``offset``."""

    total: int
    limit: int
    offset: int


def history_rows(cls: type, entity_id: str) -> HistoryRows:
    """One page (the query string's ``limit``/``offset``; 100 events by default) of an entity's
    events, oldest first, with actor and on-behalf-of names, positions and proofs filled in.

    :raise InvalidInput: naming ``limit`` or ``offset`` when one is not a number in range."""
    args = query_args(PageQueryArgsSchema(), ("limit", "offset"))
    limit = args["limit"] if "limit" in request.args else HISTORY_LIMIT
    found, total = ledger().history_page(cls, entity_id, limit, args["offset"])
    rows = HistoryRows(found)
    rows.total, rows.limit, rows.offset = total, limit, args["offset"]
    names = people_queries.people_names(read_model())
    for row in rows:
        row["actor_name"] = names.get(row["actor_id"] or "", "system" if row["actor_id"] else None)
        row["on_behalf_of_name"] = names.get(row["on_behalf_of"] or "")
    add_inclusion(rows, entity_id)
    return rows


def history_page(cls: type, entity_id: str) -> dict[str, Any]:
    """An entity's history as the API answers it: ``events`` (one page), ``total``, ``limit``
    and ``offset``."""
    rows = history_rows(cls, entity_id)
    return {"events": rows, "total": rows.total, "limit": rows.limit, "offset": rows.offset}


def add_inclusion(rows: list[dict[str, Any]], entity_id: str) -> None:
    """Add ``position`` and ``sealed`` (inclusion in the latest checkpoint) to history rows."""
    sealer = services().audit
    positions = sealer.positions_of(entity_id) if rows else {}
    for row in rows:
        row["position"] = positions.get(row["version"])
    inclusion = sealer.inclusion_many([r["position"] for r in rows if r["position"] is not None])
    for row in rows:
        row["sealed"] = inclusion.get(row["position"]) if row["position"] else None
