"""The change calendar's month and week grids: changes on their days (linked), freeze windows
shaded with their names, conflicts marked in words, navigation, and the list still there."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest

from app.ccb import queries as q
from tests.conftest import bearer, login
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

UTC = timezone.utc
QUARTER_END = {"title": "Quarter-end freeze", "start": "2026-04-01T00:00:00Z",
               "end": "2026-04-02T00:00:00Z", "systems": ["billing-db"],
               "reason": "finance closes the books"}
EASTER = {"title": "Easter weekend", "start": "2026-04-03T18:00:00Z",
          "end": "2026-04-05T00:00:00Z", "systems": [], "reason": "holidays"}


def cell(html: str, day: str) -> str:
    """The grid cell of one day (``<td ... id="day-…">…</td>``)."""
    match = re.search(rf'<td class="([^"]*)" id="day-{day}"[^>]*>(.*?)</td>', html, re.S)
    assert match, f"no cell for {day}"
    return f'class="{match[1]}" ' + match[2]


@pytest.fixture
def calendar(client: FlaskClient, services: Services) -> Any:
    """Two approved changes on billing-db, 2026-04-01 10:00–12:00 (they overlap), one freeze
    on billing-db that day and an all-systems freeze over Easter."""
    ccb = running_meeting(services, n_changes=2)
    for change in ccb.changes:
        ccb.vote(ccb.people[1], change, "approve")
        ccb.decide(change)
    for freeze in (QUARTER_END, EASTER):
        response = client.post("/api/v1/freeze-windows", json=freeze, headers=bearer(ccb.admin))
        assert response.status_code == 201, response.get_json()
    login(client, ccb.chair)
    return ccb


def test_the_month_grid_places_changes_freezes_and_conflicts_on_their_days(
        client: FlaskClient, calendar: Any) -> None:
    html = client.get("/change-calendar?month=2026-04").get_data(as_text=True)

    first = cell(html, "2026-04-01")
    for change in calendar.changes:
        assert f'href="/changes/{change}"' in first
    assert "10:00" in first and "12:00" in first
    assert "approved · billing-db" in first
    assert first.count("Conflict: overlaps") == 2 and "Conflict: inside a freeze" in first
    assert "frozen" in first and "Freeze: Quarter-end freeze" in first
    assert "/changes/" not in cell(html, "2026-04-02") and "frozen" not in cell(html, "2026-04-02")
    for day in ("2026-04-03", "2026-04-04"):
        assert "frozen" in cell(html, day) and "Freeze: Easter weekend" in cell(html, day)
        assert "all systems" in cell(html, day)
    assert "frozen" not in cell(html, "2026-04-05")
    assert "<caption>" in html and '<th scope="col"><abbr title="Monday">Mon</abbr></th>' in html
    assert 'href="/change-calendar?month=2026-03"' in html
    assert 'href="/change-calendar?month=2026-05"' in html
    assert re.search(r'<section class="card" id="conflicts">.*Overlap.*billing-db', html, re.S)


def test_the_month_grid_shows_only_its_weeks_and_marks_today(
        client: FlaskClient, calendar: Any) -> None:
    february = client.get("/change-calendar?month=2026-02").get_data(as_text=True)
    march = client.get("/change-calendar").get_data(as_text=True)  # the clock: 2026-03-02

    assert not any(c in february for c in calendar.changes) and "day-2026-01-26" in february
    assert "day-2026-03-01" in february and "day-2026-03-02" not in february
    today = cell(march, "2026-03-02")
    assert "today" in today and 'aria-current="date"' in march
    assert "March 2026" in march
    assert "other" in cell(march, "2026-04-01")  # April's first days close March's last week
    assert f'href="/changes/{calendar.changes[0]}"' in cell(march, "2026-04-01")


def test_the_week_grid_and_its_navigation(client: FlaskClient, calendar: Any) -> None:
    html = client.get("/change-calendar?week=2026-W14").get_data(as_text=True)

    assert "Week 2026-W14" in html
    assert [d for d in re.findall(r'id="day-([\d-]+)"', html)] == [
        f"2026-{d}" for d in ("03-30", "03-31", "04-01", "04-02", "04-03", "04-04", "04-05")]
    assert f'href="/changes/{calendar.changes[1]}"' in cell(html, "2026-04-01")
    assert "Freeze: Easter weekend" in cell(html, "2026-04-03")
    assert 'href="/change-calendar?week=2026-W13"' in html
    assert 'href="/change-calendar?week=2026-W15"' in html
    assert 'href="/change-calendar?week=2026-W10"' in html  # today


def test_the_list_view_is_still_there(client: FlaskClient, calendar: Any) -> None:
    html = client.get("/change-calendar?view=list").get_data(as_text=True)

    assert 'id="windows"' in html and 'id="day-' not in html
    assert all(f'href="/changes/{c}"' in html for c in calendar.changes)
    assert "Quarter-end freeze" in html and "Easter weekend" in html


@pytest.mark.parametrize(("query", "field", "says"), [
    ("month=2026-13", "Month", "is not a month: write it as YYYY-MM"),
    ("month=April", "Month", "is not a month: write it as YYYY-MM"),
    ("week=2026-W60", "Week", "is not an ISO week: write it as YYYY-Www"),
    ("week=2026-14", "Week", "is not an ISO week: write it as YYYY-Www")])
def test_a_bad_month_or_week_is_a_422_naming_it(client: FlaskClient, calendar: Any,
                                                query: str, field: str, says: str) -> None:
    response = client.get(f"/change-calendar?{query}")

    assert response.status_code == 422
    assert f"<dt>{field}</dt>" in response.get_data(as_text=True)  # the field's label
    assert says in response.get_data(as_text=True)


def test_the_calendar_query_is_bounded_to_the_range(services: Services, calendar: Any) -> None:
    inside = q.change_calendar(services.engine, datetime(2026, 4, 1, 11, tzinfo=UTC),
                               datetime(2026, 4, 1, 13, tzinfo=UTC))
    before = q.change_calendar(services.engine, datetime(2026, 3, 1, tzinfo=UTC),
                               datetime(2026, 4, 1, tzinfo=UTC))
    after = q.change_calendar(services.engine, datetime(2026, 4, 1, 12, tzinfo=UTC),
                              datetime(2026, 4, 4, tzinfo=UTC))

    assert len(inside["changes"]) == 2 and len(inside["conflicts"]) == 3
    assert [f["title"] for f in inside["freezes"]] == ["Quarter-end freeze"]
    assert before["changes"] == [] and before["conflicts"] == [] and before["freezes"] == []
    assert after["changes"] == [] and [f["title"] for f in after["freezes"]] == [
        "Quarter-end freeze", "Easter weekend"]
