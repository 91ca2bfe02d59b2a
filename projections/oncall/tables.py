"""On-call read-model tables (rotations, shifts, notices, incidents, runbooks, trainings)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, Index, Integer, String, Table, Text

from projections.tables import UtcDateTime, metadata

rotations = Table(
    "rm_rotations", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("handover_weekday", Integer, nullable=False),
    Column("handover_time", String(5), nullable=False),
    Column("roster", JSON, nullable=False),
    Column("policy", JSON, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

shifts = Table(
    "rm_shifts", metadata,
    Column("rotation_id", String(36), primary_key=True),
    Column("week_start", String(10), primary_key=True),
    Column("starts_at", UtcDateTime(), nullable=False, index=True),
    Column("ends_at", UtcDateTime(), nullable=False, index=True),
    Column("primary_id", String(36), nullable=True, index=True),
    Column("secondary_id", String(36), nullable=True, index=True),
)

shift_covers = Table(
    "rm_shift_covers", metadata,
    Column("id", String(36), primary_key=True),
    Column("rotation_id", String(36), nullable=False, index=True),
    Column("week_start", String(10), nullable=False),
    Column("role", String(10), nullable=False),
    Column("person_id", String(36), nullable=False, index=True),
    Column("replaced_id", String(36), nullable=True),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("reason", Text, nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index("ix_rm_shift_covers_rotation_time", "rotation_id", "starts_at", "ends_at"),
)
"""Interval overrides: ``person_id`` holds ``role`` during [starts_at, ends_at) inside the shift
of ``week_start`` (the scheduled person, ``replaced_id`` when recorded, outside it)."""

unavailability = Table(
    "rm_unavailability", metadata,
    Column("id", String(60), primary_key=True),
    Column("rotation_id", String(36), nullable=False, index=True),
    Column("person_id", String(36), nullable=False),
    Column("start", String(10), nullable=False),
    Column("end", String(10), nullable=False),
    Column("declared_at", UtcDateTime(), nullable=False),
)

shift_notices = Table(
    "rm_shift_notices", metadata,
    Column("id", String(60), primary_key=True),
    Column("rotation_id", String(36), nullable=False, index=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("week_start", String(10), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=True),
    Column("role", String(10), nullable=False),
    Column("change", String(10), nullable=False),
    Column("cause", String(20), nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("reason", Text, nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

swaps = Table(
    "rm_swaps", metadata,
    Column("id", String(36), primary_key=True),
    Column("rotation_id", String(36), nullable=False, index=True),
    Column("requester_id", String(36), nullable=False),
    Column("counterpart_id", String(36), nullable=False),
    Column("role", String(10), nullable=False),
    Column("week_start", String(10), nullable=False),
    Column("return_week_start", String(10), nullable=True),
    Column("status", String(10), nullable=False),
    Column("reason", Text, nullable=True),
    Column("requested_at", UtcDateTime(), nullable=False),
)

incidents = Table(
    "rm_incidents", metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("severity", String(2), nullable=False, index=True),
    Column("category", String(30), nullable=False, index=True),
    Column("practice", Boolean, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("level", String(10), nullable=False),
    Column("affected_users_percent", Float, nullable=False),
    Column("security", Boolean, nullable=False),
    Column("regulatory", Boolean, nullable=False),
    Column("runbook_id", String(36), nullable=True),
    Column("rotation_id", String(36), nullable=False, index=True),
    Column("policy", JSON, nullable=False),
    Column("responders", JSON, nullable=False),
    Column("opened_by", String(36), nullable=True),
    Column("opened_at", UtcDateTime(), nullable=False, index=True),
    Column("acknowledged_at", UtcDateTime(), nullable=True),
    Column("mitigated_at", UtcDateTime(), nullable=True),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("debrief", JSON, nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_rm_incidents_newest", "opened_at", "id"),
    Index("ix_rm_incidents_status_newest", "status", "opened_at", "id"),
    Index("ix_rm_incidents_severity_newest", "severity", "opened_at", "id"),
    Index("ix_rm_incidents_rotation_newest", "rotation_id", "opened_at", "id"),
)
"""Contract with the reviews area: id, title, severity, category, practice, status, opened_at,
acknowledged_at, resolved_at keep these names and meanings."""

incident_timeline = Table(
    "rm_incident_timeline", metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("type", String(40), nullable=False),
    Column("level", String(10), nullable=True),
    Column("person_id", String(36), nullable=True, index=True),
    Column("trigger", String(40), nullable=True),
    Column("due_at", UtcDateTime(), nullable=True),
    Column("actor_id", String(36), nullable=True),
    Column("reason", Text, nullable=True),
    Column("note", Text, nullable=True),
)

runbooks = Table(
    "rm_runbooks", metadata,
    Column("id", String(36), primary_key=True),
    Column("category", String(30), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

runbook_revisions = Table(
    "rm_runbook_revisions", metadata,
    Column("runbook_id", String(36), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("content", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("source_type", String(20), nullable=True),
    Column("source_id", String(36), nullable=True),
    Column("actor_id", String(36), nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

runbook_sign_offs = Table(
    "rm_runbook_sign_offs", metadata,
    Column("id", String(60), primary_key=True),
    Column("runbook_id", String(36), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("by", String(36), nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

trainings = Table(
    "rm_trainings", metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("held_on", String(10), nullable=False),
    Column("topics", JSON, nullable=False),
    Column("attendee_ids", JSON, nullable=False),
    Column("trainer_id", String(36), nullable=True),
)
