"""As-of views: every read model as it stood at a past moment.

The read models keep their history (``projections/history.py``): every row is valid from the
position of the event that wrote it, and the versions later events replaced are kept. So the
view of a past position is the live tables seen through temporary views of that position —
the same queries, indexed, nothing replayed (:meth:`AsOfViews.versioned_at`). That needs every
live read model to have applied the log up to the position; when one has not (a projection
behind, or stalled before it), the view is replayed instead, as below.

Replayed views (and the evidence bundles and samples draw on, which never use the live
tables): the log prefix recorded up to the moment is replayed through the SAME projection classes
(``projections.runner.DEFAULT_PROJECTIONS``) into a temporary SQLite file, in one pass of
batches for every read model (``ProjectionRunner.rebuild``: memory bounded, not proportional to
the log). The cut-off position comes from the sealer's index
(``audit_leaves.watermark``) without decoding the log. A built view depends only on its cut-off
position (the log is append-only), so it is cached briefly per cut-off.

Builds are bounded so that people scrolling through history cannot starve everyone else: at
most ``Settings.as_of_builds`` run at once (requests for a view already being built wait for
that build rather than starting another); a request that finds every slot taken waits up to
``Settings.as_of_wait`` seconds, then is refused with ``Busy`` (429, ``Retry-After``).
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, select

from app import json_codec
from domain.errors import Busy
from projections.history import view_sql
from projections.runner import DEFAULT_PROJECTIONS, ProjectionRunner

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy import Engine

    from app.audit.service import Audit
    from app.config import Settings
    from projections.runner import EventLog

CACHE_SECONDS = 120.0
CACHE_ENTRIES = 4
IN_USE_SECONDS = 30.0
BATCH = 2000
SAME_VIEW_WAIT = 120.0
"""Seconds a request waits for a build of the very view it needs (started by another)."""


class LogPrefix:
    """The ledger's log as a ProjectionRunner sees it (an ``EventLog``), ending at ``stop``."""

    def __init__(self, ledger: EventLog, stop: int) -> None:
        self.mapper = ledger.mapper
        self.recorder = self
        self._recorder = ledger.recorder
        self.stop = stop
        self.stored_in = ledger.recorder
        """The store's own recorder: a rebuild reads its rows directly, never beyond ``stop``
        (``projections.runner.ProjectionRunner._read_rows``)."""

    def select_notifications(self, start: int, limit: int, stop: int | None = None,
                             topics: Any = ()) -> Any:
        if start > self.stop:
            return []
        return self._recorder.select_notifications(
            start=start, limit=limit, stop=self.stop if stop is None else min(stop, self.stop),
            topics=topics)

    def max_notification_id(self) -> int:
        return self.stop


@dataclass
class _View:
    engine: Engine
    path: str
    used: float


class AsOfViews:
    """Read models as they stood at past moments, built on demand and cached briefly.

    One instance per running service (built by ``app/bootstrap.py``, on ``Services.as_of``).
    """

    def __init__(self, settings: Settings, ledger: EventLog, live: ProjectionRunner,
                 engine: Engine, audit: Audit, view_engine: Callable[[], Engine]) -> None:
        self.settings = settings
        self.view_engine = view_engine
        """Makes an engine over the live read models (``app.bootstrap.view_engine``)."""
        self.ledger = ledger
        self.live = live
        self.engine = engine
        self.audit = audit
        self._cache: dict[tuple[str, str, int] | tuple[str, int, str], _View] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, settings.as_of_builds))
        self._building: dict[tuple[str, int, str], threading.Event] = {}
        self._build_seconds = 1.0  # the last build's duration: the Retry-After hint
        weakref.finalize(self, _clear, self._cache, self._lock)  # also runs at exit

    def engine_at(self, moment: datetime) -> Engine:
        """An engine over every read model as it stood at ``moment``."""
        position = self.audit.position_as_of(moment)
        if position and position >= (self.ledger.recorder.max_notification_id() or 0):
            self.live.catch_up()
            return self.engine  # nothing recorded after the moment: the live read models
        if self.recorded_to(position):
            return self.versioned_at(position)
        return self.replayed_to(position)

    def recorded_to(self, position: int) -> bool:
        """Whether every live read model has applied the log up to ``position`` (so its history
        holds that moment): its tracking row is there, or none of the events between it and
        ``position`` is one it follows (a tracking row moves past ignored events only now and
        then; a worker elsewhere may have applied everything). One query per such read model."""
        live = self.live
        positions = live.positions()
        for p in live.projections:
            at = live._scan_from(p.name, positions.get(p.name, 0))  # noqa: SLF001
            if at < position and self.ledger.recorder.select_notifications(
                    start=at + 1, limit=1, stop=position, topics=p.topics):
                return False
        return True

    def versioned_at(self, position: int) -> Engine:
        """An engine over the live read models as they stood after ``position``: each of its
        connections sees, under every read-model table's name, a temporary view of the rows
        valid then (``projections/history.py``). Read only; cached like the replayed views."""
        key = ("versioned", self.settings.database_url, position)
        with self._lock:
            self._expire()
            view = self._cache.get(key)
            if view is None:
                view = self._cache[key] = _View(engine=self._versioned_engine(position),
                                                path="", used=time.monotonic())
            view.used = time.monotonic()
            return view.engine

    def _versioned_engine(self, position: int) -> Engine:
        engine = self.view_engine()
        seen_as_of(engine, [t for p in self.live.projections for t in p.tables], position)
        return engine

    def replayed_to(self, position: int) -> Engine:
        """An engine over every read model replayed from the log up to ``position`` — never
        the live tables, even when ``position`` is the head (what evidence is drawn from:
        compliance bundles and auditor samples). Cached like the as-of views."""
        key = (self.settings.database_url, position,
               self.audit.leaf_at(position)["leaf_hash"] if position else "")
        while True:
            with self._lock:
                self._expire()
                view = self._cache.get(key)
                if view is not None:
                    view.used = time.monotonic()
                    return view.engine
                running = self._building.get(key)
                if running is None:
                    running = self._building[key] = threading.Event()
                    break
            if not running.wait(SAME_VIEW_WAIT):  # another request is building this view
                raise self._busy()
        try:
            if not self._slots.acquire(timeout=self.settings.as_of_wait):
                raise self._busy()
            try:
                started = time.monotonic()
                view = self.build(position)
                self._build_seconds = time.monotonic() - started
            finally:
                self._slots.release()
            with self._lock:
                view.used = time.monotonic()
                self._cache[key] = view
            return view.engine
        finally:
            with self._lock:
                self._building.pop(key, None)
            running.set()

    def _busy(self) -> Busy:
        retry = max(1, math.ceil(self._build_seconds))
        return Busy(f"{self.settings.as_of_builds} views of the past are being built already; "
                    f"try again in {retry} s", code="as_of_busy", retry_after=retry)

    def build(self, position: int) -> _View:
        """Replay the log up to ``position`` into a fresh temporary SQLite file."""
        fd, path = tempfile.mkstemp(prefix="govledger-asof-", suffix=".sqlite3")
        os.close(fd)
        engine = replay_into(path, self.ledger, position, fresh=True)
        return _View(engine=engine, path=path, used=time.monotonic())

    def compare_with_live(self) -> tuple[int, list[dict[str, Any]]]:
        """Replay the whole log into a scratch database and compare every read-model table
        with the live one. Returns the position replayed to and, per differing table, its
        first differing row (by primary key): ``{"table", "key", "column", "live",
        "replayed"}`` (``column`` None when the row exists on one side only)."""
        self.live.catch_up()
        head = int(self.ledger.recorder.max_notification_id() or 0)
        view = self.build(head)
        try:
            self.live.catch_up()
            differences = []
            for projection in self.live.projections:
                for table in projection.tables:
                    found = _first_difference(table, self.engine, view.engine)
                    if found is not None:
                        differences.append({"table": table.name, **found})
            return head, differences
        finally:
            drop(view)

    def _expire(self) -> None:
        """Drop views unused for CACHE_SECONDS, then the least recently used beyond
        CACHE_ENTRIES (never one used in the last IN_USE_SECONDS: a request may still be
        reading it)."""
        now = time.monotonic()
        cache = self._cache
        stale = [k for k, v in cache.items() if now - v.used > CACHE_SECONDS]
        extra = len(cache) - len(stale) - CACHE_ENTRIES + 1
        if extra > 0:
            stale += [k for k in sorted((k for k in cache if k not in stale),
                                        key=lambda k: cache[k].used)
                      if now - cache[k].used > IN_USE_SECONDS][:extra]
        for key in stale:
            drop(cache.pop(key))

    def clear(self) -> None:
        """Remove every cached view (and its temporary file)."""
        _clear(self._cache, self._lock)


def replay_into(path: str, ledger: EventLog, position: int, fresh: bool) -> Engine:
    """Replay the log up to ``position`` through every read model of ``DEFAULT_PROJECTIONS``
    into the SQLite file ``path`` (:func:`scratch_engine`): from the start (``fresh``), or
    from where its read models stand; returns an engine over it."""
    engine = scratch_engine(path)
    try:
        replay(engine, ledger, position, fresh)
    except BaseException:
        engine.dispose()
        raise
    return engine


def scratch_engine(path: str) -> Engine:
    """An engine over the SQLite file ``path`` without journal, syncs or zeroing of freed
    pages: a file a crash interrupts is thrown away (a scratch view; the evidence replica, which then fails its seal;
    one half of a rebuild, ``app/rebuild_part.py``)."""
    engine = create_engine(f"sqlite:///{path}", json_deserializer=json_codec.loads)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA secure_delete=OFF")  # derived rows, in a file thrown away
        cursor.close()

    return engine


def replay(engine: Engine, ledger: EventLog, position: int, fresh: bool,
           names: list[str] | None = None, progress: Callable[[int], None] | None = None,
           ) -> int:
    """Replay the log up to ``position`` into the read models of ``DEFAULT_PROJECTIONS`` (those
    named ``names``, when given) over ``engine``: from the start (``fresh``), or from where they
    stand, in one pass for all; returns the events applied (once per read model)."""
    runner = ProjectionRunner(LogPrefix(ledger, position), engine,
                              projections=[cls() for cls in DEFAULT_PROJECTIONS
                                           if names is None or cls.name in names],
                              batch_size=BATCH)
    runner.create_tables()
    return runner.rebuild(progress) if fresh else runner.advance(progress)


def seen_as_of(engine: Engine, tables: list[Any], position: int) -> None:
    """Make each connection of ``engine`` see every versioned table of ``tables`` as it stood
    after ``position`` (temporary views under the tables' names), and write nothing."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _views(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        if dialect.name == "postgresql":
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
        else:
            schema = "main"
        for table in tables:
            cursor.execute(view_sql(table, position, schema, dialect))
        dbapi_connection.commit()
        if dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()


def _normal(value: Any) -> Any:
    """A value as both backends give it back (UTC datetimes without tzinfo)."""
    from datetime import datetime, timezone

    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    return value


def _rows(table: Any, engine: Engine) -> dict[tuple[Any, ...], dict[str, Any]]:
    key = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
    with engine.connect() as conn:
        rows = [{k: _normal(v) for k, v in r._mapping.items()}
                for r in conn.execute(select(table))]
    return {tuple(str(r[k]) for k in key): r for r in rows}


def _first_difference(table: Any, live: Engine, replayed: Engine) -> dict[str, Any] | None:
    """The first row (in primary-key order) where the two tables differ, or None."""
    ours, theirs = _rows(table, live), _rows(table, replayed)
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key), theirs.get(key)
        if a is None or b is None:
            return {"key": list(key), "column": None,
                    "live": "missing" if a is None else "present",
                    "replayed": "missing" if b is None else "present"}
        for column in a:
            if a[column] != b.get(column) and str(a[column]) != str(b.get(column)):
                return {"key": list(key), "column": column, "live": a[column],
                        "replayed": b.get(column)}
    return None


def _clear(cache: dict[Any, _View], lock: threading.Lock) -> None:
    with lock:
        while cache:
            drop(cache.popitem()[1])


def drop(view: _View) -> None:
    """Dispose of a view's engine and delete its temporary file."""
    view.engine.dispose()
    if not view.path:
        return  # a view of the live tables: nothing of its own to delete
    try:
        os.unlink(view.path)
    except OSError:
        pass
