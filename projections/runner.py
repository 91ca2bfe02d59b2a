"""Follows the notification log and applies events to read models exactly once.

Each batch is one read-model transaction that first moves the projection's tracking row from the
position it read to the batch's last notification id (a conditional update), then writes the rows.
If another process moved it first, the update matches nothing and the batch is rolled back, so no
event is ever applied twice; a crash mid-batch rolls back both the rows and the position.

A poison event (one a handler raises on) never stops the service: the failed batch is rolled
back and replayed one event per transaction, so every event before the poison one is applied
(exactly once, as above); the poison one is recorded in ``projection_failures`` (projection,
position, error) and that projection alone stops advancing — every other one keeps going, and
its own read model keeps answering as of the event before. ``status()`` reports it. This runner
does not try that projection again; another one (a restart, after a fix) or a rebuild does, and
clears the record once it gets past the event.
"""

from __future__ import annotations

import gc
import glob
import hashlib
import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol

from sqlalchemy import delete, insert, select, text, update
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from sqlalchemy.exc import IntegrityError, OperationalError

from projections.base import Writer
from projections.ccb.projection import CcbProjection
from projections.changes.projection import ChangeRequestProjection
from projections.oncall.projection import (
    IncidentProjection,
    RotationProjection,
    RunbookProjection,
)
from projections.people.projection import PeopleProjection
from projections.programme.projection import ProgrammeProjection
from projections.rehearsals.projection import RehearsalProjection
from projections.reviews.action_items import ActionItemProjection
from projections.reviews.projection import ReviewProjection
from projections.tables import failures, metadata, schemas, tracking

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from sqlalchemy import Connection, Engine

    from projections.base import Projection

Progress = Callable[[int], None]

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError,)
"""Errors worth retrying as they are (a locked SQLite file, a dropped connection)."""

LOCK_NAMESPACE = 0x474D
"""On PostgreSQL each batch's transaction first takes the advisory lock ``(LOCK_NAMESPACE,
hashtext(projection name))``: processes applying the same projection take turns instead of
racing on its tracking row (the conditional update still decides, so a batch is applied once)."""
PROJECTED_CHANNEL = "govledger_projected"
"""Notified (``pg_notify``) in each batch's transaction: read-your-writes waits ``LISTEN``."""

REBUILD_BATCH = 20000
"""Events per transaction in a rebuild (each applied to every projection)."""

PARALLEL_FROM = 20_000
"""On SQLite, a rebuild of a log at least this long replays part of the read models in a second
process (:attr:`ProjectionRunner.part_replay`), into a scratch file merged at the end."""

SAMPLE = 20_000
"""Latest events whose topics weigh each projection when a rebuild splits them in two."""

SKIP_PERSIST = 500
"""A projection that follows none of the latest events moves past them in memory at once, and
in its tracking row once it is this far behind (so a restart rescans at most this many)."""


class Notifications(Protocol):
    """The part of a recorder the runner reads: the log's head and a page of it by topic."""

    def max_notification_id(self) -> int | None: ...

    def select_notifications(self, start: int, limit: int, stop: int | None = None,
                             topics: Sequence[str] = ()) -> Sequence[Any]: ...


class Mapper(Protocol):
    """Turns a stored notification into its domain event."""

    def to_domain_event(self, stored: Any) -> Any: ...


class EventLog(Protocol):
    """What the runner needs of the event store: the ledger application, or a prefix of it."""

    @property
    def recorder(self) -> Notifications: ...

    @property
    def mapper(self) -> Mapper: ...

DEFAULT_PROJECTIONS: list[type[Projection]] = [
    PeopleProjection,
    ChangeRequestProjection,
    ActionItemProjection,
    ReviewProjection,
    RehearsalProjection,
    RotationProjection,
    IncidentProjection,
    RunbookProjection,
    CcbProjection,
    ProgrammeProjection,
]
"""Every read model; areas add their projection class here."""


def fingerprint(projection: Projection, conn: Connection) -> str:
    """Hash of the DDL of a projection's tables (and indexes) on this database."""
    from sqlalchemy.schema import CreateIndex, CreateTable

    ddl = []
    for table in projection.tables:
        ddl.append(str(CreateTable(table).compile(conn)))
        ddl += sorted(str(CreateIndex(i).compile(conn)) for i in table.indexes)
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()


class LostRace(Exception):
    """Raised when another runner applied the batch first."""


class Poisoned(Exception):
    """Raised when a projection's handler fails on one event (not a race, not transient)."""

    def __init__(self, position: int, topic: str, error: BaseException,
                 projection: str = "") -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.position, self.topic, self.projection = position, topic, projection


class _Undecodable:
    """A stored event the mapper could not decode (raised when a projection reaches it)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a rebuild batch runs: a batch makes tens of thousands
    of small dicts (decoded events, rows), and the collector rescanning them was a third of
    the decoding time. Garbage waits for the end of the batch (memory stays bounded by it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _dropping(conn: Connection) -> Iterator[None]:
    """On SQLite, drop tables without overwriting every freed page with zeros
    (``secure_delete=FAST``, for the transaction; Debian's SQLite zeroes them by default): a
    rebuild, or a read model whose tables changed, drops them only to write their rows again
    from the log, and zeroing the
    pages of 1.8M rows took three quarters of its 7.4 s drop at 1M."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)
    conn.exec_driver_sql("PRAGMA secure_delete=FAST")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete={before}")


def _remove_parts_of_gone_rebuilds(database: str) -> None:
    """Delete the scratch files ``<database>.rebuild-<pid>.tmp`` of rebuilds whose process has
    gone (killed before they could)."""
    for path in glob.glob(f"{glob.escape(database)}.rebuild-*.tmp"):
        pid = path[len(database) + len(".rebuild-"):-len(".tmp")]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            os.remove(path)
        except PermissionError:  # alive, another user's
            continue


def _raw_select(recorder: Any) -> str | None:
    """The plain ``SELECT`` of stored events ``start <= id <= stop`` (``LIMIT``) for
    eventsourcing's SQLite and PostgreSQL recorders; None for any other."""
    cached = getattr(recorder, "_govledger_raw_select", False)
    if cached is not False:
        return cached
    sql = None
    table = getattr(recorder, "events_table_name", None)
    datastore = getattr(recorder, "datastore", None)
    if isinstance(recorder, SQLiteApplicationRecorder):
        sql = (f"SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
               f"FROM {table} WHERE rowid >= ? AND rowid <= ? ORDER BY rowid LIMIT ?")
    elif _is_postgres(recorder):
        sql = (f"SELECT notification_id, originator_id, originator_version, topic, state "  # noqa: S608
               f'FROM "{datastore.schema}"."{table}" WHERE notification_id >= %s '
               f"AND notification_id <= %s ORDER BY notification_id LIMIT %s")
    try:
        recorder._govledger_raw_select = sql
    except AttributeError:
        pass
    return sql


def _is_postgres(recorder: Any) -> bool:
    try:
        from eventsourcing.postgres import PostgresApplicationRecorder
    except ImportError:  # pragma: no cover - PostgreSQL support not installed
        return False
    return isinstance(recorder, PostgresApplicationRecorder)


def plain_rows(cursor: Any) -> None:
    """Have a recorder's cursor return plain tuples (it makes ``sqlite3.Row``s or dicts, several
    times slower to build and unpack for a million rows): rebuilds and ``verify`` read so."""
    inner = getattr(cursor, "sqlite_cursor", None)
    if inner is not None:
        inner.row_factory = None
        return
    try:
        from psycopg.rows import tuple_row
    except ImportError:  # pragma: no cover - PostgreSQL support not installed
        return
    if hasattr(cursor, "row_factory"):
        cursor.row_factory = tuple_row


def _via_stored_event(mapper: Mapper) -> Callable[[Any, int, str, bytes], Any]:
    """A row decoder for a mapper that has only ``to_domain_event``."""
    def decode(originator_id: Any, version: int, topic: str, state: bytes) -> Any:
        return mapper.to_domain_event(StoredEvent(originator_id=originator_id,
                                                  originator_version=version, topic=topic,
                                                  state=state))
    return decode


class PartReplay(Protocol):
    """Starts a process that replays the read models ``names`` from the start of the log up to
    ``head`` into the fresh SQLite file ``path`` (``app/rebuild_part.py``); returns it."""

    def __call__(self, names: list[str], head: int, path: str) -> Any: ...


class ProjectionRunner:
    """Catches read models up with the event log; rebuilds them from scratch on demand."""

    part_replay: PartReplay | None = None
    """Set (``app/bootstrap.py``) where the read models live in a SQLite file: a long rebuild
    then uses two processes (:meth:`rebuild`)."""
    parallel_from = PARALLEL_FROM

    def __init__(self, ledger: EventLog, engine: Engine,
                 projections: list[Projection] | None = None, batch_size: int = 1000) -> None:
        self.ledger = ledger
        self.engine = engine
        self.projections = projections or [cls() for cls in DEFAULT_PROJECTIONS]
        self.batch_size = batch_size
        self._caught_up_to = -1
        self._stalled: set[str] = set()  # stalled in this process: not tried again here
        self._none_between: dict[str, tuple[int, int]] = {}
        """Per projection, ``(a, b)``: the log holds none of its events in ``(a, b]``. A fact
        about the append-only log, so it stays true whatever another process does; it lets a
        catch-up start after ``b`` while the tracking row says anything from ``a`` to ``b``."""

    def create_tables(self) -> None:
        """Create missing tables; rebuild any read model whose table definitions changed."""
        metadata.create_all(self.engine)
        with self.engine.begin() as conn, _dropping(conn):
            known = {n: pos for n, pos in conn.execute(select(tracking.c.name,
                                                                  tracking.c.position))}
            stored = {n: fp for n, fp in conn.execute(select(schemas.c.name,
                                                             schemas.c.fingerprint))}
            for p in self.projections:
                current = fingerprint(p, conn)
                if p.name not in known:
                    conn.execute(insert(tracking).values(name=p.name, position=0))
                elif stored.get(p.name) != current and (p.name in stored or known[p.name]):
                    self._reset(conn, p)
                if p.name not in stored:
                    conn.execute(insert(schemas).values(name=p.name, fingerprint=current))
                elif stored[p.name] != current:
                    conn.execute(update(schemas).where(schemas.c.name == p.name)
                                 .values(fingerprint=current))

    @staticmethod
    def _reset(conn: Connection, projection: Projection) -> None:
        """Drop and recreate a projection's tables and replay it from the start."""
        for table in projection.tables:
            table.drop(conn, checkfirst=True)
            table.create(conn)
        conn.execute(update(tracking).where(tracking.c.name == projection.name)
                     .values(position=0))
        conn.execute(delete(failures).where(failures.c.name == projection.name))

    def position(self, name: str) -> int:
        """Return the last notification id applied by projection ``name``."""
        with self.engine.connect() as conn:
            return int(conn.scalar(select(tracking.c.position).where(tracking.c.name == name))
                       or 0)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply every new event to every read model; returns how many events were applied."""
        head = self.ledger.recorder.max_notification_id() or 0
        if head == self._caught_up_to:
            return 0
        recorded = self.stalled()
        applied = 0
        for p in self.projections:
            if p.name in self._stalled:
                continue
            applied += self._catch_up_one(p, progress, head)
            if p.name in recorded and p.name not in self._stalled:
                self._clear_failure(p)
        self._persist_skips()
        self._caught_up_to = head
        return applied

    def stalled(self) -> dict[str, dict[str, Any]]:
        """Each stalled projection's failure: position, topic, error and when."""
        with self.engine.connect() as conn:
            return {row.name: dict(row._mapping) for row in conn.execute(select(failures))}

    def _catch_up_one(self, projection: Projection, progress: Progress | None,
                      head: int) -> int:
        """Apply the projection's events up to ``head``; its position moves past the events it
        does not follow too (up to ``head``), so no catch-up scans them again."""
        applied, retries = 0, 0
        size = self.batch_size
        while True:
            start = self.position(projection.name)
            scan_from = self._scan_from(projection.name, start)
            if scan_from >= head:
                return applied
            batch = self.ledger.recorder.select_notifications(
                start=scan_from + 1, limit=size, stop=head, topics=projection.topics)
            end = head if len(batch) < size else batch[-1].id  # none of ours in (last, head]
            if not batch:
                self._none_between[projection.name] = (start, end)
                if progress is not None:
                    progress(end - scan_from)
                return applied
            try:
                with self.engine.begin() as conn:
                    if not self._take_turn(conn, projection, start):
                        continue  # another process applied it meanwhile: look again
                    self._apply_batch(conn, projection, start, batch, end)
            except (LostRace, *TRANSIENT):
                retries += 1
                if retries > 20:
                    raise
                time.sleep(0.01 * retries)
                continue
            except Poisoned as exc:
                if self.position(projection.name) != start:
                    continue  # another runner moved on meanwhile: a race, not a poison event
                if len(batch) > 1:
                    size = 1  # replay one event per transaction up to the poison one
                    continue
                self._record_failure(projection, exc)
                return applied
            self._none_between.pop(projection.name, None)
            applied += len(batch)
            if progress is not None:
                progress(end - scan_from)

    @staticmethod
    def _take_turn(conn: Connection, projection: Projection, start: int) -> bool:
        """On PostgreSQL: wait for this projection's advisory lock (held to the end of the
        transaction), then check that nobody moved its position from ``start`` meanwhile; the
        batch is announced on ``PROJECTED_CHANNEL`` when the transaction commits. True on SQLite
        (a write transaction there holds the whole file)."""
        if conn.dialect.name != "postgresql":
            return True
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, hashtext(:name))"),
                     {"a": LOCK_NAMESPACE, "name": projection.name})
        position = conn.scalar(select(tracking.c.position)
                               .where(tracking.c.name == projection.name))
        if position != start:
            return False
        conn.execute(text("SELECT pg_notify(:channel, :name)"),
                     {"channel": PROJECTED_CHANNEL, "name": projection.name})
        return True

    def positions(self, engine: Engine | None = None) -> dict[str, int]:
        """Every projection's position (one query; through ``engine``, a reading engine over
        the same tables, when given)."""
        with (engine or self.engine).connect() as conn:
            return {n: int(p) for n, p in conn.execute(select(tracking.c.name,
                                                                tracking.c.position))}

    def following(self, topics: set[str]) -> list[str]:
        """The projections that follow any of ``topics``."""
        return [p.name for p in self.projections
                if not p.topics or topics.intersection(p.topics)]

    def _scan_from(self, name: str, position: int) -> int:
        """Where the next scan for ``name``'s events starts: after ``position``, or after a
        stretch of the log known to hold none of them."""
        known = self._none_between.get(name)
        if known is not None and known[0] <= position <= known[1]:
            return known[1]
        return position

    def _persist_skips(self, threshold: int = SKIP_PERSIST) -> None:
        """Move the tracking rows of projections ``threshold`` or more behind only on events
        they do not follow (one transaction; a row another process moved is left alone)."""
        due = {}
        for name, (start, end) in self._none_between.items():
            if end > start and end - start >= threshold:
                due[name] = (start, end)
        if not due:
            return
        try:
            with self.engine.begin() as conn:
                for name, (start, end) in due.items():
                    conn.execute(update(tracking).where(
                        tracking.c.name == name, tracking.c.position == start,
                    ).values(position=end))
        except TRANSIENT:
            return  # the next catch-up tries again
        for name, (_, end) in due.items():
            self._none_between[name] = (end, end)

    def _clear_failure(self, projection: Projection) -> None:
        """Forget a recorded stall: this process got ``projection`` past it."""
        with self.engine.begin() as conn:
            conn.execute(delete(failures).where(failures.c.name == projection.name))

    def _record_failure(self, projection: Projection, exc: Poisoned) -> None:
        """Note that ``projection`` stalls at ``exc.position``; every other projection goes on."""
        log.error("projection %s stalls at notification %s (%s): %s", projection.name,
                  exc.position, exc.topic, exc)
        row = {"name": projection.name, "position": exc.position, "topic": exc.topic[:300],
               "error": str(exc)[:2000], "failed_at": datetime.now(timezone.utc)}
        self._stalled.add(projection.name)
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(failures).where(failures.c.name == projection.name))
                conn.execute(insert(failures).values(**row))
        except IntegrityError:
            pass  # another process recorded the same stall first

    def _apply_batch(self, conn: Connection, projection: Projection, start: int,
                     batch: Sequence[Any], end: int | None = None) -> None:
        claimed = conn.execute(
            update(tracking)
            .where(tracking.c.name == projection.name, tracking.c.position == start)
            .values(position=batch[-1].id if end is None else end)).rowcount
        if claimed != 1:
            raise LostRace(projection.name)
        writer = Writer(conn)
        to_event = self.ledger.mapper.to_domain_event
        notification = batch[0]
        try:
            for notification in batch:
                writer.position = notification.id
                projection.process_event(writer, to_event(notification))
            writer.flush()
        except (LostRace, *TRANSIENT):
            raise
        except Exception as exc:  # a handler, or the read model, cannot hold this event
            raise Poisoned(notification.id, notification.topic, exc) from exc

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every read model, recreate it empty and replay the whole log into it: one pass
        over the log, each event decoded once for every projection that follows it.

        On SQLite (with :attr:`part_replay`) a log of :data:`PARALLEL_FROM` events or more is
        replayed by two processes: the projections are split in two by how many of the latest
        events each follows; another process replays the lighter half into a scratch file while
        this one replays the other half in place, then one transaction copies the scratch rows
        in (unless another process moved those read models meanwhile: they then catch up)."""
        with self.engine.begin() as conn, _dropping(conn):
            for p in self.projections:
                self._reset(conn, p)
        self._caught_up_to = -1
        self._stalled.clear()
        self._none_between.clear()
        head = self.ledger.recorder.max_notification_id() or 0
        if (self.part_replay is not None and head >= self.parallel_from
                and self.engine.dialect.name == "sqlite" and self.engine.url.database):
            mine, theirs = self._split(head)
            if mine and theirs:
                return self._rebuild_in_two(mine, theirs, head, progress)
        return self.advance(progress)  # every read model at 0: all of them in the one pass

    def advance(self, progress: Progress | None = None) -> int:
        """Apply the log from where the read models stand up to its head, keeping what they
        hold: the read models at the lowest position go together in one pass (each batch
        decoded once for all), then any other catches up alone (as do events appended
        meanwhile, stalls and lost races). :meth:`rebuild` after dropping everything; the
        evidence replica (``app/audit/evidence.py``) to move forward."""
        positions = self.positions()
        start = min((positions.get(p.name, 0) for p in self.projections), default=0)
        group = [p for p in self.projections if positions.get(p.name, 0) == start]
        with self._rebuild_batches():
            head = self.ledger.recorder.max_notification_id() or 0
            applied = self._replay_together(group, start, head, progress)
            return applied + self._finish(progress)

    @contextmanager
    def _rebuild_batches(self) -> Iterator[None]:
        batch_size, self.batch_size = self.batch_size, max(self.batch_size, REBUILD_BATCH)
        try:
            yield
        finally:
            self.batch_size = batch_size

    def _finish(self, progress: Progress | None) -> int:
        applied = self.catch_up(progress)  # events appended meanwhile; stalls, races
        self._persist_skips(threshold=1)
        return applied

    def _split(self, head: int) -> tuple[list[Projection], list[Projection]]:
        """The projections in two halves of about equal work, weighed by how many of the latest
        :data:`SAMPLE` events each follows: (the heavier, the lighter)."""
        sample = self.ledger.recorder.select_notifications(
            start=max(1, head - SAMPLE + 1), limit=SAMPLE, stop=head)
        counts: dict[str, int] = {}
        for n in sample:
            counts[n.topic] = counts.get(n.topic, 0) + 1
        weighed = sorted(((sum(counts.get(t, 0) for t in p.topics), p.name, p)
                          for p in self.projections), key=lambda w: (-w[0], w[1]))
        halves: tuple[list[Projection], list[Projection]] = ([], [])
        loads = [0, 0]
        for weight, _name, p in weighed:
            lighter = 0 if loads[0] <= loads[1] else 1
            halves[lighter].append(p)
            loads[lighter] += weight
        return halves if loads[0] >= loads[1] else (halves[1], halves[0])

    def _rebuild_in_two(self, mine: list[Projection], theirs: list[Projection], head: int,
                        progress: Progress | None) -> int:
        """:meth:`rebuild` of a long log on SQLite: ``theirs`` replayed by another process
        into a scratch file beside the store while this one replays ``mine``; then merged."""
        path = f"{self.engine.url.database}.rebuild-{os.getpid()}.tmp"
        _remove_parts_of_gone_rebuilds(self.engine.url.database)
        process = self.part_replay([p.name for p in theirs], head, path)  # type: ignore[misc]
        applied = 0
        try:
            with self._rebuild_batches():
                applied = self._replay_together(mine, 0, head, progress)
                out = process.stdout.read()
                if process.wait() == 0:
                    applied += self._merge(theirs, path, int(out.decode() or 0))
                    if progress is not None:
                        progress(head * len(theirs))
                else:
                    log.warning("rebuild: the part replay of %s exited with %s; they catch "
                                "up here", ", ".join(p.name for p in theirs), process.returncode)
                return applied + self._finish(progress)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            for leftover in (path, f"{path}-journal"):
                if os.path.exists(leftover):
                    os.remove(leftover)

    def _merge(self, theirs: list[Projection], path: str, applied: int) -> int:
        """Copy into the store, in one transaction, every row of ``theirs`` from the scratch
        file ``path``, with their positions and failures; returns ``applied`` (the events the
        part replay applied), or 0 when another process moved any of them meanwhile (nothing
        is copied: they catch up from where they are)."""
        quote = self.engine.dialect.identifier_preparer.quote
        db = sqlite3.connect(self.engine.url.database, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("ATTACH DATABASE ? AS part", (path,))
            db.execute("BEGIN IMMEDIATE")
            try:
                for p in theirs:
                    (position,) = db.execute(
                        "SELECT position FROM part.projection_tracking WHERE name = ?",
                        (p.name,)).fetchone()
                    if db.execute("UPDATE main.projection_tracking SET position = ? "
                                  "WHERE name = ? AND position = 0",
                                  (position, p.name)).rowcount != 1:
                        raise LostRace(p.name)
                    for table in p.tables:
                        columns = ", ".join(quote(c.name) for c in table.columns)
                        name = quote(table.name)
                        db.execute(f"INSERT INTO main.{name} ({columns}) "  # noqa: S608 - names from the tables
                                   f"SELECT {columns} FROM part.{name}")
                    db.execute("INSERT OR REPLACE INTO main.projection_failures "
                               "SELECT * FROM part.projection_failures WHERE name = ?",
                               (p.name,))
                db.execute("COMMIT")
            except LostRace as exc:
                db.execute("ROLLBACK")
                log.warning("rebuild: %s moved while it was replayed apart; it catches up "
                            "from there", exc)
                return 0
            except BaseException:
                db.execute("ROLLBACK")
                raise
        finally:
            db.close()
        return applied

    def _replay_together(self, group: list[Projection], start: int, head: int,
                         progress: Progress | None) -> int:
        """Apply the log from ``start`` (every projection of ``group`` is there) up to ``head``
        in one pass: each batch is read and decoded once and applied to every projection in one
        transaction that also moves all their tracking rows. A projection that fails on an
        event leaves the group and catches up alone (replaying singly up to the poison event,
        which it records, as in :meth:`catch_up`); the others go on together. A lost race or a
        transient error hands what is left to :meth:`catch_up` (the caller's next step)."""
        applied = 0
        group = sorted(group, key=lambda p: p.name)  # PostgreSQL: locks in one order
        while group and start < head:
            try:
                with _gc_paused():  # resumed once the batch's objects are gone
                    end, count = self._apply_together(group, start, head)
            except (LostRace, *TRANSIENT):
                return applied
            except Poisoned as exc:
                poisoned = next(p for p in group if p.name == exc.projection)
                group.remove(poisoned)
                applied += self._catch_up_one(poisoned, progress, head)
                continue
            applied += count
            if progress is not None:
                progress((end - start) * len(group))
            start = end
        return applied

    def _apply_together(self, group: Sequence[Projection], start: int, head: int,
                        ) -> tuple[int, int]:
        """One transaction of :meth:`_replay_together`: the next batch after ``start`` applied
        to every projection of ``group``; returns the position reached and how many events
        were applied (an event counts once per projection that follows it)."""
        with self.engine.begin() as conn:
            rows = self._read_rows(start + 1, self.batch_size, head)
            end = head if len(rows) < self.batch_size else rows[-1][0]
            followed = self._decoded(rows, group)
            for p in group:
                if not self._take_turn(conn, p, start):
                    raise LostRace(p.name)
                self._claim(conn, p, start, end)
            for p in group:
                self._apply_decoded(conn, p, followed[p.name])
        return end, sum(len(events) for events in followed.values())

    def _read_rows(self, start: int, limit: int, stop: int) -> list[tuple[Any, ...]]:
        """Up to ``limit`` stored events from ``start`` to ``stop`` in log order, as plain
        ``(id, originator id, version, topic, state)`` rows: straight from the table for
        eventsourcing's SQLite and PostgreSQL recorders (no notification objects), else
        through ``select_notifications``. A recorder that offers ``stored_in`` (a prefix of a
        log, ``app/audit/as_of.py``) is read through that one (``stop`` bounds the rows)."""
        recorder = self.ledger.recorder
        recorder = getattr(recorder, "stored_in", recorder)  # a prefix of a log: its store
        sql = _raw_select(recorder)
        if sql is None:
            return [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                    for n in recorder.select_notifications(start=start, limit=limit,
                                                           stop=stop)]
        with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            plain_rows(cursor)
            cursor.execute(sql, (start, stop, limit))
            rows = cursor.fetchall()
        if rows and isinstance(rows[0], dict):
            rows = [tuple(r.values()) for r in rows]
        return rows

    def _decoded(self, rows: Sequence[tuple[Any, ...]], group: Sequence[Projection],
                 ) -> dict[str, list[tuple[int, str, Any]]]:
        """Per projection of ``group``, ``(id, topic, event)`` of each row it follows, in log
        order; each event decoded once (a row that cannot be decoded carries the error, which
        poisons the projections that follow it when they reach it)."""
        followers: dict[str, list[str]] = {}
        for p in group:
            for topic in p.topics:
                followers.setdefault(topic, []).append(p.name)
        mapper = self.ledger.mapper
        decode = getattr(mapper, "event_from_row", None) or _via_stored_event(mapper)
        out: dict[str, list[tuple[int, str, Any]]] = {p.name: [] for p in group}
        for position, originator_id, version, topic, state in rows:
            names = followers.get(topic)
            if names is None:
                continue
            try:
                item = (position, topic, decode(originator_id, version, topic, state))
            except Exception as exc:  # noqa: BLE001 - poison for those who follow it
                item = (position, topic, _Undecodable(exc))
            for name in names:
                out[name].append(item)
        return out

    @staticmethod
    def _claim(conn: Connection, projection: Projection, start: int, end: int) -> None:
        """Move the tracking row from ``start`` to ``end`` (LostRace if it is not at start)."""
        claimed = conn.execute(
            update(tracking)
            .where(tracking.c.name == projection.name, tracking.c.position == start)
            .values(position=end)).rowcount
        if claimed != 1:
            raise LostRace(projection.name)

    @staticmethod
    def _apply_decoded(conn: Connection, projection: Projection,
                       events: Sequence[tuple[int, str, Any]]) -> None:
        """Apply decoded events to one projection in the caller's transaction."""
        writer = Writer(conn)
        position, topic = 0, ""
        try:
            for position, topic, event in events:
                if type(event) is _Undecodable:
                    raise event.error
                writer.position = position
                projection.process_event(writer, event)
            writer.flush()
        except (LostRace, *TRANSIENT):
            raise
        except Exception as exc:  # a handler, or the read model, cannot hold this event
            raise Poisoned(position, topic, exc, projection.name) from exc

    def status(self) -> list[dict[str, Any]]:
        """Each projection's position, the log's head and how many of its events are pending."""
        head = self.ledger.recorder.max_notification_id() or 0
        stalled = self.stalled()
        rows = []
        for p in self.projections:
            position = self._scan_from(p.name, self.position(p.name))
            pending = len(self.ledger.recorder.select_notifications(
                start=position + 1, limit=100_000, topics=p.topics))
            rows.append({"name": p.name, "position": position, "head": head, "pending": pending,
                         "failure": stalled.get(p.name)})
        return rows
