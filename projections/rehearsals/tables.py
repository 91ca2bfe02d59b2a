"""Read-model tables of release rehearsals: the rehearsal, its steps, checks, issues, rollback tests, evaluations and notes."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from projections.tables import UtcDateTime, metadata


rehearsals = Table(
    "rm_rehearsals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("release_version", String(100), nullable=False, index=True),
    Column("environment", String(100), nullable=False),
    Column("playbook", String(200), nullable=False, index=True),
    Column("planned_by", String(36), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("parity_threshold", String(20), nullable=False),
    Column("criteria", JSON, nullable=False),
    Column("abort_reason", Text, nullable=True),
    Column("recommendation", String(10), nullable=True),
    Column("decision", String(10), nullable=True),
    Column("against_recommendation", Boolean, nullable=False),
    Column("planned_at", UtcDateTime(), nullable=False, index=True),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("source", JSON, nullable=True),
    Index("ix_rm_rehearsals_newest", "planned_at", "id"),
)


rehearsal_steps = Table(
    "rm_rehearsal_steps",
    metadata,
    Column("rehearsal_id", String(36), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("planned_minutes", Integer, nullable=False),
    Column("owner_id", String(36), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("actual_seconds", Integer, nullable=True),
    Column("skip_reason", Text, nullable=True),
)


rehearsal_checks = Table(
    "rm_rehearsal_checks",
    metadata,
    Column("rehearsal_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("parity_percent", String(20), nullable=True),
    Column("parity_items", JSON, nullable=True),
    Column("checked_by", String(36), nullable=True),
    Column("checked_at", UtcDateTime(), nullable=False),
)
"""Every pre-flight run (parity checks included); the latest of each kind counts."""


rehearsal_issues = Table(
    "rm_rehearsal_issues",
    metadata,
    Column("rehearsal_id", String(36), primary_key=True),
    Column("issue", Integer, primary_key=True),
    Column("step", Integer, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("resolution", Text, nullable=True),
    Column("logged_by", String(36), nullable=True),
    Column("logged_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
)


rehearsal_rollbacks = Table(
    "rm_rehearsal_rollbacks",
    metadata,
    Column("rehearsal_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("performed", Boolean, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("duration_minutes", Integer, nullable=True),
    Column("notes", Text, nullable=False),
    Column("tested_by", String(36), nullable=True),
    Column("tested_at", UtcDateTime(), nullable=False),
)


rehearsal_evaluations = Table(
    "rm_rehearsal_evaluations",
    metadata,
    Column("rehearsal_id", String(36), primary_key=True),
    Column("evaluation", Integer, primary_key=True),
    Column("criteria", JSON, nullable=False),
    Column("preflight", JSON, nullable=False),
    Column("rollback_passed", Boolean, nullable=True),
    Column("recommendation", String(10), nullable=False),
    Column("evaluated_by", String(36), nullable=True),
    Column("evaluated_at", UtcDateTime(), nullable=False),
    Column("decision", String(10), nullable=True),
    Column("against_recommendation", Boolean, nullable=True),
    Column("decided_by", String(36), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
)
"""Each Go/No-Go evaluation with the decision recorded on it (if any)."""


rehearsal_notes = Table(
    "rm_rehearsal_notes",
    metadata,
    Column("rehearsal_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("action_item_id", String(36), nullable=True),
    Column("runbook_category", String(100), nullable=True),
    Column("runbook_name", String(200), nullable=True),
    Column("recorded_by", String(36), nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
)
"""Lessons learned (kind ``lesson``) and recommended runbook adjustments (``action_item`` or
``runbook_revision``)."""
