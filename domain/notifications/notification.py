"""One notification on one channel: queued once (its id is derived from its key and channel),
then attempted until it is delivered or given up; every attempt is an event.

The key names what the notification is about (``incident:<id>:paged:L1`` ...). Deriving the id
from (key, channel) makes queueing exactly once: a second worker, or the same one after a
crash, that derives the same notification again loses the optimistic-concurrency race on
version 1 and queues nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

CHANNELS = ("email", "webhook")
STATUSES = ("pending", "delivered", "failed")
MAX_ATTEMPTS = 8
"""Attempts before a notification is given up (about an hour and a quarter of back-off)."""
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=30)


def notification_id(key: str, channel: str) -> UUID:
    """The id of the notification ``key`` on ``channel`` (the same wherever it is derived)."""
    return uuid5(NAMESPACE_URL, f"/govledger/notification/{channel}/{key}")


def retry_delay(attempt: int, rand: random.Random | None = None) -> timedelta:
    """The back-off after failed attempt ``attempt`` (1-based): exponential from
    :data:`BASE_DELAY`, capped at :data:`MAX_DELAY`, with "equal jitter" (half fixed, half
    random) so that many failing deliveries do not retry in lock-step."""
    base = min(BASE_DELAY * 2 ** (attempt - 1), MAX_DELAY)
    jitter = (rand or random).random()  # noqa: S311 - jitter, not a secret
    return base / 2 + base / 2 * jitter


class Notification(LedgerAggregate):
    """A message to one recipient over one channel, with its delivery attempts."""

    @staticmethod
    def create_id(key: str, channel: str) -> UUID:
        """Derive the id from the key and channel (exactly once per notification and channel)."""
        return notification_id(key, channel)

    @event("Queued")
    def __init__(self, key: str, channel: str, kind: str, recipient_id: str | None,
                 address: str, subject_type: str, subject_id: str, title: str,
                 content: dict[str, Any], source_position: int) -> None:
        self.key = key
        self.channel = channel
        self.kind = kind
        self.recipient_id = recipient_id
        self.address = address
        self.subject_type = subject_type
        self.subject_id = subject_id
        self.title = title
        self.content = dict(content)
        self.source_position = source_position
        self.status = "pending"
        self.attempts = 0
        self.retry_at: datetime | None = None

    def check_pending(self) -> None:
        """Refuse to record an attempt on a delivered or given-up notification."""
        if self.status != "pending":
            raise NotificationClosed(f"the notification is already {self.status}",
                                     notification_id=str(self.id), status=self.status)

    def record_delivery(self, detail: str) -> None:
        """Record that the attempt under way succeeded."""
        self.check_pending()
        self._delivered(attempt=self.attempts + 1, detail=detail[:500])

    @event("Delivered")
    def _delivered(self, attempt: int, detail: str) -> None:
        self.attempts = attempt
        self.status = "delivered"

    def record_failure(self, error: str, at: datetime, rand: random.Random | None = None,
                       max_attempts: int = MAX_ATTEMPTS) -> None:
        """Record a failed attempt: retried after a back-off, or given up after the last one."""
        self.check_pending()
        attempt = self.attempts + 1
        if attempt >= max_attempts:
            self._gave_up(attempt=attempt, error=error[:500])
        else:
            self._failed(attempt=attempt, error=error[:500],
                         retry_at=at + retry_delay(attempt, rand))

    @event("AttemptFailed")
    def _failed(self, attempt: int, error: str, retry_at: datetime) -> None:
        self.attempts = attempt
        self.retry_at = retry_at

    @event("GaveUp")
    def _gave_up(self, attempt: int, error: str) -> None:
        self.attempts = attempt
        self.status = "failed"


class NotificationClosed(DomainError):
    """Raised when recording an attempt on a notification that is delivered or given up."""

    code = "notification_closed"
