"""Email notifications through a real SMTP server: paging, escalation, retries, no duplicates."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from app.bootstrap import bootstrap
from app.config import load_settings
from app.notifications.worker import Worker
from tests.conftest import bearer
from tests.integration.notifications.conftest import open_incident
from tests.support.receivers import SmtpServer

if TYPE_CHECKING:
    from pathlib import Path

    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


def wait_for(condition: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


class TestPaging:
    def test_opening_an_incident_emails_the_primary_within_the_poll_interval(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            worker: Worker) -> None:
        worker.start()
        try:
            started = time.monotonic()
            incident_id = open_incident(services, team)

            arrived = wait_for(lambda: smtp.to(team["primary_email"]), seconds=10)
            elapsed = time.monotonic() - started
        finally:
            worker.stop()

        assert arrived, "no page reached the primary"
        assert elapsed < 5  # a few poll intervals (0.05 s) plus the SMTP conversation
        [message] = smtp.to(team["primary_email"])
        assert "Paged (L1): [P1] Checkout returns 500" in message["Subject"]
        assert message["From"] == "govledger@example.org"
        assert message["Message-ID"].startswith("<") and "@govledger>" in message["Message-ID"]
        text = message.get_body(("plain",)).get_content()
        page = message.get_body(("html",)).get_content()
        assert f"/oncall/incidents/{incident_id}" in text
        assert f'href="/oncall/incidents/{incident_id}"' in page
        assert smtp.to(team["secondary_email"]) == []

    def test_the_link_uses_the_public_url_when_it_is_set(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            clock: FakeClock) -> None:
        services.settings.public_url = "https://ledger.example.org/"
        worker = Worker(services)
        incident_id = open_incident(services, team)

        worker.tick(clock.now)

        [message] = smtp.to(team["primary_email"])
        assert (f"https://ledger.example.org/oncall/incidents/{incident_id}"
                in message.get_body(("plain",)).get_content())

    def test_not_acknowledging_emails_the_secondary_at_fifteen_minutes(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer, worker: Worker,
            clock: FakeClock) -> None:
        opened = clock.now
        open_incident(services, team)

        worker.tick(opened)
        worker.tick(opened + timedelta(minutes=14, seconds=59))
        before = smtp.to(team["secondary_email"])
        worker.tick(opened + timedelta(minutes=15))

        assert before == []
        [page] = smtp.to(team["secondary_email"])
        assert "Escalated to you (L2)" in page["Subject"]
        assert "not_acknowledged" in page.get_body(("plain",)).get_content()
        assert len(smtp.to(team["primary_email"])) == 1

    def test_acknowledging_in_time_sends_no_escalation_before_thirty_minutes(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer, worker: Worker,
            clock: FakeClock) -> None:
        opened = clock.now
        incident_id = open_incident(services, team)
        worker.tick(opened)
        clock.advance(minutes=5)
        with services.ledger.acting_as(team["primary"]):
            services.oncall.acknowledge_incident(incident_id)

        worker.tick(opened + timedelta(minutes=20))
        at_twenty = smtp.to(team["secondary_email"])
        worker.tick(opened + timedelta(minutes=30))

        assert at_twenty == []
        [page] = smtp.to(team["secondary_email"])
        assert "not_resolved" in page.get_body(("plain",)).get_content()

    def test_the_delivery_and_its_attempts_are_in_the_incident_history(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer, worker: Worker,
            clock: FakeClock, client: FlaskClient) -> None:
        incident_id = open_incident(services, team)
        worker.tick(clock.now)

        response = client.get(f"/api/v1/incidents/{incident_id}/history",
                              headers=bearer(team["admin"]))

        events = response.get_json()["events"]
        types = [e["type"] for e in events]
        assert types.index("Paged") < types.index("NotificationQueued") < types.index(
            "NotificationDelivered")
        queued = events[types.index("NotificationQueued")]
        assert queued["data"]["address"] == team["primary_email"]
        assert queued["data"]["channel"] == "email"
        assert queued["data"]["recipient_id"] == team["primary"]
        assert events[types.index("NotificationDelivered")]["data"]["attempt"] == 1

    def test_the_paged_person_sees_it_among_their_notifications(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer, worker: Worker,
            clock: FakeClock, client: FlaskClient) -> None:
        primary = next(p for p in team["people"] if p["id"] == team["primary"])
        incident_id = open_incident(services, team)
        worker.tick(clock.now)

        items = client.get("/api/v1/me/notifications", headers=bearer(primary)).get_json()["items"]

        [item] = items
        assert (item["kind"], item["subject_id"], item["status"]) == (
            "incident.paged", incident_id, "delivered")
        assert item["attempt_log"][0]["outcome"] == "delivered"


class TestRetries:
    def test_with_the_smtp_server_down_delivery_is_retried_and_succeeds_when_it_is_back(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        server = SmtpServer()  # not started yet: connections are refused
        services.settings.smtp_url = server.url
        worker = Worker(services)
        opened = clock.now
        incident_id = open_incident(services, team)

        first = worker.tick(opened)
        too_soon = worker.tick(opened + timedelta(seconds=10))  # the first back-off is 15-30 s
        server.start()
        try:
            second = worker.tick(opened + timedelta(minutes=1))
            third = worker.tick(opened + timedelta(minutes=2))
        finally:
            server.stop()

        assert (first["failed"], too_soon["failed"] + too_soon["delivered"]) == (1, 0)
        assert second["delivered"] == 1 and third["delivered"] == 0
        assert len(server.to(team["primary_email"])) == 1
        history = services.notifications.read_model()
        from app.notifications.queries import subject_deliveries

        [delivery] = subject_deliveries(history, incident_id)
        outcomes = [a["outcome"] for a in delivery["attempt_log"]]
        assert outcomes == ["failed", "delivered"]
        assert "Connection" in delivery["attempt_log"][0]["detail"] or "refused" in (
            delivery["attempt_log"][0]["detail"])
        retry_at = delivery["attempt_log"][0]["retry_at"]
        assert opened + timedelta(seconds=15) <= retry_at <= opened + timedelta(seconds=30)

    def test_a_notification_that_never_gets_through_is_given_up_and_recorded(
            self, services: Services, team: dict[str, Any], clock: FakeClock) -> None:
        services.settings.smtp_url = SmtpServer().url  # nothing listens there
        worker = Worker(services)
        opened = clock.now
        incident_id = open_incident(services, team)

        for hour in range(12):
            worker.tick(opened + timedelta(hours=hour))

        from app.notifications.queries import subject_deliveries

        [delivery, escalated] = subject_deliveries(services.notifications.read_model(),
                                                   incident_id)
        assert escalated["kind"] == "incident.escalated"
        assert delivery["kind"] == "incident.paged"
        assert delivery["status"] == "failed" and delivery["attempts"] == 8
        assert delivery["attempt_log"][-1]["outcome"] == "gave_up"


class TestExactlyOnce:
    def test_a_crash_before_the_position_moves_sends_nothing_twice(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer, clock: FakeClock,
            database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        open_incident(services, team)
        crashing = Worker(services)

        def crash(*args: Any) -> bool:
            raise SystemExit("killed")

        monkeypatch.setattr(crashing, "_move", crash)
        with pytest.raises(SystemExit):
            crashing.tick(clock.now)  # queued the page, died before moving its position
        restarted = bootstrap(load_settings(database_url=database_url,
                                            instance_path=tmp_path / "instance",
                                            password_cost="fast", smtp_url=smtp.url))
        try:
            Worker(restarted).tick(clock.now)
            Worker(restarted).tick(clock.now + timedelta(seconds=1))
        finally:
            restarted.close()

        assert len(smtp.to(team["primary_email"])) == 1

    def test_two_workers_at_once_deliver_each_page_once(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer, clock: FakeClock,
            database_url: str, tmp_path: Path) -> None:
        import threading

        open_incident(services, team)
        other = bootstrap(load_settings(database_url=database_url,
                                        instance_path=tmp_path / "instance",
                                        password_cost="fast", smtp_url=smtp.url))
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(svc: Services) -> None:
            try:
                worker = Worker(svc)
                barrier.wait()
                for minute in (0, 16, 17):
                    worker.tick(clock.now + timedelta(minutes=minute))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in (services, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        other.close()

        assert errors == []
        assert len(smtp.to(team["primary_email"])) == 1
        assert len(smtp.to(team["secondary_email"])) == 1


def test_nothing_is_sent_twice_after_a_worker_is_killed_with_sigkill(
        services: Services, team: dict[str, Any], smtp: SmtpServer, database_url: str,
        tmp_path: Path) -> None:
    """A real ``govledger worker`` process is killed (-9) once it has paged; a new one takes
    over from its position and the outbox: the first page is not sent again, the next one is
    sent once. (Incidents are resolved at once so that the workers, on the real clock, do not
    escalate these fake-clock incidents too.)"""
    import collections
    import os
    import signal
    import subprocess
    import sys

    from app.notifications.queries import subject_deliveries

    def paged_and_resolved() -> str:
        incident_id = open_incident(services, team)
        with services.ledger.acting_as(team["primary"]):
            services.oncall.acknowledge_incident(incident_id)
            services.oncall.resolve_incident(incident_id, summary="false alarm")
        return incident_id

    def delivered(incident_id: str) -> bool:
        rows = subject_deliveries(services.notifications.read_model(), incident_id)
        return bool(rows) and rows[0]["status"] == "delivered"

    env = {**os.environ, "GOVLEDGER_DATABASE_URL": database_url,
           "GOVLEDGER_INSTANCE_PATH": str(tmp_path / "instance"), "GOVLEDGER_SMTP_URL": smtp.url,
           "GOVLEDGER_WORKER_INTERVAL": "0.1"}
    command = [sys.executable, "-m", "web.cli.main", "worker"]
    first_incident = paged_and_resolved()

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: delivered(first_incident), seconds=20)
        time.sleep(0.3)  # a few more rounds, killed wherever it is in one
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    second = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        second_incident = paged_and_resolved()
        assert wait_for(lambda: delivered(second_incident), seconds=20)
        time.sleep(0.5)  # more rounds: anything left to send twice would be
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0

    ids = collections.Counter(m["Message-ID"] for m in smtp.messages)
    assert len(ids) == 2 and max(ids.values()) == 1
    assert len(smtp.to(team["primary_email"])) == 2


def test_the_home_page_tells_the_paged_person(
        services: Services, team: dict[str, Any], smtp: SmtpServer, worker: Worker,
        clock: FakeClock, client: FlaskClient) -> None:
    from tests.conftest import login

    primary = next(p for p in team["people"] if p["id"] == team["primary"])
    incident_id = open_incident(services, team)
    worker.tick(clock.now)
    login(client, primary)

    page = client.get("/").get_data(as_text=True)

    assert "You were paged" in page
    assert f"/oncall/incidents/{incident_id}" in page and "(delivered)" in page


def test_without_an_smtp_server_configured_email_waits_unattempted(
        services: Services, team: dict[str, Any], clock: FakeClock) -> None:
    from app.notifications.queries import subject_deliveries

    services.settings.smtp_url = ""
    incident_id = open_incident(services, team)

    outcome = Worker(services).tick(clock.now)

    [delivery] = subject_deliveries(services.notifications.read_model(), incident_id)
    assert (outcome["failed"], delivery["status"], delivery["attempts"]) == (0, "pending", 0)
