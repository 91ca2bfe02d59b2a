"""The clock-driven escalation process: one tick evaluates every unacknowledged incident."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from app.oncall.queries import open_incident_ids
from domain.base import now, using_clock

if TYPE_CHECKING:
    from app.bootstrap import Services


def tick(services: Services, at: datetime | None = None) -> int:
    """Fire every time-based escalation due at ``at`` (default: now); returns events appended.

    Candidates come from the read model; each is re-checked on its aggregate, so a lagging
    read model or a concurrent tick never produces a duplicate (optimistic concurrency).
    With ``at`` given, the events are recorded at that time (cron catch-up and tests).
    """
    at = at or now()
    services.projections.catch_up()
    fired = 0
    with using_clock(lambda: at), services.ledger.as_system(reason="escalation tick"):
        for incident_id in open_incident_ids(services.engine):
            fired += services.oncall.evaluate_escalations(incident_id, at)
    services.projections.catch_up()
    return fired
