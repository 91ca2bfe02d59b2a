"""Read-model tables (SQLAlchemy Core): rebuilt from events at any time, never the truth."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
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
        if value.tzinfo is not timezone.utc:  # events' times already are (the common case)
            value = value.astimezone(timezone.utc)
        return value.isoformat(timespec="microseconds") if dialect.name == "sqlite" else value

    def bulk_bind(self, dialect: Dialect) -> Callable[[datetime], Any] | None:
        """``process_bind_param`` as one plain function of a (non-None) value, for the bulk
        inserts of ``projections/base.py``; None where they should use the bind processor."""
        if dialect.name != "sqlite":
            return None
        utc = timezone.utc

        def bind(value: datetime) -> Any:
            if value.tzinfo is utc:
                return value.isoformat(timespec="microseconds")
            return self.process_bind_param(value, dialect)

        return bind

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



failures = Table(
    "projection_failures",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("topic", String(300), nullable=False),
    Column("error", String(2000), nullable=False),
    Column("failed_at", UtcDateTime(), nullable=False),
)
"""One row per stalled projection: the notification its handler raised on, and the error. The
projection stops there (its tracking row stays just before it) while every other one goes on;
a start-up or a rebuild clears the row and tries again."""
