"""When each API token was last used, kept cheaply in the store's database (``token_usage``).

A token's use is written at most once per ``every`` seconds (a minute): each process remembers
when it last wrote a token, and the write itself is a conditional update that does nothing when
another process wrote it within the minute, so a busy token costs one small statement a minute,
not one per request. Not an event: use is not a decision, and the ledger would fill with it.
Times are the wall clock's (seconds), like sessions'."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import Column, Float, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy import Engine

EVERY_SECONDS = 60.0

metadata = MetaData()
token_usage = Table(
    "token_usage",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("token_id", String(32), primary_key=True),
    Column("last_used_at", Float, nullable=False),
)


class TokenUsage:
    """Records token use (at most once a minute per token) and answers when each was last used."""

    def __init__(self, engine: Engine, every: float = EVERY_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine, self.every, self.clock = engine, every, clock
        self._written: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        metadata.create_all(engine)

    def touch(self, person_id: str, token_id: str) -> bool:
        """Note that the token was used now; True when a row was written."""
        key, moment = (str(person_id), token_id), self.clock()
        with self._lock:
            if moment - self._written.get(key, float("-inf")) < self.every:
                return False
            self._written[key] = moment
        with self.engine.begin() as conn:
            changed = conn.execute(update(token_usage).where(
                token_usage.c.person_id == key[0], token_usage.c.token_id == token_id,
                token_usage.c.last_used_at <= moment - self.every).values(last_used_at=moment)
                ).rowcount
        if changed:
            return True
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(token_usage).values(person_id=key[0], token_id=token_id,
                                                        last_used_at=moment))
        except IntegrityError:
            return False  # the row exists and another process wrote it within the minute
        return True


def last_used(engine: Engine, person_id: str, token_ids: Iterable[str]) -> dict[str, datetime]:
    """Token id → when it was last used (tokens never used are missing)."""
    ids = list(token_ids)
    if not ids:
        return {}
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(token_usage.c.token_id, token_usage.c.last_used_at).where(
                token_usage.c.person_id == str(person_id), token_usage.c.token_id.in_(ids)))
            return {r.token_id: datetime.fromtimestamp(r.last_used_at, timezone.utc)
                    for r in rows}
    except DBAPIError:  # the table is made by the first server start; none used before that
        return {}
