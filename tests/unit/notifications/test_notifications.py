"""Notification rules of the domain: back-off, attempts, preferences, webhooks, alerts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.notifications.integration import map_severity
from domain.notifications.notification import (
    BASE_DELAY,
    MAX_ATTEMPTS,
    MAX_DELAY,
    Notification,
    NotificationClosed,
    notification_id,
    retry_delay,
)
from domain.notifications.preferences import PagingRequired, Preferences, UnknownKind
from domain.notifications.webhook import UnknownEventName, Webhook, check_event_names

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def page(key: str = "incident:1:paged:L1") -> Notification:
    return Notification(key=key, channel="email", kind="incident.paged", recipient_id="p",
                        address="ana@example.org", subject_type="incident", subject_id="1",
                        title="t", content={}, source_position=7)


@given(st.integers(1, 40), st.integers(0, 2 ** 32))
def test_the_back_off_grows_exponentially_with_jitter_and_is_capped(attempt: int,
                                                                    seed: int) -> None:
    """Each retry waits between half and all of min(30 s · 2^(n-1), 30 min): retries spread
    out (no lock-step) and never wait longer than the cap."""
    delay = retry_delay(attempt, random.Random(seed))

    base = min(BASE_DELAY * 2 ** (attempt - 1), MAX_DELAY)
    assert base / 2 <= delay <= base


class TestAttempts:
    def test_the_id_is_derived_from_the_key_and_channel(self) -> None:
        assert page().id == notification_id("incident:1:paged:L1", "email")
        assert notification_id("k", "email") != notification_id("k", "webhook")

    def test_a_failure_schedules_a_retry_and_the_last_one_gives_up(self) -> None:
        n = page()

        for _ in range(MAX_ATTEMPTS - 1):
            n.record_failure("refused", AT, random.Random(1))
        retry_at = n.retry_at
        n.record_failure("refused", AT)

        assert retry_at is not None and retry_at > AT
        assert (n.status, n.attempts) == ("failed", MAX_ATTEMPTS)
        events = [type(e).__name__ for e in n.collect_events()]
        assert events.count("AttemptFailed") == MAX_ATTEMPTS - 1 and events[-1] == "GaveUp"

    def test_nothing_is_recorded_after_delivery(self) -> None:
        n = page()
        n.record_delivery("250 OK")

        with pytest.raises(NotificationClosed):
            n.record_delivery("250 OK")
        with pytest.raises(NotificationClosed):
            n.record_failure("late", AT)
        assert (n.status, n.attempts) == ("delivered", 1)


class TestPreferences:
    def test_someone_on_call_cannot_mute_paging(self) -> None:
        p = Preferences(person_id="ana")

        with pytest.raises(PagingRequired):
            p.mute(["incident.paged", "swap.requested"], on_call=True)
        assert p.muted == []

    def test_other_kinds_may_be_muted_and_paging_when_off_every_rotation(self) -> None:
        p = Preferences(person_id="ana")

        p.mute(["swap.requested"], on_call=True)
        on_call = list(p.muted)
        p.mute(["incident.paged"], on_call=False)

        assert on_call == ["swap.requested"] and p.muted == ["incident.paged"]

    def test_an_unknown_kind_is_refused(self) -> None:
        with pytest.raises(UnknownKind):
            Preferences(person_id="ana").mute(["horoscope"], on_call=False)


class TestWebhooksAndAlerts:
    def test_a_webhook_wants_its_events_or_all_of_them(self) -> None:
        some = Webhook(url="https://x.example/h", events=["incident.opened"], secret_sha256="s",
                       format="json", description="")
        every = Webhook(url="https://x.example/h", events=["*"], secret_sha256="s",
                        format="json", description="")

        assert some.wants("incident.opened") and not some.wants("incident.resolved")
        assert every.wants("swap.accepted")
        every.remove()
        assert not every.wants("swap.accepted")

    def test_unknown_event_names_are_refused(self) -> None:
        with pytest.raises(UnknownEventName):
            check_event_names(["incident.opened", "incident.exploded"])
        assert check_event_names(["*", "*"]) == ["*"]

    @pytest.mark.parametrize(("given_severity", "expected"), [
        ("critical", "P0"), ("CRITICAL", "P0"), ("error", "P1"), ("warning", "P2"),
        ("info", "P2"), (None, "P2"), ("whatever", "P2")])
    def test_alert_severities_map_to_incident_severities(self, given_severity: str | None,
                                                         expected: str) -> None:
        assert map_severity(given_severity) == expected
