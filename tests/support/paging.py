"""Helpers of the paging and scale tests: many read-model rows written straight into a table
(thousands, without appending thousands of events), and a recorder of the SQL a request issues
and of how many rows it fetched."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, insert

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy import Engine, Table


def fill(engine: Engine, table: Table, count: int, row: Callable[[int], dict[str, Any]]) -> None:
    """Insert ``count`` rows ``row(0) … row(count - 1)`` into a read-model table."""
    with engine.begin() as conn:
        for start in range(0, count, 1000):
            conn.execute(insert(table), [row(n) for n in range(start, min(count, start + 1000))])


@dataclass
class Statements:
    """The SELECTs issued while recording, and the rows each one returned to Python."""

    seen: list[tuple[str, int]] = field(default_factory=list)

    def reading(self, table: str) -> list[tuple[str, int]]:
        """The statements that read ``table`` (by name, as the SQL spells it)."""
        return [(sql, rows) for sql, rows in self.seen
                if re.search(rf"\b{re.escape(table)}\b", sql)]

    def rows_fetched(self, table: str) -> int:
        """Rows returned by the statements reading ``table``."""
        return sum(rows for _, rows in self.reading(table))


@contextmanager
def recording(*engines: Engine) -> Iterator[Statements]:
    """Record every SELECT run on ``engines`` (the read models' engine and, on PostgreSQL, the
    reader pages read through: ``Services.reader``) and count the rows it returned (each
    fetched row passes through the cursor's fetch methods, wrapped here)."""
    engines = tuple({id(e): e for e in engines}.values())
    found = Statements()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            return
        index = len(found.seen)
        found.seen.append((statement, 0))
        _count_fetches(context, lambda n: found.seen.__setitem__(
            index, (statement, found.seen[index][1] + n)))

    for engine in engines:
        event.listen(engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        for engine in engines:
            event.remove(engine, "after_cursor_execute", after)


def _count_fetches(context: Any, add: Callable[[int], None]) -> None:
    """Wrap the DB-API cursor of ``context`` so that every row it hands over is counted."""
    cursor = context.cursor
    context.cursor = _CountingCursor(cursor, add)


class _CountingCursor:
    """A DB-API cursor proxy counting the rows fetched through it."""

    def __init__(self, cursor: Any, add: Callable[[int], None]) -> None:
        self._cursor, self._add = cursor, add

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def fetchone(self) -> Any:
        row = self._cursor.fetchone()
        self._add(row is not None)
        return row

    def fetchmany(self, *args: Any) -> Any:
        rows = self._cursor.fetchmany(*args)
        self._add(len(rows))
        return rows

    def fetchall(self) -> Any:
        rows = self._cursor.fetchall()
        self._add(len(rows))
        return rows

    def __iter__(self) -> Iterator[Any]:
        for row in self._cursor:
            self._add(1)
            yield row
