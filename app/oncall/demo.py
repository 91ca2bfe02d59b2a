"""On-call demo data: a 5-person rotation planned ahead, six runbooks, training, a completed
fire drill with its debrief, a real incident that escalated to L2 by the clock, and an evening
override of part of next week's primary shift (Tuesday 18:00 to Wednesday 09:00).

Scenes of the demo story (:mod:`app.demo_timeline`): the rotation is set up on the first day
and planned 11 weeks ahead (so about six weeks beyond today), training on day 3, the fire drill
on day 8 and the real incident in the night of day 24.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from app.oncall.escalations import tick
from domain.oncall.rotation import Rotation
from domain.oncall.runbook import TRAINING_TOPICS, Runbook

if TYPE_CHECKING:
    from app.bootstrap import Services
    from app.demo_timeline import Story

TEAM = ("alice", "bob", "carol", "dave", "erin")
PLANNED_WEEKS = 11


def load_oncall(story: Story) -> None:
    """A month of on-call life as scenes of the story."""
    services, ids = story.services, story.ids
    state: dict[str, Any] = {}

    @story.scene(story.day(0, 9))
    def set_up() -> None:
        with services.ledger.as_system(reason="demo: on-call set-up"):
            state["rotation"] = services.oncall.create_rotation(
                name="Platform on-call", timezone="Europe/Berlin",
                roster=[ids[p] for p in TEAM])["id"]
            services.oncall.plan_rotation(state["rotation"], weeks=PLANNED_WEEKS)
            services.oncall.change_escalation_policy(state["rotation"], engineering_lead_id=ids["alice"],
                                            executive_id=ids["carol"])
            state["runbooks"] = services.oncall.seed_runbooks()

    @story.scene(story.day(3, 10))
    def training() -> None:
        held_on = story.clock.now.date()
        with services.ledger.acting_as(ids["alice"], reason="demo"):
            services.oncall.record_training(title="On-call training", held_on=held_on,
                                   topics=list(TRAINING_TOPICS),
                                   attendee_ids=[ids[p] for p in TEAM[:4]])
            services.oncall.record_training(title="Rollback hands-on", held_on=held_on,
                                   topics=["rollback", "escalation"], attendee_ids=[ids["erin"]])
            for book in state["runbooks"]:
                services.oncall.sign_off_runbook(book, "reviewed")

    @story.scene(story.day(27, 11))
    def evening_cover() -> None:  # an override of part of a shift: next Tuesday 18:00–Wed 09:00
        rotation = services.ledger.load(Rotation, state["rotation"])
        week = rotation.week_of(story.clock.now + timedelta(days=7))
        shift = rotation.shifts[week.isoformat()]
        zone = ZoneInfo(rotation.timezone)
        start = datetime.combine(week + timedelta(days=1), time(18), zone)
        end = datetime.combine(week + timedelta(days=2), time(9), zone)
        cover = next(ids[p] for p in TEAM if ids[p] not in (shift["primary_id"],
                                                             shift["secondary_id"]))
        with services.ledger.as_system(reason="demo: evening cover for a school concert"):
            services.oncall.override_interval(state["rotation"], "primary", cover, start, end)

    story.add(story.day(8, 14), lambda: _fire_drill(story, state["rotation"],
                                                    state["runbooks"][0]))
    story.add(story.day(24, 2), lambda: _real_incident(story, state["rotation"],
                                                       state["runbooks"][1]))


def _fire_drill(story: Story, rotation_id: str, runbook_id: str) -> None:
    services, ids, clock = story.services, story.ids, story.clock
    start = clock.now
    with services.ledger.acting_as(ids["alice"], reason="demo: fire drill"):
        drill = services.oncall.open_incident(rotation_id, title="Drill: database connection pool "
                                     "exhaustion", severity="P1", category="database",
                                     affected_users_percent=30, practice=True,
                                     runbook_id=runbook_id)["id"]
    responder = _primary(services, drill)
    clock.move_to(start + timedelta(minutes=6))
    with services.ledger.acting_as(responder):
        services.oncall.acknowledge_incident(drill)
    clock.move_to(start + timedelta(minutes=21))
    with services.ledger.acting_as(responder):
        services.oncall.mitigate_incident(drill, "Killed idle-in-transaction sessions; pool recovered.")
    clock.move_to(start + timedelta(minutes=34))
    with services.ledger.acting_as(responder):
        services.oncall.resolve_incident(drill, "Leak reproduced in the report job; fix scheduled.")
    clock.move_to(start + timedelta(minutes=60))
    with services.ledger.acting_as(ids["alice"], reason="drill debrief"):
        services.oncall.record_debrief(drill, "Acknowledged in 6 minutes; finding the pool dashboard "
                              "took too long.", [
                                  {"title": "Link the pool dashboard from the database runbook",
                                   "owner_id": ids["erin"], "priority": "P1"},
                                  {"title": "Alert on idle-in-transaction sessions",
                                   "owner_id": ids["dave"], "priority": "P2"}])
        book = services.ledger.load(Runbook, runbook_id)  # noqa: SLF001
        services.oncall.revise_runbook(runbook_id, book.revisions[-1] + "\n## Dashboards\n\n"
                              "- Pool: Grafana › Databases › Connection pool\n",
                              "Link the pool dashboard (fire drill debrief)",
                              source_type="drill", source_id=drill)


def _real_incident(story: Story, rotation_id: str, runbook_id: str) -> None:
    services, ids, clock = story.services, story.ids, story.clock
    opened = clock.now
    with services.ledger.acting_as(ids["bob"], reason="alert from checkout"):
        incident = services.oncall.open_incident(rotation_id, title="Checkout API returns 500 errors",
                                        severity="P1", category="api",
                                        affected_users_percent=18, runbook_id=runbook_id)["id"]
    services.projections.catch_up()
    tick(services, clock.move_to(opened + timedelta(minutes=16)))
    secondary = _responders(services, incident)["L2"]
    clock.move_to(opened + timedelta(minutes=19))
    with services.ledger.acting_as(secondary):
        services.oncall.acknowledge_incident(incident)
    clock.move_to(opened + timedelta(minutes=41))
    with services.ledger.acting_as(secondary):
        services.oncall.mitigate_incident(incident, "Rolled back to the previous image.")
    clock.move_to(opened + timedelta(minutes=58))
    with services.ledger.acting_as(secondary):
        services.oncall.resolve_incident(incident, "A config change disabled the payment client pool.")


def _responders(services: Services, incident_id: str) -> dict[str, str]:
    from domain.oncall.incident import Incident

    return services.ledger.load(Incident, incident_id).responders  # noqa: SLF001


def _primary(services: Services, incident_id: str) -> str:
    return _responders(services, incident_id)["L1"]
