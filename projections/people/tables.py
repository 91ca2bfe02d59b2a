"""Read-model table of people: name, email, function, roles, active."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    String,
    Table,
)

if TYPE_CHECKING:
    pass
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
)
