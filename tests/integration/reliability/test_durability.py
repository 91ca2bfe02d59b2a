"""Durability as documented: every SQLite connection the service writes through (event store,
read models, audit tables) runs in WAL with ``synchronous=FULL``; PostgreSQL commits
synchronously."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from app.bootstrap import Services

FULL = 2


def test_every_engine_commits_durably(services: Services) -> None:
    if services.settings.is_postgres:
        with services.engine.connect() as conn:
            assert conn.scalar(text("SHOW synchronous_commit")) == "on"
        return

    assert services.audit.engine is services.engine  # the audit writes through it too
    with services.engine.connect() as conn:  # read models and the audit's tables
        read_models = (conn.scalar(text("PRAGMA journal_mode")),
                       conn.scalar(text("PRAGMA synchronous")))
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:  # events
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        events = (journal, cursor.fetchone()[0])

    assert read_models == ("wal", FULL)
    assert events == ("wal", FULL)
