"""The action item tracker is served a page at a time, every filter (overdue included) applied
in SQL before paging: with thousands of items a page stays one page, the query carries a LIMIT
and only that page's rows reach Python; the CSV export streams every matching item."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from domain.reviews.action_item import is_overdue
from projections.reviews.tables import action_items
from tests.conftest import add_person, bearer, login
from tests.support.paging import fill, recording

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock

ROWS = 3000
STATUSES = ("open", "in_progress", "blocked", "completed")
PRIORITIES = ("P0", "P1", "P2")
RAISED = datetime(2026, 1, 1, tzinfo=timezone.utc)


def item(n: int, owners: tuple[str, str]) -> dict[str, Any]:
    """Item ``n``: due dates spread over 2026 (so some are past the fake clock's today),
    statuses, priorities and owners cycling."""
    return {"id": f"ai-{n:05d}", "title": f"Task {n}", "description": "", "owner_id": owners[n % 2],
            "due": date(2026, 1, 1) + timedelta(days=n % 300), "priority": PRIORITIES[n % 3],
            "status": STATUSES[n % 4], "source_type": "manual", "source_id": None,
            "raised_by": None, "raised_at": RAISED + timedelta(minutes=n),
            "updated_at": RAISED + timedelta(minutes=n), "status_note": "",
            "completed_at": RAISED if n % 4 == 3 else None, "version": 1}


@pytest.fixture
def tracker(services: Services) -> dict[str, Any]:
    """Two owners and ROWS items in the read model."""
    ann = add_person(services, "member", name="Ann Owner")
    bob = add_person(services, "member", name="Bob Owner")
    services.projections.catch_up()
    fill(services.engine, action_items, ROWS, lambda n: item(n, (ann["id"], bob["id"])))
    return {"ann": ann, "bob": bob, "rows": [item(n, (ann["id"], bob["id"])) for n in range(ROWS)]}


def api(client: FlaskClient, person: dict[str, Any], query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/action-items?{query}", headers=bearer(person))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def order(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["due"], row["priority"], row["raised_at"], row["id"]


class TestTheApiPages:
    def test_pages_follow_each_other_in_due_order_with_the_total(
            self, client: FlaskClient, tracker: dict[str, Any]) -> None:
        one = api(client, tracker["ann"], "limit=40")
        two = api(client, tracker["ann"], "limit=40&offset=40")

        expected = [r["id"] for r in sorted(tracker["rows"], key=order)[:80]]
        assert [i["id"] for i in one["items"] + two["items"]] == expected
        assert one["total"] == two["total"] == ROWS

    def test_the_overdue_filter_matches_the_domain_rule_and_combines_with_the_owner(
            self, client: FlaskClient, clock: FakeClock, tracker: dict[str, Any]) -> None:
        ann = tracker["ann"]
        today = clock.now.date()

        late = api(client, ann, f"overdue=true&owner_id={ann['id']}&limit=1000")
        on_time = api(client, ann, f"overdue=false&owner_id={ann['id']}&limit=1000")

        mine = [r for r in tracker["rows"] if r["owner_id"] == ann["id"]]
        expected = {r["id"] for r in mine if is_overdue(r["due"], r["status"], today)}
        assert late["total"] == len(expected) > 0
        assert {i["id"] for i in late["items"]} == expected
        assert all(i["overdue"] for i in late["items"])
        assert on_time["total"] == len(mine) - len(expected)
        assert not any(i["overdue"] for i in on_time["items"])

    def test_a_limit_above_the_cap_is_clamped(self, client: FlaskClient,
                                             tracker: dict[str, Any]) -> None:
        body = api(client, tracker["ann"], "limit=5000")

        assert body["limit"] == 1000 and len(body["items"]) == 1000

    @pytest.mark.parametrize("query", ["offset=-1", "limit=0", "limit=many"])
    def test_a_bad_page_is_a_422_naming_the_field(self, client: FlaskClient,
                                                 tracker: dict[str, Any], query: str) -> None:
        response = client.get(f"/api/v1/action-items?{query}", headers=bearer(tracker["ann"]))

        assert response.status_code == 422
        assert set(response.get_json()["error"]["details"]) == {query.split("=")[0]}


class TestAtScale:
    def test_a_page_fetches_one_page_of_rows_with_a_limit(
            self, client: FlaskClient, services: Services, tracker: dict[str, Any]) -> None:
        with recording(services.engine, services.reader) as sql:
            body = api(client, tracker["ann"], "status=open&offset=300")

        assert len(body["items"]) == 50 and body["total"] == ROWS // 4
        reads = [s for s, _ in sql.reading("rm_action_items") if "count(" not in s.lower()]
        assert reads and all("LIMIT" in s.upper() for s in reads)
        assert sql.rows_fetched("rm_action_items") <= 51

    def test_the_tracker_page_shows_one_page_and_its_navigation(
            self, client: FlaskClient, services: Services, tracker: dict[str, Any]) -> None:
        login(client, tracker["ann"])
        client.get("/action-items/")  # the nav's My-work count (Ann's own items), reused below

        with recording(services.engine, services.reader) as sql:
            html = client.get("/action-items/?priority=P1&offset=200").get_data(as_text=True)

        assert html.count('href="/action-items/ai-') == 50
        assert sql.rows_fetched("rm_action_items") <= 51
        assert 'aria-current="page" href="/action-items/?priority=P1&amp;offset=200">5<' in html
        assert "201–250 of 1000 items." in html

    @pytest.mark.parametrize("path", ["/action-items/export.csv",
                                      "/api/v1/action-items/export.csv"])
    def test_the_csv_export_streams_every_matching_item(
            self, client: FlaskClient, tracker: dict[str, Any], path: str) -> None:
        login(client, tracker["ann"])

        response = client.get(f"{path}?status=blocked&limit=3", headers=bearer(tracker["ann"]))

        assert response.is_streamed
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) == ROWS // 4 and {r["status"] for r in rows} == {"blocked"}
