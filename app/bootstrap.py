"""Composition root: builds the ledger, the read-model engine and the projection runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event

from app.application import Ledger
from app.config import Settings, eventsourcing_env, sqlalchemy_url
from projections.runner import ProjectionRunner

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class Services:
    """The running service's parts, shared by the web app, the CLI and the tests."""

    settings: Settings
    ledger: Ledger
    engine: Engine
    projections: ProjectionRunner

    def close(self) -> None:
        """Release database connections."""
        self.ledger.close()
        self.engine.dispose()


def bootstrap(settings: Settings) -> Services:
    """Connect to the store named by the settings and make sure every table exists."""
    if not settings.is_postgres:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(env=eventsourcing_env(settings), password_cost=settings.password_cost)
    engine = make_engine(settings)
    runner = ProjectionRunner(ledger, engine)
    runner.create_tables()
    return Services(settings=settings, ledger=ledger, engine=engine, projections=runner)


def make_engine(settings: Settings) -> Engine:
    """Create the SQLAlchemy engine for the read models."""
    if settings.is_postgres:
        return create_engine(sqlalchemy_url(settings), pool_size=8, max_overflow=8,
                             pool_pre_ping=True)
    engine = create_engine(sqlalchemy_url(settings), connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine
