"""Follows the notification log and applies events to read models exactly once.

Each batch is one read-model transaction that first moves the projection's tracking row from the
position it read to the batch's last notification id (a conditional update), then writes the rows.
If another process moved it first, the update matches nothing and the batch is rolled back, so no
event is ever applied twice; a crash mid-batch rolls back both the rows and the position.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any, Callable, Protocol

from sqlalchemy import insert, select, update
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
from projections.rehearsals.projection import RehearsalProjection
from projections.reviews.action_items import ActionItemProjection
from projections.reviews.projection import ReviewProjection
from projections.tables import metadata, schemas, tracking

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Engine

    from projections.base import Projection

Progress = Callable[[int], None]


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


class ProjectionRunner:
    """Catches read models up with the event log; rebuilds them from scratch on demand."""

    def __init__(self, ledger: EventLog, engine: Engine,
                 projections: list[Projection] | None = None, batch_size: int = 1000) -> None:
        self.ledger = ledger
        self.engine = engine
        self.projections = projections or [cls() for cls in DEFAULT_PROJECTIONS]
        self.batch_size = batch_size
        self._caught_up_to = -1

    def create_tables(self) -> None:
        """Create missing tables; rebuild any read model whose table definitions changed."""
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
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
        applied = sum(self._catch_up_one(p, progress) for p in self.projections)
        self._caught_up_to = head
        return applied

    def _catch_up_one(self, projection: Projection, progress: Progress | None) -> int:
        applied, failures = 0, 0
        topics = projection.topics
        while True:
            start = self.position(projection.name)
            batch = self.ledger.recorder.select_notifications(
                start=start + 1, limit=self.batch_size, topics=topics)
            if not batch:
                return applied
            try:
                with self.engine.begin() as conn:
                    self._apply_batch(conn, projection, start, batch)
            except (LostRace, OperationalError, IntegrityError):
                failures += 1
                if failures > 20:
                    raise
                time.sleep(0.01 * failures)
                continue
            applied += len(batch)
            if progress is not None:
                progress(len(batch))

    def _apply_batch(self, conn: Connection, projection: Projection, start: int,
                     batch: list[Any]) -> None:
        claimed = conn.execute(
            update(tracking)
            .where(tracking.c.name == projection.name, tracking.c.position == start)
            .values(position=batch[-1].id)).rowcount
        if claimed != 1:
            raise LostRace(projection.name)
        writer = Writer(conn)
        to_event = self.ledger.mapper.to_domain_event
        for notification in batch:
            projection.process_event(writer, to_event(notification))
        writer.flush()

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every read model, recreate it empty and replay the whole log into it."""
        with self.engine.begin() as conn:
            for p in self.projections:
                self._reset(conn, p)
        self._caught_up_to = -1
        batch_size, self.batch_size = self.batch_size, max(self.batch_size, 5000)
        try:
            return self.catch_up(progress)
        finally:
            self.batch_size = batch_size

    def status(self) -> list[dict[str, Any]]:
        """Each projection's position, the log's head and how many of its events are pending."""
        head = self.ledger.recorder.max_notification_id() or 0
        rows = []
        for p in self.projections:
            position = self.position(p.name)
            pending = len(self.ledger.recorder.select_notifications(
                start=position + 1, limit=100_000, topics=p.topics))
            rows.append({"name": p.name, "position": position, "head": head, "pending": pending})
        return rows
