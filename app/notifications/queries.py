"""Answers from the notification read model: webhooks, integrations, deliveries (and the
reviews due, for the reminders)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.ledger import event_to_dict
from domain.errors import NotFound
from projections.notifications.tables import attempts, deliveries, integrations, webhooks
from projections.reviews.tables import launches, reviews

if TYPE_CHECKING:
    from datetime import date

    from sqlalchemy import Engine

    from app.ledger import Ledger


def _rows(engine: Engine, query: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def list_webhooks(engine: Engine) -> list[dict[str, Any]]:
    """Every webhook, active first, oldest first."""
    return _rows(engine, select(webhooks).order_by(webhooks.c.active.desc(),
                                                   webhooks.c.registered_at, webhooks.c.id))


def get_webhook(engine: Engine, webhook_id: str) -> dict[str, Any]:
    """One webhook."""
    rows = _rows(engine, select(webhooks).where(webhooks.c.id == str(webhook_id)))
    if not rows:
        raise NotFound(f"no webhook with id {webhook_id}", id=str(webhook_id))
    return rows[0]


def list_integrations(engine: Engine) -> list[dict[str, Any]]:
    """Every integration (never a key)."""
    return _rows(engine, select(integrations).order_by(integrations.c.created_at,
                                                       integrations.c.id))


def get_integration(engine: Engine, integration_id: str) -> dict[str, Any]:
    """One integration."""
    rows = _rows(engine, select(integrations).where(integrations.c.id == str(integration_id)))
    if not rows:
        raise NotFound(f"no integration with id {integration_id}", id=str(integration_id))
    return rows[0]


def _with_attempts(engine: Engine, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    log: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for a in _rows(engine, select(attempts).where(attempts.c.notification_id.in_(ids))
                       .order_by(attempts.c.attempt)):
            log[a["notification_id"]].append(a)
    return [{**r, "attempt_log": log[r["id"]]} for r in rows]


def webhook_deliveries(engine: Engine, webhook_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """A webhook's deliveries, newest first, with their attempts."""
    return _with_attempts(engine, _rows(engine, select(deliveries).where(
        deliveries.c.channel == "webhook", deliveries.c.recipient_id == str(webhook_id))
        .order_by(deliveries.c.queued_at.desc(), deliveries.c.id).limit(limit)))


def person_deliveries(engine: Engine, person_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The notifications sent to a person, newest first ("you were paged")."""
    return _with_attempts(engine, _rows(engine, select(deliveries).where(
        deliveries.c.channel == "email", deliveries.c.recipient_id == str(person_id))
        .order_by(deliveries.c.queued_at.desc(), deliveries.c.id).limit(limit)))


def subject_deliveries(engine: Engine, subject_id: str) -> list[dict[str, Any]]:
    """Every notification about one record (an incident ...), oldest first."""
    return _with_attempts(engine, _rows(engine, select(deliveries)
                                        .where(deliveries.c.subject_id == str(subject_id))
                                        .order_by(deliveries.c.queued_at, deliveries.c.id)))


def subject_history(engine: Engine, ledger: Ledger, subject_id: str) -> list[dict[str, Any]]:
    """The events of every notification about one record, as history rows (oldest first), so
    an entity's history shows who was notified, how, each attempt and whether it arrived."""
    from uuid import UUID

    rows = []
    for delivery in _rows(engine, select(deliveries.c.id, deliveries.c.channel)
                          .where(deliveries.c.subject_id == str(subject_id))):
        for event in ledger.repository.event_store.get(UUID(delivery["id"])):
            row = event_to_dict(event)
            row["data"] = {k: v for k, v in row["data"].items() if k != "content"}
            row["type"] = f"Notification{row['type']}"
            row["notification_id"] = delivery["id"]
            rows.append(row)
    return sorted(rows, key=lambda r: r["recorded_at"])


def reviews_due_on(engine: Engine, day: date) -> list[dict[str, Any]]:
    """The scheduled (not yet started, not cancelled) reviews on ``day``, with their launch's
    name and owner (whom the review-due reminder goes to)."""
    query = (select(reviews.c.id, reviews.c.seq, reviews.c.kind, reviews.c.scheduled_for,
                    launches.c.name.label("launch_name"), launches.c.owner_id)
             .join(launches, launches.c.id == reviews.c.launch_id)
             .where(reviews.c.status == "scheduled", reviews.c.scheduled_for == day)
             .order_by(reviews.c.id))
    return _rows(engine, query)
