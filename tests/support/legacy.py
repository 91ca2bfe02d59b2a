"""Make a store's events look as release 0.1 wrote them: without the facts added since.

Release 0.1 left some computed facts to whoever applied an event (the projection recomputed the
quorum of a close, the aggregate lapsed proxies itself). Today the domain records them in the
event. :func:`forget_recorded_facts` strips those fields from the stored events, so a test can
rebuild the same history both ways and require the same read models and aggregates.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from eventsourcing.utils import get_topic
from sqlalchemy import text

from domain.ccb.meeting import Meeting
from domain.rehearsals.rehearsal import Rehearsal

if TYPE_CHECKING:
    from app.bootstrap import Services

FACTS_ADDED_AFTER_0_1: dict[type, tuple[str, ...]] = {
    Meeting.Closed: ("quorum", "tallies", "evidence_versions"),
    Meeting.AttendanceRecorded: ("lapsed_proxies",),
    Rehearsal.Aborted: ("aborted_steps",),
}
"""Event class → the fields release 0.1 did not record."""


def forget_recorded_facts(services: Services,
                          facts: dict[type, tuple[str, ...]] | None = None) -> int:
    """Remove the fields of ``facts`` from every stored event of those classes; returns how
    many events changed. The read models are stale afterwards: rebuild them."""
    changed = 0
    table = services.ledger.recorder.events_table_name  # ledger_events on PostgreSQL
    with services.engine.begin() as conn:
        for cls, names in (facts or FACTS_ADDED_AFTER_0_1).items():
            rows = conn.execute(
                text(f"SELECT originator_id, originator_version, state FROM {table} "  # noqa: S608
                     "WHERE topic = :topic"), {"topic": get_topic(cls)}).all()
            for originator_id, version, state in rows:
                data = json.loads(bytes(state))
                if not set(names) & set(data):
                    continue
                for name in names:
                    data.pop(name, None)
                conn.execute(text(f"UPDATE {table} SET state = :state WHERE "  # noqa: S608
                                  "originator_id = :id AND originator_version = :version"),
                             {"state": json.dumps(data, separators=(",", ":")).encode(),
                              "id": originator_id, "version": version})
                changed += 1
    return changed
