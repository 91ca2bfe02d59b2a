"""As-of views: for random event sequences, the view as of each moment equals the live view
captured at that moment — for every read-model table, including ones other areas add."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.errors import DomainError
from projections.tables import metadata, schemas, tracking
from tests import conftest
from tests.property.audit.test_audit_tamper import fresh_services

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.bootstrap import Services

steps = st.lists(st.tuples(st.sampled_from(["person", "submit", "withdraw"]),
                           st.integers(1, 3000)), min_size=1, max_size=8)


def normal(value: Any) -> Any:
    """A backend-independent form of a column value (live PostgreSQL vs the SQLite view)."""
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, float):
        return round(value, 9)
    return value


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every read-model table's rows, order-independent."""
    with engine.connect() as conn:
        return {t.name: sorted(repr(tuple(normal(v) for v in r)) for r in conn.execute(select(t)))
                for t in metadata.sorted_tables if t not in (tracking, schemas)}


def apply(services: Services, clock: conftest.FakeClock, kind: str, person: dict[str, Any],
          changes: list[str]) -> None:
    ledger = services.ledger
    if kind == "person":
        conftest.add_person(services, password=None)
    elif kind == "submit":
        with ledger.acting_as(person["id"]):
            changes.append(services.changes.submit_change_request(**{
                **conftest.valid_change(), "board_id": None,
                "planned_start": clock.now + timedelta(days=1),
                "planned_end": clock.now + timedelta(days=2)})["id"])
    elif changes:
        try:
            with ledger.acting_as(person["id"]):
                services.changes.withdraw_change_request(changes[0])
        except DomainError:
            pass


@pytest.mark.parametrize("backend", conftest.BACKENDS)
@settings(max_examples=5, deadline=None)
@given(plan=steps)
def test_the_view_as_of_each_moment_equals_the_live_view_then(
        backend: str, plan: list[tuple[str, int]]) -> None:
    clock = conftest.FakeClock()
    conftest.set_default_clock(clock)
    try:
        with fresh_services(backend) as services:
            person = conftest.add_person(services, password=None)
            changes: list[str] = []
            captured = []
            for kind, seconds in plan:
                clock.advance(seconds=seconds)
                apply(services, clock, kind, person, changes)
                services.projections.catch_up()
                captured.append((clock.now, snapshot(services.engine)))
            before = captured[0][0] - timedelta(seconds=1)

            for moment, live in captured:
                assert snapshot(services.as_of.engine_at(moment)) == live
            empty_people = snapshot(services.as_of.engine_at(before - timedelta(days=1)))
    finally:
        conftest.set_default_clock(conftest.system_clock)
    assert all(rows == [] for rows in empty_people.values())


def test_the_as_of_view_of_now_equals_the_live_read_models_on_the_demo_data(
        services: Services, clock: conftest.FakeClock) -> None:
    """Every area's projections replay into the temporary SQLite view exactly as they run live
    (catches projections that read the clock, other tables, or backend-specific SQL)."""
    from app.audit.as_of import drop
    from app.demo import load_demo

    load_demo(services)
    services.projections.catch_up()
    clock.advance(seconds=1)
    head = services.audit.position_as_of(clock.now)
    view = services.as_of.build(head)  # forced replay (as_of_engine would answer "now" live)
    try:
        assert head == services.ledger.recorder.max_notification_id()
        assert snapshot(view.engine) == snapshot(services.engine)
    finally:
        drop(view)
