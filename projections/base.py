"""A projection maps event classes to handlers that write read-model rows in a connection."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from sqlalchemy import insert

from domain.topics import topics_of

if TYPE_CHECKING:
    from sqlalchemy import Connection, Dialect, Executable, Table

Handler = Callable[[Any, "Writer", Any], None]


class Writer:
    """Wraps a connection inside a projection batch: inserts are buffered and sent together."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pending: dict[Table, list[dict[str, Any]]] = {}

    def insert(self, table: Table, **row: Any) -> None:
        """Queue a row (sent in one executemany before the next statement or at commit)."""
        self.pending.setdefault(table, []).append(row)

    def execute(self, statement: Executable) -> Any:
        """Send queued rows, then run ``statement``."""
        self.flush()
        return self.conn.execute(statement)

    def scalar(self, statement: Executable) -> Any:
        """Send queued rows, then return the first column of the first row."""
        self.flush()
        return self.conn.scalar(statement)

    def flush(self) -> None:
        """Send every queued row, one executemany per table."""
        for table, rows in self.pending.items():
            sql, order, converters = _bulk_insert(table, self.conn.dialect)
            tuples = [tuple([row.get(k) for k in order]) for row in rows]
            if converters:
                tuples = [tuple([f(v) if f and v is not None else v
                                 for f, v in zip(converters, t)]) for t in tuples]
            if self.conn.dialect.paramstyle in ("qmark", "numeric", "format"):
                self.conn.exec_driver_sql(sql, tuples)
            else:
                self.conn.exec_driver_sql(sql, [dict(zip(order, t)) for t in tuples])
        self.pending.clear()


_BULK: dict[tuple[Table, str], tuple[str, list[str], list[Any] | None]] = {}


def _bulk_insert(table: Table, dialect: Dialect) -> tuple[str, list[str], list[Any] | None]:
    """The driver-level INSERT for every column of ``table``, with each column's converter.

    Rebuilds spend most of their time writing rows, so rows skip SQLAlchemy's per-row statement
    handling and go straight to the driver's executemany with the same type conversions.
    """
    key = (table, dialect.name)
    if key not in _BULK:
        compiled = insert(table).compile(dialect=dialect)
        order = list(compiled.positiontup) if compiled.positional else [
            c.key for c in table.columns]
        columns = {c.key: c for c in table.columns}
        converters = [columns[k].type.dialect_impl(dialect).bind_processor(dialect)
                      for k in order]
        _BULK[key] = (str(compiled), order, converters if any(converters) else None)
    return _BULK[key]


class Projection:
    """Base class: subclasses set ``name`` and ``tables`` and register handlers with ``@handles``."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {}
        for attr in vars(cls).values():
            for event_class in getattr(attr, "_handles", ()):
                cls.handlers[event_class] = attr

    @property
    def topics(self) -> list[str]:
        """The topics of the events this projection follows (with those of earlier releases)."""
        return [topic for cls in self.handlers for topic in topics_of(cls)]

    def process_event(self, writer: Writer, domain_event: Any) -> None:
        """Apply one event to the read model inside the caller's transaction."""
        handler = self.handlers.get(type(domain_event))
        if handler is not None:
            handler(self, writer, domain_event)


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of the given event classes."""

    def decorate(func: Handler) -> Handler:
        func._handles = event_classes  # type: ignore[attr-defined]
        return func

    return decorate


def from_db(value: datetime | None) -> datetime | None:
    """Return a stored datetime as an aware UTC datetime."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
