"""Read-model tables of launches, post-launch reviews and the action item tracker."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, String, Table, Text

from projections.tables import UtcDateTime, metadata


launches = Table(
    "rm_launches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("system", String(100), nullable=False),
    Column("launch_date", Date, nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("owner_id", String(36), nullable=False),
    Column("targets", JSON, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_rm_launches_newest", "launch_date", "id"),
)


reviews = Table(
    "rm_reviews",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("launch_id", String(36), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("scheduled_for", Date, nullable=False, index=True),
    Column("originally_scheduled_for", Date, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("cancel_reason", Text, nullable=True),
    Column("move_reason", Text, nullable=True),
    Column("uptime_pct", String(20), nullable=True),
    Column("error_rate_pct", String(20), nullable=True),
    Column("p95_ms", Integer, nullable=True),
    Column("active_users", Integer, nullable=True),
    Column("tickets", JSON, nullable=True),
    Column("metrics_source", String(20), nullable=True),
    Column("metrics_at", UtcDateTime(), nullable=True),
    Column("backlog", JSON, nullable=False),
    Column("positive", JSON, nullable=False),
    Column("negative", JSON, nullable=False),
    Column("next_review_date", Date, nullable=True),
    Column("focus_areas", JSON, nullable=False),
    Column("incidents", JSON, nullable=True),
    Column("targets", JSON, nullable=True),
    Column("finalised_at", UtcDateTime(), nullable=True),
    Column("finalised_by", String(36), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_rm_reviews_by_date", "scheduled_for", "seq", "id"),
    Index("ix_rm_reviews_status_by_date", "status", "scheduled_for", "seq", "id"),
)
"""``incidents`` and ``targets`` hold the snapshot taken when the review was finalised."""


review_addenda = Table(
    "rm_review_addenda",
    metadata,
    Column("review_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("at", UtcDateTime(), nullable=False),
)


action_items = Table(
    "rm_action_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("owner_id", String(36), nullable=False, index=True),
    Column("due", Date, nullable=False, index=True),
    Column("priority", String(2), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("source_type", String(20), nullable=False),
    Column("source_id", String(100), nullable=True, index=True),
    Column("raised_by", String(36), nullable=True),
    Column("raised_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("status_note", Text, nullable=False, default=""),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("version", Integer, nullable=False, default=1),
    Column("beyond_window", Boolean, nullable=True),
    Column("due_reason", Text, nullable=True),
    Index("ix_rm_action_items_list_order", "due", "priority", "raised_at", "id"),
    Index("ix_rm_action_items_owner_list", "owner_id", "due", "priority", "raised_at", "id"),
    Index("ix_rm_action_items_status_list", "status", "due", "priority", "raised_at", "id"),
)


action_item_updates = Table(
    "rm_action_item_updates",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=True),
    Column("note", Text, nullable=False),
    Column("review_id", String(36), nullable=True, index=True),
    Column("owner_id", String(36), nullable=True),
    Column("due", Date, nullable=True),
    Column("actor_id", String(36), nullable=True),
    Column("reason", Text, nullable=True),
    Column("at", UtcDateTime(), nullable=False),
)
"""Every change to an item after it was raised: status updates, reassignments, due dates."""


follow_up_policies = Table(
    "rm_follow_up_policies",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("source_type", String(20), nullable=True),
    Column("priority", String(2), nullable=True),
    Column("within_days", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("defined_at", UtcDateTime(), nullable=False),
)
