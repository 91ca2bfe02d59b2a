"""Processes that share one PostgreSQL database: an advisory lock around the schema's creation,
and wake-ups by ``LISTEN``/``NOTIFY`` instead of polling.

- ``schema_lock(settings)``: every process runs the bootstrap DDL (``CREATE TABLE IF NOT
  EXISTS`` …) when it starts; PostgreSQL fails two such transactions that race on the catalogue
  (``tuple concurrently updated``), so on PostgreSQL the DDL runs under a session advisory lock
  (``pg_advisory_lock``), one process at a time; on SQLite under an ``flock`` on a file beside
  the store (SQLAlchemy's look-then-create is not atomic between processes).
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
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.config import Settings, sqlalchemy_url, sqlite_path

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from projections.runner import ProjectionRunner

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
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    if not settings.is_postgres:
        with _sqlite_schema_lock(settings):
            _held.depth = 1
            try:
                yield
            finally:
                _held.depth = 0
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


@contextmanager
def _sqlite_schema_lock(settings: Settings) -> Iterator[None]:
    """An exclusive ``flock`` on a file beside the SQLite store (POSIX; elsewhere nothing):
    several web processes of one ``serve`` start at once, and SQLAlchemy's ``create_all``
    (look, then create) is not atomic between processes."""
    try:
        import fcntl
    except ImportError:  # not POSIX: one process serves (waitress)
        yield
        return
    path = sqlite_path(settings.database_url) + ".schema-lock"
    try:
        handle = open(path, "a")  # noqa: SIM115 - held for the block
    except OSError:  # a read-only folder: the store's own errors say more
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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


class ReadYourWrites:
    """Makes a web request's own events visible in the read models before it answers.

    ``inline`` (``GOVLEDGER_WEB_PROJECTIONS=inline``, SQLite's default): the web process applies
    new events itself, before each read (``before_read``) and after each command. ``workers``:
    the ``govledger worker`` processes apply them; a command waits until every projection that
    follows its events' topics has reached its last event — woken by ``NOTIFY
    govledger_projected`` on PostgreSQL, with a slow poll as fallback — and reads never wait or
    poll (any later request, on any web process, sees what the command waited for). When no
    worker has applied them within ``Settings.read_your_writes_wait`` seconds, the web process
    applies them itself (still exactly once: see ``projections/runner.py``)."""

    FALLBACK_POLL = 0.5
    """Seconds between looks while listening (a notification normally wakes the wait first)."""
    POLL = 0.05
    """Seconds between looks without ``LISTEN`` (SQLite, or a lost connection)."""

    def __init__(self, settings: Settings, runner: ProjectionRunner) -> None:
        self.settings = settings
        self.runner = runner
        self.inline = settings.web_projections != "workers"
        self.wakeup = Wakeup(settings, (PROJECTED_CHANNEL,))
        self._started = False

    def before_read(self) -> None:
        """Catch up first when this process applies events itself (``inline``)."""
        if self.inline:
            self.runner.catch_up()

    def after_write(self, events: Sequence[tuple[int, str]]) -> None:
        """Return once ``events`` (``(notification id, topic)``) are applied to every read
        model that follows them."""
        if not events:
            return
        if self.inline:
            self.runner.catch_up()
            return
        if not self._started:
            self._started = True
            self.wakeup.start()
        position = max(n for n, _ in events)
        names = set(self.runner.following({t for _, t in events}))
        deadline = time.monotonic() + self.settings.read_your_writes_wait
        looked_for_stalls = False
        while True:
            since = self.wakeup.generation()
            positions = self.runner.positions()
            names = {n for n in names if positions.get(n, 0) < position}
            if not names:
                return
            if not looked_for_stalls:  # a stalled projection will not get there: not waited for
                looked_for_stalls = True
                names -= set(self.runner.stalled())
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            poll = self.FALLBACK_POLL if self.wakeup.listening.is_set() else self.POLL
            self.wakeup.wait(min(remaining, poll), since)
        log.warning("no worker applied notification %s within %.1f s; applying it here",
                    position, self.settings.read_your_writes_wait)
        self.runner.catch_up()

    def close(self) -> None:
        """Stop listening."""
        self.wakeup.stop()
