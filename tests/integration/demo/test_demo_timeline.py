"""The demo is one chronological story: its events are in time order over the past month, so an
as-of view of any day shows the ledger as it stood then."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from app.changes.queries import list_change_requests
from app.demo import load_demo
from app.oncall import queries as oncall_queries
from app.reviews import queries as reviews_queries
from domain.base import now

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine

    from app.bootstrap import Services


def recorded_times(services: Services) -> list[datetime]:
    ledger = services.ledger
    notifications = ledger.recorder.select_notifications(start=1, limit=1_000_000)
    return [ledger.mapper.to_domain_event(n).timestamp for n in notifications]


def counts(engine: Engine) -> dict[str, Any]:
    return {"change requests": list_change_requests(engine, limit=1000)["total"],
            "incidents": len(oncall_queries.list_incidents(engine)),
            "finalised reviews": len(reviews_queries.list_reviews(engine, status="finalised"))}


def test_the_demo_events_are_appended_in_time_order_over_the_past_month(
        services: Services) -> None:
    load_demo(services)

    times = recorded_times(services)

    assert len(times) > 100
    assert times == sorted(times)
    assert now() - timedelta(days=35) <= times[0] <= now() - timedelta(days=25)
    assert times[-1] <= now()


def test_an_as_of_view_ten_days_ago_shows_part_of_the_story(services: Services) -> None:
    load_demo(services)
    services.projections.catch_up()

    then = counts(services.as_of.engine_at(now() - timedelta(days=10)))
    today = counts(services.engine)

    assert all(0 < then[name] < today[name] for name in today), (then, today)
