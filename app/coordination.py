"""Processes that share one PostgreSQL database: an advisory lock around the schema's creation,
and wake-ups by ``LISTEN``/``NOTIFY`` instead of polling.

- ``schema_lock(settings)``: every process runs the bootstrap DDL (``CREATE TABLE IF NOT
  EXISTS`` …) when it starts; PostgreSQL fails two such transactions that race on the catalogue
  (``tuple concurrently updated``), so on PostgreSQL the DDL runs under a session advisory lock
  (``pg_advisory_lock``), one process at a time. SQLite serialises writers itself.
- ``Wakeup``: one connection per process ``LISTEN``s on the channels it is given and wakes the
  threads waiting on it. The event store's recorder sends ``NOTIFY ledger_events`` in the
  transaction of every append (eventsourcing's PostgreSQL recorder does so itself), and the
  projection runner sends ``NOTIFY govledger_projected`` in the transaction of every batch it
  applies; a notification is delivered when its transaction commits. Waiters keep a slow
  fallback poll (a lost connection, SQLite — where nothing is ever notified).
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.config import Settings, sqlalchemy_url

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x474C  # "GL": the first key of every advisory lock this service takes
SCHEMA_LOCK = 1
"""The second key of the advisory lock held while the schema is created."""

EVENTS_CHANNEL = "ledger_events"
"""Notified by the event store's recorder in every append's transaction (its table's name)."""
PROJECTED_CHANNEL = "govledger_projected"
"""Notified by the projection runner in every batch's transaction."""


def libpq_url(settings: Settings) -> str:
    """The database URL as libpq (psycopg) reads it."""
    return "postgresql://" + settings.database_url.split("://", 1)[1]


_held = threading.local()


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Hold the schema's advisory lock on PostgreSQL for the block (nothing on SQLite); a block
    inside another one of the same thread holds it already."""
    if not settings.is_postgres or getattr(_held, "depth", 0):
        _held.depth = getattr(_held, "depth", 0) + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    engine = create_engine(sqlalchemy_url(settings), poolclass=NullPool,
                           connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:a, :b)"),
                         {"a": LOCK_NAMESPACE, "b": SCHEMA_LOCK})
            conn.commit()
            _held.depth = 1
            try:
                yield
            finally:
                _held.depth = 0
                conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"),
                             {"a": LOCK_NAMESPACE, "b": SCHEMA_LOCK})
                conn.commit()
    finally:
        engine.dispose()


class Wakeup:
    """Wakes ``wait()``-ing threads when a ``NOTIFY`` arrives on one of ``channels`` (PostgreSQL);
    on SQLite ``wait`` simply sleeps its timeout (the caller polls)."""

    def __init__(self, settings: Settings, channels: tuple[str, ...]) -> None:
        self.settings = settings
        self.channels = channels
        self.enabled = settings.is_postgres
        self._condition = threading.Condition()
        self._generation = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()
        """Set while the connection is listening (a test, or a caller, may wait for it)."""

    def start(self) -> Wakeup:
        """Start listening (a daemon thread); a no-op on SQLite or when started already."""
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="govledger-listen",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and wake every waiter."""
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def generation(self) -> int:
        """A number that changes whenever a notification arrives (see ``wait``)."""
        return self._generation

    def wait(self, timeout: float, since: int | None = None) -> bool:
        """Wait until a notification arrives after ``generation() == since`` (default: from
        now), or ``timeout`` seconds; True when one arrived."""
        with self._condition:
            start = self._generation if since is None else since
            if self._generation != start:
                return True
            self._condition.wait_for(lambda: self._generation != start or self._stop.is_set(),
                                     timeout=timeout)
            return self._generation != start

    def _wake(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def _listen(self) -> None:
        import psycopg
        from psycopg import sql

        while not self._stop.is_set():
            try:
                with psycopg.connect(libpq_url(self.settings), autocommit=True,
                                     connect_timeout=10) as conn:
                    for channel in self.channels:
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.listening.set()
                    self._wake()  # anything sent while not listening: waiters look again
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self._wake()
            except Exception:  # noqa: BLE001 - waiters fall back to polling meanwhile
                self.listening.clear()
                log.warning("LISTEN connection lost; retrying in 1 s", exc_info=True)
                self._stop.wait(1.0)
        self.listening.clear()
