"""Readiness over a long history: each check asks the database for what it decides on, and a
criterion names at most ``SHOWN`` records, then how many more there are."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from app.demo import load_demo
from app.generate import generate
from app.programme import readiness
from domain.base import now
from projections.ccb.tables import decisions
from projections.reviews.tables import launches

if TYPE_CHECKING:
    from app.bootstrap import Services


@pytest.fixture
def long_history(services: Services) -> Services:
    load_demo(services)
    generate(services, 4000, seed=5)
    services.projections.catch_up()
    return services


def test_a_criterion_names_at_most_shown_records_then_how_many_more(
        long_history: Services) -> None:
    checks = {c["id"]: c for c in readiness.evaluate(long_history.engine, now())}
    with long_history.engine.connect() as conn:
        reviewed = {r.change_request_id for r in conn.execute(
            select(decisions.c.change_request_id, decisions.c.reason).where(
                decisions.c.kind == "meeting"))
            if r.reason not in readiness.NOT_BOARD_REVIEWS}
        with_targets = [r for r in conn.execute(select(launches.c.targets)) if r.targets]

    assert all(len(c["evidence"]) <= readiness.SHOWN + 1 for c in checks.values())
    three = checks["t41.three-reviewed"]
    assert len(reviewed) > readiness.SHOWN
    assert three["status"] == "met"
    *named, more = three["evidence"]
    assert len({e["id"] for e in named}) == readiness.SHOWN
    assert {e["id"] for e in named} <= reviewed
    assert more["label"] == f"and {len(reviewed) - readiness.SHOWN:,} more change requests " \
        "reviewed by the board"
    template = checks["t44.template"]["evidence"]
    if len(with_targets) > readiness.SHOWN:
        assert template[-1]["label"] == f"and {len(with_targets) - readiness.SHOWN:,} more launches"
    else:
        assert len(template) == len(with_targets)


def test_the_earliest_reviews_are_the_ones_named(long_history: Services) -> None:
    with long_history.engine.connect() as conn:
        first: dict[str, str] = {}
        for row in conn.execute(select(decisions).order_by(decisions.c.decided_at,
                                                          decisions.c.id)):
            if row.kind == "meeting" and row.reason not in readiness.NOT_BOARD_REVIEWS:
                first.setdefault(row.change_request_id, row.outcome)
        ev = readiness.Evidence(conn, now())
        named = readiness.three_reviewed(ev)["evidence"][:readiness.SHOWN]

    assert [e["id"] for e in named] == list(first)[:readiness.SHOWN]
    assert all(re.search(f": {first[e['id']]} on \\d{{4}}-\\d\\d-\\d\\d$", e["label"])
               for e in named)


def test_a_table_that_grows_with_the_history_is_not_read_whole(services: Services) -> None:
    with services.engine.connect() as conn:
        ev = readiness.Evidence(conn, now())

        with pytest.raises(ValueError, match="rm_decisions grows with the history"):
            ev.rows(decisions)
        assert ev.rows(launches) == []
