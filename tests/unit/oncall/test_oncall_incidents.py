"""Incident escalation rules, without a database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.base import using_clock
from domain.oncall.incident import (
    AlreadyAcknowledged,
    AlreadyAtTopLevel,
    DrillNotResolved,
    Incident,
    IncidentResolved,
    NotADrill,
    acknowledged_within_target,
)
from domain.oncall.rotation import DEFAULT_POLICY

OPENED = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
RESPONDERS = {"L1": "ana", "L2": "ben", "L3": "lea", "executive": "eve"}


def incident(**overrides: Any) -> Incident:
    fields = {"title": "Checkout down", "severity": "P1", "category": "api",
              "affected_users_percent": 10.0, "security": False, "regulatory": False,
              "practice": False, "runbook_id": None, "rotation_id": "r",
              "policy": {**DEFAULT_POLICY, "version": 1}, "responders": RESPONDERS,
              "opened_by": "ana"}
    fields.update(overrides)
    with using_clock(lambda: OPENED):
        return Incident.open(**fields)


def fired(i: Incident) -> list[tuple[str, str]]:
    return [(e.trigger, e.level) for e in i.collect_events()
            if isinstance(e, Incident.EscalationTriggered)]


@given(st.lists(st.integers(0, 24 * 60), max_size=12))
def test_the_escalations_do_not_depend_on_when_or_how_often_the_tick_runs(
        minutes: list[int]) -> None:
    """Ticking at any sequence of moments (late, repeated, out of order) gives the same
    escalations as one tick at the latest moment: each crossing fires exactly once."""
    many, once = incident(), incident()

    for m in minutes:
        many.escalate_by_clock(OPENED + timedelta(minutes=m))
    once.escalate_by_clock(OPENED + timedelta(minutes=max(minutes, default=0)))

    assert fired(many) == fired(once)
    assert len(fired(many)) <= 1


class TestResponse:
    def test_a_second_acknowledgement_is_refused(self) -> None:
        i = incident()
        i.acknowledge("ana")

        with pytest.raises(AlreadyAcknowledged):
            i.acknowledge("ben")

    def test_nothing_happens_to_a_resolved_incident(self) -> None:
        i = incident()
        i.resolve("fixed")

        with pytest.raises(IncidentResolved):
            i.escalate(OPENED)
        assert i.due_escalations(OPENED + timedelta(days=1)) == []

    def test_manual_escalation_stops_at_the_executive(self) -> None:
        i = incident(regulatory=True)

        with pytest.raises(AlreadyAtTopLevel):
            i.escalate(OPENED)

    def test_only_resolved_drills_have_a_debrief(self) -> None:
        drill, real = incident(practice=True), incident()
        real.resolve("done")

        with pytest.raises(DrillNotResolved):
            drill.record_debrief("early", [], [])
        with pytest.raises(NotADrill):
            real.record_debrief("n/a", [], [])


class TestAcknowledgementTarget:
    @pytest.mark.parametrize(("minutes", "within"), [(0, True), (14.9, True), (15, True),
                                                     (15.01, False), (60, False)])
    def test_an_acknowledgement_is_measured_against_the_15_minute_target(
            self, minutes: float, within: bool) -> None:
        assert acknowledged_within_target(OPENED, OPENED + timedelta(minutes=minutes)) is within

    def test_an_incident_not_acknowledged_yet_has_no_verdict(self) -> None:
        assert acknowledged_within_target(OPENED, None) is None
