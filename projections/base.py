"""A projection maps event classes to handlers that write read-model rows in a connection."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from sqlalchemy import Table, bindparam, insert, literal, select, type_coerce, update
from sqlalchemy.sql.dml import Delete, Update
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.util import find_tables

from domain.topics import topics_of
from projections.history import PAST, VALID_FROM, VALID_TO, versioned

if TYPE_CHECKING:
    from sqlalchemy import Connection, Dialect, Executable

Handler = Callable[[Any, "Writer", Any], None]


class Writer:
    """Wraps a connection inside a projection batch: inserts are buffered and sent together.

    A projection may also keep rows it changes many times in ``cache`` for the batch and
    ``defer`` their write: deferred writes of a table run before any statement that touches it
    and at the end of the batch, so every statement sees the rows as the events left them.

    Every row written carries ``valid_from``, the ``position`` of the event being applied (set by
    the runner); a row an event replaces or deletes goes to its table's past table first
    (``projections/history.py``), one version per event even when updates are sent together.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.position = 0
        """The notification id of the event being applied."""
        self._changes: dict[Table, dict[Any, list[tuple[int, dict[str, Any]]]]] = {}
        self.pending: dict[Table, list[dict[str, Any]]] = {}
        self.cache: dict[Any, Any] = {}
        """Scratch space for the batch's handlers (dropped with the writer)."""
        self._deferred: dict[Table, Callable[[], None]] = {}
        self._updates: dict[Table, dict[Any, dict[str, Any]]] = {}

    def update(self, table: Table, key: Any, **values: Any) -> None:
        """Queue new values for the row whose (one-column) primary key is ``key``; later values
        for the same row replace earlier ones. Sent like queued inserts, after them."""
        self._updates.setdefault(table, {}).setdefault(key, {}).update(values)
        if table in PAST:
            self._changes.setdefault(table, {}).setdefault(key, []).append(
                (self.position, values))

    def insert(self, table: Table, **row: Any) -> None:
        """Queue a row (sent in one executemany before a statement on its table or at commit)."""
        if table in PAST:
            row[VALID_FROM] = self.position
        self.pending.setdefault(table, []).append(row)

    def defer(self, table: Table, write: Callable[[], None]) -> None:
        """Run ``write`` (it writes ``table``'s cached rows) before the next statement on
        ``table`` or at commit, whichever comes first."""
        self._deferred[table] = write

    def execute(self, statement: Executable) -> Any:
        """Send the queued rows of the tables ``statement`` touches, then run it (an update or
        a delete of a versioned table first keeps the rows it changes as past versions)."""
        self.flush(_tables_of(statement))
        if isinstance(statement, (Update, Delete)) and statement.table in PAST:
            table = statement.table
            self._keep_past(table, statement.whereclause)
            if isinstance(statement, Update):
                statement = statement.values({VALID_FROM: self.position})
        return self.conn.execute(statement)

    def _keep_past(self, table: Table, where: Any) -> None:
        """Copy into ``table``'s past table, inside the database, the current rows matching
        ``where`` (all when None) that the event being applied replaces (not those it wrote
        itself), each with ``valid_to`` = its position: nothing is read into Python."""
        position = self.position
        query = select(*table.columns, literal(position)).where(
            table.c[VALID_FROM] < position)
        if where is not None:
            query = query.where(where)
        self.conn.execute(insert(PAST[table]).from_select(
            [*table.columns.keys(), VALID_TO], query))

    def scalar(self, statement: Executable) -> Any:
        """Send the queued rows it touches, then return the first column of the first row."""
        self.flush(_tables_of(statement))
        return self.conn.scalar(statement)

    def flush(self, tables: set[Table] | None = None) -> None:
        """Send the queued rows (of ``tables``; all when None), one executemany per table, then
        the deferred writes of those tables."""
        for table in [t for t in self.pending if tables is None or t in tables]:
            self._send(*_bulk_insert(table, self.conn.dialect), self.pending.pop(table))
        for table in [t for t in self._updates if tables is None or t in tables]:
            self.send_updates(table, self._updates.pop(table))
        for table in [t for t in self._deferred if tables is None or t in tables]:
            self._deferred.pop(table)()

    def send_updates(self, table: Table, rows: dict[Any, dict[str, Any]]) -> None:
        """Update now the rows whose (one-column) primary keys are the keys of ``rows`` with
        their values: one driver-level executemany per set of columns changed."""
        (key_column,) = table.primary_key.columns
        changes = self._changes.pop(table, None)
        if changes:
            rows = self._versions(table, key_column, rows, changes)
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key, values in rows.items():
            shapes.setdefault(tuple(sorted(values)), []).append(
                {"_key": key, **{f"_{k}": v for k, v in values.items()}})
        for columns, params in shapes.items():
            sql, order, converters = _bulk_update(table, columns, self.conn.dialect)
            self._send(sql, order, converters, params)

    def _versions(self, table: Table, key_column: Any, rows: dict[Any, dict[str, Any]],
                  changes: dict[Any, list[tuple[int, dict[str, Any]]]],
                  ) -> dict[Any, dict[str, Any]]:
        """Keep in the past table each version the queued updates replace, event by event
        (the current rows read in one query per 500 keys, each as a list in column order),
        and return the updates with ``valid_from`` of the last event that changed each row.

        On SQLite the versions are built in the columns' stored form: the current rows are
        read as stored, each change converts only the values it sets, once, and each version
        is sent as it is (a meeting row changed by 30 votes of a batch is not decoded and
        re-encoded 30 times)."""
        dialect = self.conn.dialect
        stored = dialect.name == "sqlite"
        names = list(table.columns.keys())
        index = {name: i for i, name in enumerate(names)}
        since = index[VALID_FROM]
        convert = _column_converters(table, dialect) if stored else {}
        current = _current_rows(self.conn, table, key_column, list(rows), stored)
        gone: list[tuple[Any, ...]] = []
        out = {}
        for key, values in rows.items():
            image = current.get(key)
            if image is None:
                continue  # no such row: the update changes nothing
            for position, change in changes.get(key, ()):
                if image[since] < position:
                    gone.append((*image, position))
                for name, value in change.items():
                    to_stored = convert.get(name)
                    image[index[name]] = (value if value is None or to_stored is None
                                          else to_stored(value))
                image[since] = position
            out[key] = {**values, VALID_FROM: image[since]}
        if gone:
            sql, order, converters = _bulk_insert(PAST[table], dialect)
            if order != [*names, VALID_TO]:  # pragma: no cover - past tables are built so
                raise RuntimeError(f"{PAST[table].name}: columns out of step with {table.name}")
            self._send_tuples(sql, order, None if stored else converters, gone)
        return out

    def _send(self, sql: str, order: list[str], converters: list[Any] | None,
              rows: list[dict[str, Any]]) -> None:
        """One driver-level executemany of ``rows`` (values converted as the columns do)."""
        self._send_tuples(sql, order, converters,
                          [tuple([row.get(k) for k in order]) for row in rows])

    def _send_tuples(self, sql: str, order: list[str], converters: list[Any] | None,
                     tuples: list[tuple[Any, ...]]) -> None:
        """One driver-level executemany of ``tuples`` (values in ``order``, converted as the
        columns do where ``converters`` has a function)."""
        if converters:
            convert = [(i, f) for i, f in enumerate(converters) if f is not None]
            converted = []
            for values in tuples:
                row = list(values)
                for i, f in convert:
                    v = row[i]
                    if v is not None:
                        row[i] = f(v)
                converted.append(tuple(row))
            tuples = converted
        if self.conn.dialect.paramstyle in ("qmark", "numeric", "format"):
            self.conn.exec_driver_sql(sql, tuples)
        else:
            self.conn.exec_driver_sql(sql, [dict(zip(order, t)) for t in tuples])


def _current_rows(conn: Connection, table: Table, key_column: Any, keys: list[Any],
                  stored: bool) -> dict[Any, list[Any]]:
    """The current rows of ``keys`` (one query per 500), each a list of its values in column
    order: as the columns decode them, or (``stored``, SQLite, where that is also the form
    they are sent in) as the driver returns them, without the columns' result processing."""
    columns = ([type_coerce(c, NullType()).label(c.name) for c in table.columns] if stored
               else list(table.columns))
    to_key = _column_converters(table, conn.dialect).get(key_column.key) if stored else None
    by_row = {to_key(k) if to_key and k is not None else k: k for k in keys}
    position = list(table.columns.keys()).index(key_column.key)
    current: dict[Any, list[Any]] = {}
    for start in range(0, len(keys), 500):
        for row in conn.execute(select(*columns).where(
                key_column.in_(keys[start:start + 500]))):
            current[by_row[row[position]]] = list(row)
    return current


_CONVERTERS: dict[tuple[Table, str], dict[str, Callable[[Any], Any] | None]] = {}


def _column_converters(table: Table, dialect: Dialect) -> dict[str, Callable[[Any], Any] | None]:
    """Each column's bind conversion of a non-None value (:func:`_converter`), by name."""
    key = (table, dialect.name)
    if key not in _CONVERTERS:
        _CONVERTERS[key] = {c.key: _converter(c, dialect) for c in table.columns}
    return _CONVERTERS[key]


def _tables_of(statement: Executable) -> set[Table] | None:
    """The tables a statement reads or writes (None, meaning all, when it names none)."""
    found = {t for t in find_tables(statement, check_columns=True, include_aliases=True,  # type: ignore[arg-type]
                                    include_joins=True, include_selects=True,
                                    include_crud=True) if isinstance(t, Table)}
    return found or None


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
        converters = [_converter(columns[k], dialect) for k in order]
        _BULK[key] = (str(compiled), order, converters if any(converters) else None)
    return _BULK[key]


_BULK_UPDATES: dict[tuple[Table, tuple[str, ...], str],
                    tuple[str, list[str], list[Any] | None]] = {}


def _bulk_update(table: Table, columns: tuple[str, ...], dialect: Dialect,
                 ) -> tuple[str, list[str], list[Any] | None]:
    """The driver-level ``UPDATE`` of ``columns`` (parameters ``_<column>``) of the row whose
    primary key is ``_key``, with each parameter's converter — as :func:`_bulk_insert`."""
    key = (table, columns, dialect.name)
    if key not in _BULK_UPDATES:
        (key_column,) = table.primary_key.columns
        compiled = update(table).where(key_column == bindparam("_key")).values(
            {k: bindparam(f"_{k}", type_=table.c[k].type) for k in columns},
        ).compile(dialect=dialect)
        order = list(compiled.positiontup) if compiled.positional else [
            "_key", *(f"_{k}" for k in columns)]
        column_of = {f"_{k}": table.c[k] for k in columns} | {"_key": key_column}
        converters = [_converter(column_of[name], dialect) for name in order]
        _BULK_UPDATES[key] = (str(compiled), order,
                              converters if any(converters) else None)
    return _BULK_UPDATES[key]


def _converter(column: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column's bind conversion of a non-None value: the type's own plain ``bulk_bind``
    when it has one (``UtcDateTime`` on SQLite), else its bind processor."""
    bulk = getattr(column.type, "bulk_bind", None)
    converter = bulk(dialect) if bulk is not None else None
    return converter or column.type.dialect_impl(dialect).bind_processor(dialect)


class Projection:
    """Base class: subclasses set ``name`` and ``tables`` and register handlers with ``@handles``."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {}
        if "tables" in vars(cls):  # each table with its past table (projections/history.py)
            cls.tables = (*cls.tables, *(versioned(t) for t in cls.tables
                                         if not t.name.endswith("_past")))
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
