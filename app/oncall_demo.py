"""On-call demo data: a 5-person rotation planned ahead, six runbooks, training, a completed
fire drill with its debrief, and a real incident that escalated to L2 by the clock."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Callable

from app.escalations import tick
from domain.base import now, using_clock
from domain.runbooks import TRAINING_TOPICS, Runbook

if TYPE_CHECKING:
    from datetime import datetime

    from app.bootstrap import Services

TEAM = ("alice", "bob", "carol", "dave", "erin")


def load_oncall(services: Services, ids: dict[str, str]) -> None:
    """Replay a week of on-call life, starting eight days ago, with explicit times."""
    ledger = services.ledger
    start = now().replace(minute=0, second=0, microsecond=0) - timedelta(days=8)

    def at(days: float, minutes: float = 0) -> datetime:
        return start + timedelta(days=days, minutes=minutes)

    with using_clock(lambda: at(0)), ledger.as_system(reason="demo: on-call set-up"):
        rotation_id = ledger.create_rotation(name="Platform on-call", timezone="Europe/Berlin",
                                             roster=[ids[p] for p in TEAM])["id"]
        ledger.plan_rotation(rotation_id, weeks=8)
        ledger.change_escalation_policy(rotation_id, engineering_lead_id=ids["alice"],
                                        executive_id=ids["carol"])
        runbook_ids = ledger.seed_runbooks()
    services.projections.catch_up()
    with using_clock(lambda: at(1)), ledger.acting_as(ids["alice"], reason="demo"):
        ledger.record_training(title="On-call training", held_on=at(1).date(),
                               topics=list(TRAINING_TOPICS),
                               attendee_ids=[ids[p] for p in TEAM[:4]])
        ledger.record_training(title="Rollback hands-on", held_on=at(1).date(),
                               topics=["rollback", "escalation"], attendee_ids=[ids["erin"]])
        for book in runbook_ids:
            ledger.sign_off_runbook(book, "reviewed")
    _fire_drill(services, ids, rotation_id, runbook_ids[0], at)
    _real_incident(services, ids, rotation_id, runbook_ids[1], at)


def _fire_drill(services: Services, ids: dict[str, str], rotation_id: str, runbook_id: str,
                at: Callable) -> None:
    ledger = services.ledger
    with using_clock(lambda: at(3)), ledger.acting_as(ids["alice"], reason="demo: fire drill"):
        drill = ledger.open_incident(rotation_id, title="Drill: database connection pool "
                                     "exhaustion", severity="P1", category="database",
                                     affected_users_percent=30, practice=True,
                                     runbook_id=runbook_id)["id"]
    responder = _primary(services, drill)
    with using_clock(lambda: at(3, 6)), ledger.acting_as(responder):
        ledger.acknowledge_incident(drill)
    with using_clock(lambda: at(3, 21)), ledger.acting_as(responder):
        ledger.mitigate_incident(drill, "Killed idle-in-transaction sessions; pool recovered.")
    with using_clock(lambda: at(3, 34)), ledger.acting_as(responder):
        ledger.resolve_incident(drill, "Leak reproduced in the report job; fix scheduled.")
    with using_clock(lambda: at(3, 60)), ledger.acting_as(ids["alice"], reason="drill debrief"):
        ledger.record_debrief(drill, "Acknowledged in 6 minutes; finding the pool dashboard "
                              "took too long.", [
                                  {"title": "Link the pool dashboard from the database runbook",
                                   "owner_id": ids["erin"], "priority": "P1"},
                                  {"title": "Alert on idle-in-transaction sessions",
                                   "owner_id": ids["dave"], "priority": "P2"}])
        book = ledger._get(Runbook, runbook_id)  # noqa: SLF001
        ledger.revise_runbook(runbook_id, book.revisions[-1] + "\n## Dashboards\n\n"
                              "- Pool: Grafana › Databases › Connection pool\n",
                              "Link the pool dashboard (fire drill debrief)",
                              source_type="drill", source_id=drill)
    services.projections.catch_up()


def _real_incident(services: Services, ids: dict[str, str], rotation_id: str, runbook_id: str,
                   at: Callable) -> None:
    ledger = services.ledger
    opened = at(6, 2 * 60)
    with using_clock(lambda: opened), ledger.acting_as(ids["bob"], reason="alert from checkout"):
        incident = ledger.open_incident(rotation_id, title="Checkout API returns 500 errors",
                                        severity="P1", category="api",
                                        affected_users_percent=18, runbook_id=runbook_id)["id"]
    services.projections.catch_up()
    tick(services, opened + timedelta(minutes=16))
    secondary = _responders(services, incident)["L2"]
    with using_clock(lambda: opened + timedelta(minutes=19)), ledger.acting_as(secondary):
        ledger.acknowledge_incident(incident)
    with using_clock(lambda: opened + timedelta(minutes=41)), ledger.acting_as(secondary):
        ledger.mitigate_incident(incident, "Rolled back to the previous image.")
    with using_clock(lambda: opened + timedelta(minutes=58)), ledger.acting_as(secondary):
        ledger.resolve_incident(incident, "A config change disabled the payment client pool.")


def _responders(services: Services, incident_id: str) -> dict[str, str]:
    from domain.incidents import Incident

    return services.ledger._get(Incident, incident_id).responders  # noqa: SLF001


def _primary(services: Services, incident_id: str) -> str:
    return _responders(services, incident_id)["L1"]
