"""Read-model tables of the Track 4 programme: activities, time logged, sign-offs and risks."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Integer, String, Table, Text

from projections.tables import UtcDateTime, metadata

programmes = Table(
    "rm_programmes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("estimate", JSON, nullable=False),
    Column("created_by", String(36), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

programme_activities = Table(
    "rm_programme_activities",
    metadata,
    Column("programme_id", String(36), primary_key=True),
    Column("id", String(60), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("track", String(10), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("owner_label", String(200), nullable=False),
    Column("owner_function", String(50), nullable=True),
    Column("owner_id", String(36), nullable=True),
    Column("timebox_hours", Float, nullable=False),
    Column("prerequisites", JSON, nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)
"""The guide's activities as seeded, with every edit, start and completion applied."""

programme_time = Table(
    "rm_programme_time",
    metadata,
    Column("programme_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("activity_id", String(60), nullable=False, index=True),
    Column("person_id", String(36), nullable=False),
    Column("hours", Float, nullable=False),
    Column("worked_on", String(10), nullable=False),
    Column("note", Text, nullable=False),
    Column("logged_by", String(36), nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
)
"""Every time entry (one per ``TimeLogged`` event)."""

programme_sign_offs = Table(
    "rm_programme_sign_offs",
    metadata,
    Column("programme_id", String(36), primary_key=True),
    Column("criterion_id", String(60), primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("function", String(50), nullable=False),
    Column("note", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("signed_at", UtcDateTime(), nullable=False),
)
"""Sign-offs in force (a withdrawn one is deleted; the event log keeps it)."""

programme_risks = Table(
    "rm_programme_risks",
    metadata,
    Column("programme_id", String(36), primary_key=True),
    Column("id", String(60), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("mitigation", Text, nullable=False),
    Column("owner_function", String(50), nullable=True),
    Column("owner_id", String(36), nullable=True),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)
