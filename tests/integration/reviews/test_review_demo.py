"""The demo data of the tracker and post-launch reviews."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pytest

from app.demo import load_demo
from app.reviews import queries as reviews_queries
from app.reviews.action_item_queries import list_action_items
from domain.base import now

if TYPE_CHECKING:
    from app.bootstrap import Services


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_demo_has_a_reviewed_launch_and_items_from_several_sources(
        services: Services) -> None:
    assert load_demo(services)

    launch = reviews_queries.list_launches(services.engine)[0]
    finalised = Counter(r["kind"] for r in reviews_queries.list_reviews(
        services.engine, status="finalised", launch_id=launch["id"]))
    items = list_action_items(services.engine, now().date())["items"]
    dashboard = reviews_queries.dashboard(services.engine, launch["id"], now().date())

    assert finalised == {"daily": 5, "weekly": 2}
    assert {i["source_type"] for i in items} >= {"review", "incident", "drill", "rehearsal",
                                                  "meeting"}
    assert {i["status"] for i in items} >= {"open", "completed", "blocked"}
    uptimes = [p["uptime_pct"] for p in dashboard["points"] if p["uptime_pct"] is not None]
    assert len(uptimes) == 7 and uptimes == sorted(uptimes)
    assert sum(p["closed"] for p in dashboard["points"]) >= 3
