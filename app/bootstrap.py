"""Composition root: builds the ledger, every area's service, the read models and the audit.

One eventsourcing application (``Ledger``: one store, one log) is shared by the per-area
services; an area that needs another area's use case gets that service passed in here (the CCB,
on-call, rehearsals and reviews raise action items through ``ActionItemService``; change
requests check the CCB's freeze calendar). Nothing is looked up at import time: the audit, the
as-of view cache and the bundle's report list are built here and live on ``Services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event

from app import json_codec
from app.audit.as_of import AsOfViews
from app.audit.evidence import EvidenceReplica
from app.audit.service import Audit
from app.ccb import reports as ccb_reports
from app.ccb.service import CcbService
from app.changes import reports as change_reports
from app.changes.service import ChangeService
from app.config import Settings, eventsourcing_env, sqlalchemy_url
from app.coordination import ReadYourWrites, schema_lock
from app.conflicts import retrying
from app.idempotency import IdempotencyStore
from app.ledger import Ledger
from app.notifications.alerts import AlertService
from app.notifications.service import NotificationService
from app.oncall import reports as oncall_reports
from app.oncall.service import OnCallService
from app.people.security import password_hasher
from app.people.service import PeopleService
from app.programme import reports as programme_reports
from app.programme.service import ProgrammeService
from app.rebuild_part import part_replay
from app.rehearsals import reports as rehearsal_reports
from app.rehearsals.service import RehearsalService
from app.reviews import action_item_reports
from app.reviews import reports as review_reports
from app.reviews.action_items import ActionItemService
from app.reviews.service import ReviewService
from projections.runner import ProjectionRunner

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.reporting import Report


@dataclass
class Services:
    """The running service's parts, shared by the web app, the CLI and the tests."""

    settings: Settings
    ledger: Ledger
    engine: Engine
    projections: ProjectionRunner
    people: PeopleService
    changes: ChangeService
    ccb: CcbService
    oncall: OnCallService
    rehearsals: RehearsalService
    reviews: ReviewService
    actions: ActionItemService
    audit: Audit
    as_of: AsOfViews
    evidence: EvidenceReplica
    reports: list[Report]
    programme: ProgrammeService
    notifications: NotificationService
    alerts: AlertService
    idempotency: IdempotencyStore
    read_your_writes: ReadYourWrites
    reader: Engine | None = None
    """The read models' engine for reads that write nothing (pages, lists, sessions): on
    PostgreSQL a pool of its own in autocommit (``reading_engine``), else ``engine`` itself."""

    def __post_init__(self) -> None:
        if self.reader is None:
            self.reader = self.engine

    def close(self) -> None:
        """Release database connections and temporary as-of views."""
        self.read_your_writes.close()
        self.as_of.clear()
        self.ledger.close()
        if self.reader is not None and self.reader is not self.engine:
            self.reader.dispose()
        self.engine.dispose()


def bootstrap(settings: Settings) -> Services:
    """Connect to the store named by the settings and make sure every table exists (on
    PostgreSQL under an advisory lock: many processes may start at once)."""
    if not settings.is_postgres:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    with schema_lock(settings):
        return _bootstrap(settings)


def _bootstrap(settings: Settings) -> Services:
    ledger = Ledger(env=eventsourcing_env(settings))
    engine = make_engine(settings)
    runner = ProjectionRunner(ledger, engine)
    if not settings.is_postgres:
        runner.part_replay = part_replay(settings)  # a long rebuild uses two processes
    runner.create_tables()
    idempotency = IdempotencyStore(engine, settings.idempotency_hours)
    idempotency.create_table()
    # every area's use cases run again when they lose a race for an aggregate (app/conflicts.py)
    actions = retrying(ActionItemService(ledger))
    ccb = retrying(CcbService(ledger, actions=actions))
    audit = Audit(settings, ledger, engine)
    oncall = retrying(OnCallService(ledger, actions=actions))
    return Services(
        settings=settings, ledger=ledger, engine=engine, projections=runner,
        people=retrying(PeopleService(ledger, hasher=password_hasher(settings.password_cost))),
        changes=retrying(ChangeService(ledger, ccb=ccb)), ccb=ccb,
        oncall=oncall,
        rehearsals=retrying(RehearsalService(ledger, actions=actions)),
        reviews=retrying(ReviewService(ledger, actions=actions)), actions=actions,
        audit=audit, as_of=AsOfViews(settings, ledger, runner, engine, audit,
                                     view_engine=lambda: view_engine(settings)),
        evidence=EvidenceReplica(settings, ledger, audit),
        # in the order of the bundle PDF's sections
        reports=[*change_reports.REPORTS, *ccb_reports.REPORTS, *oncall_reports.REPORTS,
                 *rehearsal_reports.REPORTS, *action_item_reports.REPORTS,
                 *review_reports.REPORTS, *programme_reports.REPORTS],
        programme=retrying(ProgrammeService(ledger, evidence=lambda: caught_up(runner, engine))),
        notifications=NotificationService(ledger, engine, settings),
        alerts=AlertService(ledger, oncall),
        idempotency=idempotency, read_your_writes=ReadYourWrites(settings, runner),
        reader=reading_engine(settings, engine))


def reading_engine(settings: Settings, engine: Engine) -> Engine:
    """The engine for reads only: on PostgreSQL a pool of its own, in autocommit, whose
    connections plan every statement for its values; elsewhere ``engine``.

    - A read through the transactional engine costs three round trips besides its queries:
      the pool's ping, the ``BEGIN`` psycopg sends before the first query and the
      ``ROLLBACK`` when the connection goes back. In autocommit there is no ``BEGIN`` and
      nothing to roll back, and a read sees what it saw before: at PostgreSQL's default (read
      committed) every statement of a transaction takes its own snapshot anyway.
    - psycopg prepares a statement once a connection has run it five times, and after five
      more PostgreSQL may keep one generic plan that ignores the values SQLAlchemy binds
      (``category = $1``): My work's emergency-board query then walked the board index,
      40 ms instead of 0.2 ms. Reads are planned for their values
      (``plan_cache_mode=force_custom_plan``, ~0.25 ms of planning for a list page's query);
      the projections' writes, on ``engine``, keep their prepared generic plans.

    Nothing may write through it (a write would commit statement by statement). SQLite's
    driver begins no transaction for reads and plans every statement anew, so there it is
    ``engine``."""
    if not settings.is_postgres:
        return engine
    return _postgres_engine(settings, pool_size=4, isolation_level="AUTOCOMMIT",
                            connect_args={"options": "-c plan_cache_mode=force_custom_plan"})


def view_engine(settings: Settings) -> Engine:
    """A small engine over the read models for one as-of view (``app/audit/as_of.py`` adds its
    temporary views to each connection): on PostgreSQL a pool of 2 (and 4 more at need) in
    autocommit, elsewhere the read models' own engine settings."""
    if not settings.is_postgres:
        return make_engine(settings)
    return _postgres_engine(settings, pool_size=2, max_overflow=4, isolation_level="AUTOCOMMIT")


def caught_up(runner: ProjectionRunner, engine: Engine) -> Engine:
    """The live read models, caught up with the log (the evidence a rule may need)."""
    runner.catch_up()
    return engine


def _postgres_engine(settings: Settings, pool_size: int, **options: Any) -> Engine:
    """A PostgreSQL engine over the read models: ``pool_size`` connections and 8 more at
    need, each pinged when taken from the pool (a restarted server costs no failed request)."""
    options.setdefault("max_overflow", 8)
    return create_engine(sqlalchemy_url(settings), pool_size=pool_size, pool_pre_ping=True,
                         json_deserializer=json_codec.loads, **options)


def make_engine(settings: Settings) -> Engine:
    """Create the SQLAlchemy engine for the read models."""
    if settings.is_postgres:
        return _postgres_engine(settings, pool_size=8)
    engine = create_engine(sqlalchemy_url(settings), connect_args={"timeout": 30},
                           json_deserializer=json_codec.loads)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # durable commits, as documented
        cursor.close()

    return engine
