"""Read-model tables (SQLAlchemy Core): rebuilt from events at any time, never the truth."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

if TYPE_CHECKING:
    from sqlalchemy import Dialect
    from sqlalchemy.types import TypeEngine

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime: ``timestamptz`` on PostgreSQL, fixed-width ISO 8601 text on SQLite
    (which sorts and compares in time order)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("read models store aware datetimes only")
        value = value.astimezone(timezone.utc)
        return value.isoformat(timespec="microseconds") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        return value.astimezone(timezone.utc)

tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
"""One row per projection: the last notification id applied (updated with the rows it wrote)."""

schemas = Table(
    "projection_schemas",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
)
"""One row per projection: a hash of its tables' DDL, so a changed read model is rebuilt."""

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
)
