"""Server-side sign-in sessions, kept in the store's database so that every server process sees
the same ones: the browser holds only a random id (the table keeps its SHA-256). A session ends
at sign-out, when its person is deactivated, after ``idle`` seconds without a request and
``lifetime`` seconds after it began, whichever comes first. Those are wall-clock times (not the
domain clock, which tests and demos move to set business time)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Float,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

IDLE_SECONDS = 30 * 60
LIFETIME_SECONDS = 12 * 60 * 60

metadata = MetaData()
sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("person_id", String(36), nullable=True, index=True),
    Column("data", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Sessions in a database table (created when missing); ``clock`` gives seconds."""

    def __init__(self, engine: Engine, idle: float = IDLE_SECONDS,
                 lifetime: float = LIFETIME_SECONDS,
                 clock: Callable[[], float] = time.time, reader: Engine | None = None) -> None:
        self.engine, self.idle, self.lifetime, self.clock = engine, idle, lifetime, clock
        self.reader = reader or engine
        """What a session is looked up through (``app/bootstrap.py`` ``reading_engine``)."""
        metadata.create_all(engine)

    def load(self, session_id: str) -> dict[str, Any] | None:
        """The data of a live session (None when unknown, idle too long or too old).

        Being seen is written only once a session's last-seen time is a hundredth of the idle
        timeout old (18 s of 30 min): a page view is then a read, not a durable write, and the
        idle timeout ends at most that much later than it would."""
        moment = self.clock()
        with self.reader.connect() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id_hash == _hash(session_id))
                               ).first()
        if row is None:
            return None
        expired = (moment - row.last_seen_at > self.idle
                   or moment - row.created_at > self.lifetime)
        if expired or moment - row.last_seen_at >= self.idle / 100:
            with self.engine.begin() as conn:
                if expired:
                    conn.execute(delete(sessions).where(sessions.c.id_hash == row.id_hash))
                    return None
                conn.execute(update(sessions).where(sessions.c.id_hash == row.id_hash)
                             .values(last_seen_at=moment))
        return json.loads(row.data)

    def create(self, data: dict[str, Any]) -> str:
        """Start a session holding ``data``; returns its new random id."""
        session_id = secrets.token_urlsafe(32)
        moment = self.clock()
        with self.engine.begin() as conn:
            conn.execute(insert(sessions).values(
                id_hash=_hash(session_id), person_id=data.get("person_id"),
                data=json.dumps(data), created_at=moment, last_seen_at=moment))
        return session_id

    def save(self, session_id: str, data: dict[str, Any]) -> None:
        """Replace a session's data."""
        with self.engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.id_hash == _hash(session_id))
                         .values(data=json.dumps(data), person_id=data.get("person_id")))

    def end(self, session_id: str) -> None:
        """End one session."""
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_hash == _hash(session_id)))

    def end_for(self, person_id: str) -> int:
        """End every session of a person (on deactivation); returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(delete(sessions).where(sessions.c.person_id == str(person_id))
                                ).rowcount
