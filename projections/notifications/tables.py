"""Notification tables: the deliveries read model (also the worker's outbox, with its claim
columns), webhooks, and two tables that are state, not read models (never rebuilt): the
worker's position in the log and the webhooks' signing secrets.

They have their own ``MetaData``: they are not among the read models the audit replays into
as-of views (notifications are not viewed as of a past moment), and the notification service
creates them (``app/notifications/service.py``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    MetaData,
    Text,
)

from projections.tables import UtcDateTime

metadata = MetaData()

deliveries = Table(
    "rm_notification_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("key", String(300), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("recipient_id", String(36), nullable=True),
    Column("address", String(2000), nullable=False),
    Column("subject_type", String(30), nullable=False),
    Column("subject_id", String(36), nullable=False, index=True),
    Column("title", String(500), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("queued_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("last_error", String(500), nullable=True),
    # written by workers, not by the projection: who holds the row, until when
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Index("ix_rm_notification_deliveries_due", "status", "next_attempt_at"),
    Index("ix_rm_notification_deliveries_recipient", "recipient_id"),
)
"""One row per notification and channel. The projection copies what the events say; the worker
claims due rows by setting ``lease_owner``/``lease_until`` (see app/notifications/worker.py)."""

attempts = Table(
    "rm_notification_attempts",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("detail", String(500), nullable=False),
    Column("retry_at", UtcDateTime(), nullable=True),
)
"""Every delivery attempt: delivered, failed (with the retry time) or gave_up."""

webhooks = Table(
    "rm_webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("events", JSON, nullable=False),
    Column("format", String(20), nullable=False),
    Column("description", String(500), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("registered_by", String(36), nullable=True),
)

integrations = Table(
    "rm_integrations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("rotation_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("alerts", Integer, nullable=False),
)

cursor = Table(
    "notification_cursor",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
"""The notification worker's position in the log (state, not a read model: never rebuilt,
so a rebuild never derives old notifications again)."""

webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("webhook_id", String(36), primary_key=True),
    Column("secret", Text, nullable=False),
)
"""Webhook signing secrets (credentials, kept out of the event log and its exports)."""
