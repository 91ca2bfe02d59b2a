"""Idempotent commands: a request sent again with the same ``Idempotency-Key`` (the API) or the
same per-form token (the pages) is answered as the first one was and appends nothing.

The key is recorded **in the same database transaction as the command's events**: the ledger's
recorders (``IdempotentSQLiteRecorder``, ``IdempotentPostgresRecorder``, chosen by
``app/ledger.py``) insert the key's row — person, key, a fingerprint of the request and the
events' ids — before they insert the events, so either both are stored or neither. A second
request holding the same key that reaches its save while the first has committed (or is about to)
fails on the row's primary key, its transaction (events included) is rolled back, and it raises
``KeyAlreadyRecorded``: the web layer then answers with the first request's outcome.

The outcome (status, the headers a client needs, body) can only be stored once the answer is
built, after the events' transaction has committed; it is written into the same row. If the
server dies between the two, the row says the events were recorded but the answer was lost; a
retry is then answered that way (``recorded_answer_lost``, with the events' ids) and appends
nothing. A request that appended nothing (a 4xx) stores its outcome with a plain insert.

Rows are kept ``Settings.idempotency_hours`` (at least 24) and pruned by the serve loop.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import ClientCursor, sql
from psycopg.pq import TransactionStatus
from eventsourcing.sqlite import SQLiteApplicationRecorder
from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.persistence import StoredEvent
    from sqlalchemy import Engine

TABLE = "idempotency_keys"
KEEP_HOURS = 24
"""The least time a key is kept (``GOVLEDGER_IDEMPOTENCY_HOURS`` may keep it longer)."""

IN_FLIGHT_SECONDS = 5.0
"""How long a repeat waits for the first request's answer when the first has recorded its
events but not yet its answer (it is still building it, here or in another process)."""

OWNER = uuid.uuid4().hex
"""This process: a repeat that finds a row owned by a process that has since died does not wait
longer than ``IN_FLIGHT_SECONDS`` after the row was written."""

metadata = MetaData()
keys = Table(
    TABLE, metadata,
    Column("person_id", String(36), primary_key=True),
    Column("key", String(400), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("owner", String(32), nullable=False),
    Column("events", Text, nullable=False),
    Column("status", Integer, nullable=True),
    Column("headers", Text, nullable=True),
    Column("body", Text, nullable=True),
    Index("ix_idempotency_keys_created_at", "created_at"),
)


class KeyAlreadyRecorded(Exception):  # noqa: N818 - it is an outcome, not a failure
    """Another request with the same key recorded its command first; this one appended nothing."""

    def __init__(self, person_id: str, key: str) -> None:
        super().__init__(f"the idempotency key {key!r} was recorded by another request")
        self.person_id, self.key = person_id, key


@dataclass
class Claim:
    """A request's hold on its key while it runs: the first save records the row, later saves
    of the same request add their events to it."""

    person_id: str
    key: str
    fingerprint: str
    events: list[list[Any]] = field(default_factory=list)
    """The events this request has appended so far: ``[aggregate id, version, type]``."""
    _writing: list[list[Any]] | None = None

    def listed(self, stored_events: Sequence[StoredEvent]) -> list[list[Any]]:
        """The events so far plus ``stored_events``."""
        return [*self.events, *([str(e.originator_id), e.originator_version,
                                 e.topic.rsplit(".", 1)[-1]] for e in stored_events)]

    def record(self, cursor: Any, stored_events: Sequence[StoredEvent], marker: str) -> None:
        """Inside the events' transaction: insert the key's row (first save) or add to its
        events (later saves). Raises ``KeyAlreadyRecorded`` when the row exists already."""
        self._writing = self.listed(stored_events)
        events = json.dumps(self._writing)
        if self.events:
            cursor.execute(f"UPDATE {TABLE} SET events={marker} "  # noqa: S608 - constants
                           f"WHERE person_id={marker} AND key={marker}",
                           (events, self.person_id, self.key))
            return
        params = (self.person_id, self.key, self.fingerprint, time.time(), OWNER, events)
        values = ",".join([marker] * len(params))
        statement = (f"INSERT INTO {TABLE} (person_id, key, fingerprint, created_at, owner, "  # noqa: S608
                     f"events) VALUES ({values})")
        if marker == "?":  # SQLite: writers are serialised, a duplicate fails at once
            try:
                cursor.execute(statement, params)
            except sqlite3.IntegrityError:
                raise KeyAlreadyRecorded(self.person_id, self.key) from None
            return
        # PostgreSQL: waits for a concurrent holder of the key to commit or roll back
        cursor.execute(statement + " ON CONFLICT DO NOTHING RETURNING person_id", params)
        if cursor.fetchone() is None:
            raise KeyAlreadyRecorded(self.person_id, self.key)

    def saved(self) -> None:
        """The save's transaction committed."""
        if self._writing is not None:
            self.events, self._writing = self._writing, None


COPY_FROM = 1000
"""Batches of this many events or more are sent to PostgreSQL with ``COPY`` (see
``IdempotentPostgresRecorder._copy_events``)."""

current: ContextVar[Claim | None] = ContextVar("idempotency_claim", default=None)
"""The claim of the request being handled (set by the web layer, read by ``Ledger.save``)."""


class IdempotentSQLiteRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite recorder, recording the request's key with its events."""

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        claim = kwargs.get("idempotency")
        if claim is not None and stored_events:
            claim.record(c, stored_events, "?")
        return super()._insert_events(c, stored_events, **kwargs)


class IdempotentPostgresRecorder(PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL recorder, recording the request's key with its events (in the
    hook it runs first in the events' transaction, before it locks the table).

    It also holds the table lock for less time. eventsourcing's recorder takes ``LOCK TABLE …
    IN EXCLUSIVE MODE`` (one gapless order of the log), inserts, waits for the answer, then
    sends ``COMMIT`` and waits again: two round trips, and a writer process that loses the CPU
    between them keeps every other writer waiting. Here ``LOCK``, ``NOTIFY``, the insert and
    ``COMMIT`` go to the server as one simple query (parameters bound client-side), so the lock
    is held only while the server runs them, and the client spends one round trip and little
    CPU on it; the key's row (which may wait for a concurrent holder of the same key) is
    written first, before the lock. Errors (a version conflict, the key recorded by another
    request) roll the whole transaction back, as before."""

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        if not stored_events or self.datastore.enable_db_functions:
            return super().insert_events(stored_events, **kwargs)
        with self.datastore.get_connection() as conn:
            try:
                begun = kwargs.get("idempotency") is not None
                if begun:  # the key's row first, outside the lock (it may wait for another)
                    with conn.cursor() as curs:
                        curs.execute("BEGIN")
                        self._insert_events(curs, stored_events, **kwargs)
                if len(stored_events) >= COPY_FROM:
                    return self._copy_events(conn, stored_events, begun)
                params = [value for e in stored_events for value in (
                    e.originator_id, e.originator_version, e.topic, e.state)]
                with ClientCursor(conn) as curs:  # one simple query: lock ... COMMIT
                    curs.execute(self._locked_insert(conn, len(stored_events), begun), params)
                    while not (curs.statusmessage or "").startswith("INSERT"):
                        if not curs.nextset():
                            raise RuntimeError("the insert's result is missing")
                    return [row["notification_id"] for row in curs.fetchall()]
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                raise

    def _copy_events(self, conn: Any, stored_events: Sequence[StoredEvent],
                     begun: bool) -> list[int]:
        """A large batch (``COPY_FROM`` events or more: the generator's, an import's) under the
        same lock, sent with ``COPY … FROM STDIN (FORMAT BINARY)``: the states go to the server
        as bytes, where the one-statement insert has the client render every one as a hex
        literal (and psycopg re-parse a statement too long for its cache). The lock makes the
        batch's notification ids the ones after the head read under it; they are read back in
        order."""
        table = sql.SQL("{}.{}").format(sql.Identifier(self.datastore.schema),
                                        sql.Identifier(self.events_table_name))
        with conn.cursor() as curs:
            if not begun:
                curs.execute("BEGIN")
            self._lock_table(curs)  # eventsourcing's SET LOCAL lock_timeout; LOCK … EXCLUSIVE
            self._notify_channel(curs)
            curs.execute(sql.SQL("SELECT coalesce(max(notification_id), 0) AS head FROM {}")
                         .format(table))
            head = curs.fetchone()["head"]
            with curs.copy(sql.SQL("COPY {} (originator_id, originator_version, topic, state) "
                                   "FROM STDIN (FORMAT BINARY)").format(table)) as copy:
                copy.set_types([self.datastore.originator_id_type, "int8", "text", "bytea"])
                for e in stored_events:
                    copy.write_row((e.originator_id, e.originator_version, e.topic, e.state))
            curs.execute(sql.SQL("SELECT notification_id FROM {} WHERE notification_id > %s "
                                 "ORDER BY notification_id").format(table), (head,))
            ids = [row["notification_id"] for row in curs.fetchall()]
            if len(ids) != len(stored_events):
                raise ProgrammingError(f"copied {len(stored_events)} events, "
                                       f"found {len(ids)} after position {head}")
            curs.execute("COMMIT")
        return ids

    def _locked_insert(self, conn: Any, count: int, begun: bool) -> str:
        """``[BEGIN;] SET LOCAL lock_timeout; LOCK TABLE … IN EXCLUSIVE MODE; NOTIFY; INSERT …
        RETURNING notification_id; COMMIT`` for ``count`` events, parameters bound client-side
        (cached per count)."""
        key = (count, begun)
        cache = self.__dict__.setdefault("_locked_inserts", {})
        if key not in cache:
            table = sql.SQL("{}.{}").format(sql.Identifier(self.datastore.schema),
                                            sql.Identifier(self.events_table_name))
            rows = ", ".join(["(%s, %s, %s, %s)"] * count)
            cache[key] = sql.SQL(
                ("" if begun else "BEGIN; ")
                + f"SET LOCAL lock_timeout = '{self.datastore.lock_timeout}s'; "
                + "LOCK TABLE {table} IN EXCLUSIVE MODE; NOTIFY {channel}; "
                + "INSERT INTO {table} (originator_id, originator_version, topic, state) "
                + f"VALUES {rows} RETURNING notification_id; COMMIT"
            ).format(table=table, channel=sql.Identifier(self.channel_name)).as_string(conn)
        return cache[key]

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> None:
        claim = kwargs.get("idempotency")
        if claim is not None and stored_events:
            claim.record(curs, stored_events, "%s")
        super()._insert_events(curs, stored_events, **kwargs)


@dataclass
class Outcome:
    """A key's row as a repeat sees it."""

    fingerprint: str
    created_at: float
    owner: str
    events: list[list[Any]]
    status: int | None
    headers: dict[str, str]
    body: str | None

    @property
    def answered(self) -> bool:
        """Whether the first request's answer was stored."""
        return self.status is not None


class IdempotencyStore:
    """The keys' table: look a key up, wait for an answer, store one, prune old keys."""

    def __init__(self, engine: Engine, keep_hours: int = KEEP_HOURS) -> None:
        self.engine = engine
        self.keep_seconds = max(keep_hours, KEEP_HOURS) * 3600.0
        self._pruned = 0.0
        self._lock = threading.Lock()

    def create_table(self) -> None:
        """Create the table (and its index) when missing."""
        metadata.create_all(self.engine)

    def find(self, person_id: str, key: str) -> Outcome | None:
        """The row of ``key`` for ``person_id`` (None when the key is new or expired)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(keys).where(
                and_(keys.c.person_id == person_id, keys.c.key == key))).first()
        if row is None:
            return None
        if row.created_at < time.time() - self.keep_seconds:  # expired: the key is free again
            with self.engine.begin() as conn:
                conn.execute(delete(keys).where(and_(
                    keys.c.person_id == person_id, keys.c.key == key,
                    keys.c.created_at == row.created_at)))
            return None
        return Outcome(fingerprint=row.fingerprint, created_at=row.created_at, owner=row.owner,
                       events=json.loads(row.events), status=row.status,
                       headers=json.loads(row.headers or "{}"), body=row.body)

    def wait(self, person_id: str, key: str, found: Outcome) -> Outcome:
        """``found`` once it has its answer, or as it is when the first request is not coming
        back (``IN_FLIGHT_SECONDS`` after it recorded its events)."""
        if found.owner == OWNER:
            deadline = time.monotonic() + IN_FLIGHT_SECONDS
        elif found.owner:
            deadline = time.monotonic() + IN_FLIGHT_SECONDS - (time.time() - found.created_at)
        else:  # its request ended in a server error: no answer is coming
            deadline = 0.0
        while not found.answered and time.monotonic() < deadline:
            time.sleep(0.05)
            found = self.find(person_id, key) or found
        return found

    def answer(self, claim: Claim, status: int, headers: dict[str, str], body: str) -> bool:
        """Store the answer of the request holding ``claim``. False when another request
        recorded the key first (this one's answer is then not the key's)."""
        values = {"status": status, "headers": json.dumps(headers), "body": body}
        if claim.events:
            with self.engine.begin() as conn:
                conn.execute(update(keys).where(and_(
                    keys.c.person_id == claim.person_id, keys.c.key == claim.key)).values(values))
            return True
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(keys).values(
                    person_id=claim.person_id, key=claim.key, fingerprint=claim.fingerprint,
                    created_at=time.time(), owner=OWNER, events="[]", **values))
        except SqlIntegrityError:
            return False
        return True

    def forget(self, claim: Claim) -> None:
        """Drop the answer-less row of a request whose events were recorded but that ended in
        a server error: the events stay, a repeat is told so (``owner`` cleared: none waits)."""
        with self.engine.begin() as conn:
            conn.execute(update(keys).where(and_(
                keys.c.person_id == claim.person_id, keys.c.key == claim.key,
                keys.c.status.is_(None))).values(owner=""))

    def prune(self, every: float = 600.0) -> int:
        """Delete keys older than the retention (at most once per ``every`` seconds)."""
        with self._lock:
            if time.monotonic() - self._pruned < every:
                return 0
            self._pruned = time.monotonic()
        with self.engine.begin() as conn:
            return conn.execute(delete(keys).where(
                keys.c.created_at < time.time() - self.keep_seconds)).rowcount or 0
