"""The clock-driven notification worker (``govledger worker``, and a thread in ``serve``).

Each tick, at the clock's time:

1. fires the escalations that are due (``app/oncall/escalations.tick``);
2. **derives** notifications: reads the log after its position (``notification_cursor``),
   asks the rules who gets what, and queues each as a ``Notification`` whose id is derived
   from (key, channel) — queueing it again (another worker, or this one after a crash before
   its position moved) loses the race on version 1 and adds nothing — then moves the position
   with a conditional update;
3. **reminds** the owners of open action items due tomorrow or overdue (once per item, kind
   and due date — the key names all three), and the owners of launches whose review is
   scheduled for tomorrow (once per review and date);
4. **delivers** what is due: claims rows of the deliveries read model with a lease (on
   PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` then the claim, on SQLite a conditional
   ``UPDATE`` per row — both let exactly one worker hold a row), re-checks the notification
   on its aggregate (the truth: a row may lag), sends, and records ``Delivered``,
   ``AttemptFailed`` (with the retry time: exponential back-off with jitter) or ``GaveUp``.

Several workers may run at once (processes, or threads in ``serve``). The one window in which
a message can go out twice is a crash after the SMTP server or webhook receiver accepted it
and before ``Delivered`` was saved; the Message-ID (``<notification id@govledger>``) and the
``X-Govledger-Delivery`` header let receivers drop such a copy.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError
from sqlalchemy import or_, select, update

from app.notifications.channels import DeliveryFailed, EmailChannel, WebhookChannel
from app.notifications.queries import reviews_due_on
from app.notifications.rules import TOPICS, Rules
from app.notifications.service import CURSOR
from app.oncall import escalations
from app.reviews.action_item_queries import list_action_items
from domain.base import now, using_clock
from domain.errors import NotFound
from domain.notifications.notification import Notification, notification_id
from projections.notifications.tables import cursor, deliveries, webhooks

if TYPE_CHECKING:
    from app.bootstrap import Services

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
"""How long a claimed delivery is held: longer than any one attempt (channels time out at 10 s).
A worker killed mid-attempt leaves its delivery to the others once the lease runs out."""
BATCH = 50
"""Deliveries attempted per round at most (each claimed just before its attempt)."""


class Worker:
    """One worker: ``tick()`` does one round; ``start()`` runs rounds on a daemon thread."""

    def __init__(self, services: Services, interval: float | None = None,
                 owner: str | None = None) -> None:
        self.services = services
        self.interval = interval or services.settings.worker_interval
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        settings = services.settings
        self.email = EmailChannel(settings.smtp_url, settings.mail_from)
        self.webhook = WebhookChannel(settings.webhook_allow_private)
        self.rules = Rules(services.ledger, self._webhooks, settings.public_url)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one round -------------------------------------------------------------------------------

    def tick(self, at: datetime | None = None) -> dict[str, int]:
        """Escalate, derive and deliver at ``at`` (default: now); returns what it did."""
        at = at or now()
        fired = escalations.tick(self.services, at)
        with using_clock(lambda: at), self.services.ledger.as_system(reason="notification worker"):
            queued = self.derive() + self.remind(at) + self.remind_reviews(at)
            outcome = self.deliver(at)
        return {"escalations": fired, "queued": queued, **outcome}

    def derive(self) -> int:
        """Queue the notifications of every event after the position; returns how many."""
        ledger = self.services.ledger
        queued = 0
        while True:
            start = self._position()
            batch = ledger.recorder.select_notifications(start=start + 1, limit=200,
                                                         topics=TOPICS)
            if not batch:
                return queued
            self.services.notifications.read_model()  # webhooks as they stand
            with self.rules.batch():  # each record loaded once for the batch
                for item in batch:
                    for spec in self._specs(item):
                        queued += self._queue(spec, item.id)
            if not self._move(start, batch[-1].id):
                continue  # another worker moved it first: re-read from where it is now

    def remind(self, at: datetime) -> int:
        """Queue the reminders of open action items due tomorrow or overdue at ``at``."""
        today = at.date()
        items = list_action_items(self.services.engine, today, open_only=True,
                                  limit=100_000)["items"]
        due = [(item, "action_item.due_tomorrow" if item["due"] == today + timedelta(days=1)
                else "action_item.overdue") for item in items
               if item["due"] == today + timedelta(days=1) or item["overdue"]]
        if not due:
            return 0
        known = self._queued_ids()
        queued = 0
        for item, kind in due:
            key = f"action_item:{item['id']}:{kind.split('.')[1]}:{item['due']}"
            if str(notification_id(key, "email")) in known:
                continue
            spec = self.rules.reminder(item, kind)
            if spec is not None:
                queued += self._queue(spec, 0)
        return queued

    def remind_reviews(self, at: datetime) -> int:
        """Queue the reminders of the reviews scheduled for the day after ``at``."""
        due = reviews_due_on(self.services.engine, at.date() + timedelta(days=1))
        if not due:
            return 0
        known = self._queued_ids("review")
        queued = 0
        for review in due:
            key = f"review:{review['id']}:due_tomorrow:{review['scheduled_for']}"
            if str(notification_id(key, "email")) in known:
                continue
            spec = self.rules.review_reminder(review)
            if spec is not None:
                queued += self._queue(spec, 0)
        return queued

    def _queued_ids(self, subject_type: str = "action_item") -> set[str]:
        with self.services.engine.connect() as conn:
            return set(conn.scalars(select(deliveries.c.id).where(
                deliveries.c.subject_type == subject_type)))

    def _specs(self, item: Any) -> list[Any]:
        """The notifications of one stored event; an event the rules cannot read is logged
        and skipped, so it never stops every later notification."""
        try:
            return self.rules.notifications(self.services.ledger.mapper.to_domain_event(item),
                                            item.id)
        except Exception:  # noqa: BLE001 - one unreadable event must not stop paging
            log.exception("no notifications derived from event %s (%s)", item.id, item.topic)
            return []

    def _queue(self, spec: Any, position: int) -> int:
        notification = Notification(
            key=spec.key, channel=spec.channel, kind=spec.kind, recipient_id=spec.recipient_id,
            address=spec.address, subject_type=spec.subject_type, subject_id=spec.subject_id,
            title=spec.title, content=spec.content, source_position=position)
        try:
            self.services.ledger.save(notification)
        except IntegrityError:
            return 0  # already queued (by another worker, or before a crash)
        return 1

    def _position(self) -> int:
        with self.services.engine.connect() as conn:
            return int(conn.scalar(select(cursor.c.position).where(cursor.c.name == CURSOR))
                       or 0)

    def _move(self, start: int, to: int) -> bool:
        with self.services.engine.begin() as conn:
            return conn.execute(update(cursor).where(cursor.c.name == CURSOR,
                                                     cursor.c.position == start)
                                .values(position=to)).rowcount == 1

    def _webhooks(self) -> list[dict[str, Any]]:
        with self.services.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(webhooks))]

    # -- delivery --------------------------------------------------------------------------------

    def deliver(self, at: datetime) -> dict[str, int]:
        """Claim the due deliveries and attempt each once."""
        self.services.notifications.read_model()
        done = {"delivered": 0, "failed": 0}
        claimed: list[str] = []
        while len(claimed) < BATCH:  # one at a time: a lease covers one attempt, not a queue
            taken = self.claim(at, limit=1)
            if not taken:
                break
            claimed += taken
            outcome = self._attempt(taken[0], at)
            if outcome:
                done[outcome] += 1
        if claimed:
            self.services.notifications.read_model()
            self._release(claimed)
        return done

    def claim(self, at: datetime, limit: int = BATCH) -> list[str]:
        """Take a lease on up to ``limit`` due deliveries; returns their ids."""
        free = or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < at)
        due = (select(deliveries.c.id)
               .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= at, free)
               .order_by(deliveries.c.next_attempt_at).limit(limit))
        if not self.email.smtp_url:  # email waits, queued and unattempted, until it is set up
            due = due.where(deliveries.c.channel != "email")
        engine = self.services.engine
        claimed = []
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            for notification_id in conn.scalars(due).all():
                taken = conn.execute(update(deliveries).where(deliveries.c.id == notification_id,
                                                              free)
                                     .values(lease_owner=self.owner,
                                             lease_until=at + LEASE)).rowcount
                if taken == 1:
                    claimed.append(notification_id)
        return claimed

    def _release(self, ids: list[str]) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.id.in_(ids),
                                                  deliveries.c.lease_owner == self.owner)
                         .values(lease_owner=None, lease_until=None))

    def _attempt(self, notification_id: str, at: datetime) -> str | None:
        ledger = self.services.ledger
        try:
            notification = ledger.load(Notification, notification_id)
        except NotFound:
            return None
        if notification.status != "pending" or (
                notification.retry_at is not None and notification.retry_at > at):
            return None  # the row lags the aggregate: done already, or not due yet
        try:
            detail = self._send(notification, at)
        except DeliveryFailed as exc:
            notification.record_failure(str(exc), at)
            outcome = "failed"
        else:
            notification.record_delivery(detail)
            outcome = "delivered"
        try:
            ledger.save(notification)
        except IntegrityError:
            return None  # another worker recorded this attempt first
        return outcome

    def _send(self, notification: Notification, at: datetime) -> str:
        content = notification.content
        if notification.channel == "email":
            return self.email.send(str(notification.id), notification.address, content, at)
        try:
            secret = self.services.notifications.webhook_secret(notification.recipient_id or "")
        except NotFound:
            raise DeliveryFailed("the webhook has no signing secret") from None
        return self.webhook.send(str(notification.id), notification.address, content["body"],
                                 secret, at, content["event"])

    # -- the loop --------------------------------------------------------------------------------

    def start(self) -> Worker:
        """Run ticks every ``interval`` seconds on a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="govledger-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the loop and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def run(self) -> None:
        """Tick until stopped; a failing round is logged and the next one retries."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - keep working; the next round retries
                log.exception("notification worker round failed")
            self._stop.wait(self.interval)
