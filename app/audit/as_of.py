"""As-of views: every read model as it stood at a past moment.

The log prefix recorded up to the moment is replayed through the SAME projection classes
(``projections.runner.DEFAULT_PROJECTIONS``) into a temporary SQLite file, in batches (memory
bounded, not proportional to the log). The cut-off position comes from the sealer's index
(``audit_leaves.watermark``) without decoding the log. A built view depends only on its cut-off
position (the log is append-only), so it is cached briefly per cut-off.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event

from app.audit.service import audit
from projections.runner import DEFAULT_PROJECTIONS, ProjectionRunner

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine

    from app.bootstrap import Services

CACHE_SECONDS = 120.0
CACHE_ENTRIES = 4
IN_USE_SECONDS = 30.0
BATCH = 2000


class _Prefix:
    """Looks like the ledger to a ProjectionRunner, but its log ends at ``stop``."""

    def __init__(self, ledger: Any, stop: int) -> None:
        self.mapper = ledger.mapper
        self.recorder = self
        self._recorder = ledger.recorder
        self.stop = stop

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


_cache: dict[tuple[str, int, str], _View] = {}
_lock = threading.Lock()


def as_of_engine(services: Services, moment: datetime) -> Engine:
    """An engine over every read model as it stood at ``moment``."""
    sealer = audit(services)
    position = sealer.position_as_of(moment)
    if position and position >= (services.ledger.recorder.max_notification_id() or 0):
        services.projections.catch_up()
        return services.engine  # nothing recorded after the moment: the live read models
    key = (services.settings.database_url, position,
           sealer.leaf_at(position)["leaf_hash"] if position else "")
    with _lock:
        _expire()
        view = _cache.get(key)
        if view is None:
            view = _cache[key] = build(services, position)
        view.used = time.monotonic()
        return view.engine


def build(services: Services, position: int) -> _View:
    """Replay the log up to ``position`` into a fresh temporary SQLite file."""
    fd, path = tempfile.mkstemp(prefix="govledger-asof-", suffix=".sqlite3")
    os.close(fd)
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    runner = ProjectionRunner(_Prefix(services.ledger, position), engine,  # type: ignore[arg-type]
                              projections=[cls() for cls in DEFAULT_PROJECTIONS],
                              batch_size=BATCH)
    runner.create_tables()
    runner.catch_up()
    return _View(engine=engine, path=path, used=time.monotonic())


def _expire() -> None:
    """Drop views unused for CACHE_SECONDS, then the least recently used beyond CACHE_ENTRIES
    (never one used in the last IN_USE_SECONDS: a request may still be reading it)."""
    now = time.monotonic()
    stale = [k for k, v in _cache.items() if now - v.used > CACHE_SECONDS]
    extra = len(_cache) - len(stale) - CACHE_ENTRIES + 1
    if extra > 0:
        stale += [k for k in sorted((k for k in _cache if k not in stale),
                                    key=lambda k: _cache[k].used)
                  if now - _cache[k].used > IN_USE_SECONDS][:extra]
    for key in stale:
        _drop(_cache.pop(key))


def _drop(view: _View) -> None:
    view.engine.dispose()
    try:
        os.unlink(view.path)
    except OSError:
        pass


@atexit.register
def clear_cache() -> None:
    """Remove every cached view (and its temporary file)."""
    with _lock:
        while _cache:
            _drop(_cache.popitem()[1])
