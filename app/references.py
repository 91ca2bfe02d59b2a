"""Names of referenced records, for pages that show a reference as a name with a link instead of
a raw id: ``names(engine, kind, ids)`` answers from the read models of every area (one query
per kind, for the ids a page shows; ``names_by_kind`` several kinds through one connection)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select

from projections.ccb.tables import boards, decisions, meetings
from projections.changes.tables import change_requests
from projections.oncall.tables import incidents, rotations, runbooks
from projections.people.tables import people
from projections.rehearsals.tables import rehearsals
from projections.reviews.tables import launches, reviews

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy import Engine, Table

KINDS: dict[str, tuple[Table, Callable[[Any], str]]] = {
    "person": (people, lambda r: r.name),
    "board": (boards, lambda r: r.name),
    "change": (change_requests, lambda r: r.title),
    "incident": (incidents, lambda r: r.title),
    "rotation": (rotations, lambda r: r.name),
    "runbook": (runbooks, lambda r: r.title),
    "launch": (launches, lambda r: r.name),
    "rehearsal": (rehearsals, lambda r: f"Rehearsal of {r.release_version}"),
    "meeting": (meetings, lambda r: f"Meeting of {r.scheduled_start:%Y-%m-%d %H:%M} UTC"),
    "review": (reviews, lambda r: f"Review {r.seq} ({r.kind}) of {r.scheduled_for:%Y-%m-%d}"),
    "decision": (decisions, lambda r: f"Decision: {r.outcome}"),
}
"""Kind of reference → its read-model table and how a row is named."""

NAMED_BY: dict[str, tuple[str, ...]] = {
    "person": ("name",), "board": ("name",), "change": ("title",), "incident": ("title",),
    "rotation": ("name",), "runbook": ("title",), "launch": ("name",),
    "rehearsal": ("release_version",), "meeting": ("scheduled_start",),
    "review": ("seq", "kind", "scheduled_for"), "decision": ("outcome",),
}
"""The columns each kind's name is made of: only these are read (rows hold large documents)."""


def _named(kind: str) -> Any:
    table = KINDS[kind][0]
    return select(table.c.id, *(table.c[c] for c in NAMED_BY[kind]))


_BY_IDS: dict[str, Any] = {}


def _by_ids(kind: str) -> Any:
    """The kind's naming query for a list of ids (``ids``, an expanding parameter), built once."""
    query = _BY_IDS.get(kind)
    if query is None:
        table = KINDS[kind][0]
        query = _BY_IDS[kind] = _named(kind).where(
            table.c.id.in_(bindparam("ids", expanding=True)))
    return query


def names(engine: Engine, kind: str, ids: Iterable[str]) -> dict[str, str]:
    """Id → name for the ``ids`` of this kind that exist (unknown kinds and ids: absent)."""
    return names_by_kind(engine, {kind: ids}).get(kind, {})


def names_by_kind(engine: Engine, wanted: dict[str, Iterable[str]]) -> dict[str, dict[str, str]]:
    """``names`` of several kinds at once, through one connection: kind → id → name."""
    found: dict[str, dict[str, str]] = {}
    asked = {kind: sorted({str(i) for i in ids if i}) for kind, ids in wanted.items()
             if kind in KINDS}
    asked = {kind: ids for kind, ids in asked.items() if ids}
    if not asked:
        return found
    with engine.connect() as conn:
        for kind, ids in asked.items():
            name = KINDS[kind][1]
            found[kind] = {str(r.id): name(r) for r in conn.execute(_by_ids(kind), {"ids": ids})}
    return found


NEWEST_FIRST = {"meeting": "scheduled_start", "incident": "opened_at", "review": "scheduled_for",
                "launch": "launch_date", "rehearsal": "planned_at", "change": "submitted_at"}


def choices(engine: Engine, kind: str, limit: int = 100) -> list[tuple[str, str]]:
    """``(id, name)`` of this kind's records for a picker, newest first (at most ``limit``)."""
    table, name = KINDS[kind]
    query = _named(kind)
    column = NEWEST_FIRST.get(kind)
    if column is not None and column in table.c:
        query = query.order_by(table.c[column].desc())
    with engine.connect() as conn:
        return [(str(r.id), name(r)) for r in conn.execute(query.limit(limit))]


def exists(engine: Engine, kind: str, ref_id: str) -> bool:
    """Whether a record of this kind has this id."""
    return str(ref_id) in names(engine, kind, [ref_id])
