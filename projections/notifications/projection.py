"""Projection of notifications (deliveries and their attempts), webhooks and integrations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from domain.notifications.integration import AlertSource, Integration
from domain.notifications.notification import Notification
from domain.notifications.webhook import Webhook
from projections.base import Projection, handles
from projections.notifications.tables import attempts, deliveries, integrations, webhooks

if TYPE_CHECKING:
    from projections.base import Writer


class NotificationProjection(Projection):
    """Keeps the deliveries (the worker's outbox), attempts, webhooks and integrations."""

    name = "notifications"
    tables = (deliveries, attempts, webhooks, integrations)

    @handles(Notification.Queued)
    def queued(self, w: Writer, e: Any) -> None:
        w.insert(deliveries, id=str(e.originator_id), key=e.key[:300], channel=e.channel,
                 kind=e.kind, recipient_id=e.recipient_id, address=e.address,
                 subject_type=e.subject_type, subject_id=e.subject_id, title=e.title[:500],
                 status="pending", attempts=0, queued_at=e.timestamp,
                 next_attempt_at=e.timestamp, finished_at=None, last_error=None,
                 lease_owner=None, lease_until=None)

    @handles(Notification.Delivered)
    def delivered(self, w: Writer, e: Any) -> None:
        self._attempt(w, e, "delivered", e.detail, None)
        self._update(w, e, status="delivered", attempts=e.attempt, finished_at=e.timestamp,
                     next_attempt_at=None)

    @handles(Notification.AttemptFailed)
    def failed(self, w: Writer, e: Any) -> None:
        self._attempt(w, e, "failed", e.error, e.retry_at)
        self._update(w, e, attempts=e.attempt, last_error=e.error, next_attempt_at=e.retry_at)

    @handles(Notification.GaveUp)
    def gave_up(self, w: Writer, e: Any) -> None:
        self._attempt(w, e, "gave_up", e.error, None)
        self._update(w, e, status="failed", attempts=e.attempt, last_error=e.error,
                     finished_at=e.timestamp, next_attempt_at=None)

    @staticmethod
    def _attempt(w: Writer, e: Any, outcome: str, detail: str, retry_at: Any) -> None:
        w.insert(attempts, notification_id=str(e.originator_id), attempt=e.attempt,
                 at=e.timestamp, outcome=outcome, detail=detail, retry_at=retry_at)

    @staticmethod
    def _update(w: Writer, e: Any, **values: Any) -> None:
        w.execute(update(deliveries).where(deliveries.c.id == str(e.originator_id))
                  .values(**values))

    @handles(Webhook.Registered)
    def webhook_registered(self, w: Writer, e: Any) -> None:
        w.insert(webhooks, id=str(e.originator_id), url=e.url, events=list(e.events),
                 format=e.format, description=e.description, active=True,
                 registered_at=e.timestamp, registered_by=e.actor_id)

    @handles(Webhook.Removed)
    def webhook_removed(self, w: Writer, e: Any) -> None:
        w.execute(update(webhooks).where(webhooks.c.id == str(e.originator_id))
                  .values(active=False))

    @handles(Integration.Created)
    def integration_created(self, w: Writer, e: Any) -> None:
        w.insert(integrations, id=str(e.originator_id), name=e.name, rotation_id=e.rotation_id,
                 kind=e.kind, created_at=e.timestamp, alerts=0)

    @handles(AlertSource.AlertReceived)
    def alert_received(self, w: Writer, e: Any) -> None:
        w.execute(update(integrations).where(integrations.c.id == e.integration_id)
                  .values(alerts=integrations.c.alerts + 1))
