"""Clock-driven escalation: each trigger fires at its time, once, however the tick is run."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from app.bootstrap import bootstrap
from app.config import load_settings
from app.oncall.escalations import tick
from app.oncall.queries import get_incident
from domain.oncall.incident import Incident
from tests.conftest import add_person, event_count
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

    from app.bootstrap import Services
    from tests.conftest import FakeClock


@pytest.fixture
def team(services: Services, admin: dict[str, Any]) -> dict[str, Any]:
    """A three-person rotation planned four weeks from the clock's Monday, with a lead."""
    people = [add_person(services, name=n) for n in ("Ana", "Ben", "Cai")]
    lead = add_person(services, name="Lea Lead")
    ledger = services.ledger
    with ledger.acting_as(admin["id"]):
        rotation = services.oncall.create_rotation(name="Platform", timezone="Europe/Berlin",
                                          roster=[p["id"] for p in people])
        shifts = services.oncall.plan_rotation(rotation["id"], weeks=4)["shifts"]
        services.oncall.change_escalation_policy(rotation["id"], engineering_lead_id=lead["id"])
    return {"rotation_id": rotation["id"], "people": people, "lead": lead, "admin": admin,
            "primary": shifts[0]["primary_id"], "secondary": shifts[0]["secondary_id"]}


def open_incident(services: Services, team: dict[str, Any], **fields: Any) -> str:
    body = {"title": "Checkout returns 500", "severity": "P1", "category": "api"}
    body.update(fields)
    with services.ledger.acting_as(team["people"][0]["id"]):
        return services.oncall.open_incident(team["rotation_id"], **body)["id"]


def escalations(services: Services, incident_id: str) -> list[Any]:
    return [e for e in services.ledger.repository.event_store.get(
        __import__("uuid").UUID(incident_id)) if isinstance(e, Incident.EscalationTriggered)]


class TestOpening:
    def test_opening_pages_the_current_primary(self, services: Services,
                                               team: dict[str, Any]) -> None:
        incident_id = open_incident(services, team)

        services.projections.catch_up()
        incident = get_incident(services.engine, incident_id)
        assert incident["status"] == "paged" and incident["level"] == "L1"
        assert incident["timeline"][1]["person_id"] == team["primary"]

    @pytest.mark.parametrize(("fields", "trigger", "level"), [
        ({"security": True}, "security_incident", "L3"),
        ({"severity": "P0", "affected_users_percent": 60}, "major_outage", "L3"),
        ({"regulatory": True}, "regulatory_implications", "executive"),
    ])
    def test_immediate_triggers_escalate_at_once_naming_the_trigger(
            self, services: Services, team: dict[str, Any], fields: dict[str, Any],
            trigger: str, level: str) -> None:
        incident_id = open_incident(services, team, **fields)

        [escalation] = escalations(services, incident_id)
        assert (escalation.trigger, escalation.level) == (trigger, level)
        if level == "L3":
            assert escalation.person_id == team["lead"]["id"]

    def test_a_security_finding_after_opening_escalates_to_l3_at_once(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        incident_id = open_incident(services, team)
        clock.advance(minutes=5)

        with services.ledger.acting_as(team["primary"], reason="customer data exposed"):
            services.oncall.assess_incident(incident_id, security=True)
        with services.ledger.acting_as(team["primary"]):
            services.oncall.assess_incident(incident_id, severity="P0")

        [escalation] = escalations(services, incident_id)
        assert (escalation.trigger, escalation.level) == ("security_incident", "L3")
        assert escalation.due_at == clock.now

    def test_a_p0_affecting_half_the_users_or_fewer_stays_at_l1(
            self, services: Services, team: dict[str, Any]) -> None:
        incident_id = open_incident(services, team, severity="P0", affected_users_percent=50)

        assert escalations(services, incident_id) == []


class TestClockDrivenEscalation:
    def test_the_acknowledgement_target_fires_at_fifteen_minutes_exactly_once(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)

        before = tick(services, opened + timedelta(minutes=14, seconds=59))
        at = tick(services, opened + timedelta(minutes=15))
        again = tick(services, opened + timedelta(minutes=16))
        later = tick(services, opened + timedelta(minutes=45))

        [escalation] = escalations(services, incident_id)
        assert (before, at, again, later) == (0, 1, 0, 0)
        assert escalation.trigger == "not_acknowledged" and escalation.level == "L2"
        assert escalation.person_id == team["secondary"]
        assert escalation.due_at == opened + timedelta(minutes=15)

    def test_the_thirty_minute_resolution_trigger_fires_when_it_comes_first(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        with services.ledger.acting_as(team["admin"]["id"]):
            services.oncall.change_escalation_policy(team["rotation_id"], ack_minutes=45)
        opened = clock.now
        incident_id = open_incident(services, team)

        assert tick(services, opened + timedelta(minutes=29)) == 0
        assert tick(services, opened + timedelta(minutes=30)) == 1
        assert tick(services, opened + timedelta(minutes=50)) == 0

        [escalation] = escalations(services, incident_id)
        assert escalation.trigger == "not_resolved"

    def test_incidents_follow_the_policy_in_force_when_they_opened(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)
        with services.ledger.acting_as(team["admin"]["id"]):
            services.oncall.change_escalation_policy(team["rotation_id"], ack_minutes=60,
                                                     resolve_minutes=90)

        tick(services, opened + timedelta(minutes=15))

        assert len(escalations(services, incident_id)) == 1

    def test_a_late_tick_fires_each_missed_crossing_once_with_its_due_time(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)

        fired = tick(services, opened + timedelta(hours=3))

        [escalation] = escalations(services, incident_id)
        assert fired == 1 and escalation.due_at == opened + timedelta(minutes=15)

    def test_acknowledgement_stops_only_the_acknowledgement_trigger(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)
        clock.advance(minutes=10)
        with services.ledger.acting_as(team["primary"]):
            services.oncall.acknowledge_incident(incident_id)

        at_twenty = tick(services, opened + timedelta(minutes=20))
        at_29 = tick(services, opened + timedelta(minutes=29))
        at_31 = tick(services, opened + timedelta(minutes=31))
        later = tick(services, opened + timedelta(hours=2))

        [escalation] = escalations(services, incident_id)
        assert (at_twenty, at_29, at_31, later) == (0, 0, 1, 0)
        assert (escalation.trigger, escalation.level) == ("not_resolved", "L2")
        assert escalation.person_id == team["secondary"]
        assert escalation.due_at == opened + timedelta(minutes=30)

    def test_an_acknowledged_p1_still_open_at_31_minutes_is_at_l2_with_the_trigger_named(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        opened = clock.now
        incident_id = open_incident(services, team, severity="P1")
        clock.advance(minutes=3)
        with services.ledger.acting_as(team["primary"]):
            services.oncall.acknowledge_incident(incident_id)
            services.oncall.mitigate_incident(incident_id, note="traffic drained")

        tick(services, opened + timedelta(minutes=31))

        services.projections.catch_up()
        incident = get_incident(services.engine, incident_id)
        assert incident["level"] == "L2" and incident["status"] == "mitigated"
        [escalation] = escalations(services, incident_id)
        assert escalation.trigger == "not_resolved"

    def test_a_late_acknowledgement_still_counts_the_missed_acknowledgement_target(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)
        clock.advance(minutes=20)  # no tick ran in between
        with services.ledger.acting_as(team["primary"]):
            services.oncall.acknowledge_incident(incident_id)

        tick(services, opened + timedelta(minutes=21))

        [escalation] = escalations(services, incident_id)
        assert escalation.trigger == "not_acknowledged"
        assert escalation.due_at == opened + timedelta(minutes=15)

    def test_resolution_stops_every_time_based_trigger(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)
        clock.advance(minutes=10)
        with services.ledger.acting_as(team["primary"]):
            services.oncall.acknowledge_incident(incident_id)
            services.oncall.resolve_incident(incident_id, summary="rolled back")

        fired = tick(services, opened + timedelta(hours=2))

        assert fired == 0 and escalations(services, incident_id) == []

    def test_two_ticks_at_once_in_two_processes_add_no_duplicate(
            self, services: Services, team: dict[str, Any], clock: FakeClock,
            database_url: str, tmp_path: Path) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)
        other = bootstrap(load_settings(database_url=database_url,
                                        instance_path=tmp_path / "instance",
                                        password_cost="fast"))
        at = opened + timedelta(minutes=20)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(svc: Services) -> None:
            try:
                barrier.wait()
                for _ in range(3):
                    tick(svc, at)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in (services, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        other.close()

        assert errors == []
        assert len(escalations(services, incident_id)) == 1

    def test_the_cli_tick_takes_an_explicit_time(
            self, services: Services, team: dict[str, Any], clock: FakeClock,
            database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
        monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))

        code = main(["escalations", "tick", "--now",
                     (opened + timedelta(minutes=16)).isoformat()])
        again = main(["escalations", "tick", "--now",
                      (opened + timedelta(minutes=17)).isoformat()])

        outputs = capsys.readouterr().out.strip().splitlines()
        assert (code, again) == (0, 0)
        assert [json.loads(line)["escalations"] for line in outputs] == [1, 0]
        assert len(escalations(services, incident_id)) == 1

    def test_a_bad_now_is_one_line_naming_the_option(
            self, services: Services, database_url: str, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
        monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
        before = event_count(services)

        code = main(["escalations", "tick", "--now", "soon"])

        assert code == 2 and "--now" in capsys.readouterr().err
        assert event_count(services) == before


class TestServeLoop:
    def test_the_background_loop_of_serve_escalates_without_anyone_pressing_a_button(
            self, services: Services, team: dict[str, Any], clock: FakeClock,
            monkeypatch: pytest.MonkeyPatch) -> None:
        import time

        from app.background import Background
        from app.oncall import escalations as module

        ticked_by: list[str] = []
        real = module.tick

        def counted(*args: Any, **kwargs: Any) -> Any:
            ticked_by.append(threading.current_thread().name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, "tick", counted)
        incident_id = open_incident(services, team)
        clock.advance(minutes=16)
        background = Background(services, interval=0.05)
        background.start()
        try:
            deadline = time.monotonic() + 10
            while not escalations(services, incident_id) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)  # a few more rounds of the projection loop
        finally:
            background.stop()

        [escalation] = escalations(services, incident_id)
        assert escalation.trigger == "not_acknowledged"
        # one escalation clock in serve: the notification worker's, not also the read-model loop
        assert ticked_by and set(ticked_by) == {"govledger-worker"}


def test_a_gap_in_coverage_pages_the_next_level_at_once(
        services: Services, admin: dict[str, Any]) -> None:
    people = [add_person(services, name=n) for n in ("Ana", "Ben")]
    with services.ledger.acting_as(admin["id"]):
        rid = services.oncall.create_rotation(name="Unplanned", timezone="UTC",
                                              roster=[p["id"] for p in people])["id"]
        incident_id = services.oncall.open_incident(rid, title="Nobody home", severity="P2",
                                                    category="other")["id"]

    [escalation] = escalations(services, incident_id)
    assert (escalation.trigger, escalation.level) == ("nobody_on_call", "L2")
