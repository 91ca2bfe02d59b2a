"""Read-model table of change requests (one row per request)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from projections.tables import UtcDateTime, metadata

change_requests = Table(
    "rm_change_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("requester_id", String(36), nullable=False, index=True),
    Column("board_id", String(36), nullable=True, index=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(20), nullable=False),
    Column("risk", String(20), nullable=False),
    Column("systems", JSON, nullable=False),
    Column("planned_start", UtcDateTime(), nullable=False),
    Column("planned_end", UtcDateTime(), nullable=False),
    Column("rollback_plan", Text, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("submitted_at", UtcDateTime(), nullable=False, index=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_rm_change_requests_category_status", "category", "status", "board_id"),
)
