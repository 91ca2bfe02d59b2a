"""Read-model tables of people (name, email, function, roles, active) and their API tokens."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    String,
    Table,
)

from projections.tables import UtcDateTime, metadata

people = Table(
    "rm_people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False, index=True),
    Column("function", String(50), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Index("ix_rm_people_by_name", "name", "id"),
)

person_tokens = Table(
    "rm_person_tokens",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("id", String(32), primary_key=True, index=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
)
