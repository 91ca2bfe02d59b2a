"""The decision log is served a page at a time, filtered, ordered and counted in SQL: with
thousands of decisions a page stays the same size, the query carries a LIMIT and only one
page of rows reaches Python; the downloads stream every matching decision."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from projections.ccb.tables import decisions
from tests.conftest import add_person, bearer, login
from tests.support.paging import fill, recording

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

ROWS = 4000
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
BOARDS = ("board-a", "board-b")
OUTCOMES = ("approved", "rejected", "deferred", "approved")


def decision(n: int) -> dict[str, Any]:
    """Decision ``n``: boards alternate, outcomes cycle, every tenth an emergency approval of
    which every other one is still pending ratification."""
    emergency = n % 10 == 0
    return {"id": f"d-{n:05d}", "kind": "emergency" if emergency else "vote",
            "board_id": BOARDS[n % 2], "meeting_id": None, "change_request_id": f"cr-{n}",
            "outcome": "approved" if emergency else OUTCOMES[n % 4],
            "decided_at": T0 + timedelta(hours=n), "decided_by": None, "tally": None,
            "quorum": None, "tie_break": None, "casting_vote": None, "emergency": emergency,
            "ratification": ("pending" if n % 20 == 0 else "ratified") if emergency else None,
            "ratified_at": T0 + timedelta(hours=n + 1) if emergency and n % 20 else None,
            "votes": [], "evidence": {"aggregate": f"cr-{n}", "event_versions": [1]},
            "reason": None}


@pytest.fixture
def log(services: Services) -> dict[str, Any]:
    """An auditor and a read model holding ROWS decisions."""
    person = add_person(services, "auditor", "management", name="Otto Auditor")
    services.projections.catch_up()
    fill(services.engine, decisions, ROWS, decision)
    return person


def api(client: FlaskClient, person: dict[str, Any], query: str = "") -> Any:
    return client.get(f"/api/v1/decision-log?{query}", headers=bearer(person))


class TestTheApiPages:
    def test_the_first_page_holds_the_default_page_size_and_the_total(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        body = api(client, log).get_json()

        assert (len(body["items"]), body["total"], body["limit"], body["offset"]) == (
            50, ROWS, 50, 0)
        assert [d["id"] for d in body["items"][:2]] == ["d-00000", "d-00001"]

    def test_page_two_follows_page_one_without_overlap(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        one = [d["id"] for d in api(client, log, "limit=30").get_json()["items"]]
        two = [d["id"] for d in api(client, log, "limit=30&offset=30").get_json()["items"]]

        assert two[0] == "d-00030" and not set(one) & set(two)
        assert one + two == [f"d-{n:05d}" for n in range(60)]

    def test_filters_combine_and_the_total_counts_only_matches(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        body = api(client, log, "board_id=board-b&outcome=rejected&limit=500").get_json()

        expected = [decision(n)["id"] for n in range(ROWS)
                    if n % 2 == 1 and decision(n)["outcome"] == "rejected"]
        assert body["total"] == len(expected) and [d["id"] for d in body["items"]] == expected[
            :500]

    def test_the_unratified_filter_is_applied_before_paging(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        flagged = api(client, log, "flagged=true&limit=5").get_json()
        settled = api(client, log, "flagged=false&limit=5").get_json()

        assert flagged["total"] == ROWS // 20
        assert [d["id"] for d in flagged["items"]] == [f"d-{n:05d}" for n in range(0, 100, 20)]
        assert all(d["unratified"] for d in flagged["items"])
        assert settled["total"] == ROWS - ROWS // 20

    def test_a_limit_above_the_cap_is_clamped_to_the_cap(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        body = api(client, log, "limit=100000").get_json()

        assert body["limit"] == 500 and len(body["items"]) == 500

    @pytest.mark.parametrize("query", ["offset=-1", "limit=0", "offset=x", "limit=-5"])
    def test_a_bad_page_is_refused_naming_the_field(
            self, client: FlaskClient, log: dict[str, Any], query: str) -> None:
        response = api(client, log, query)

        assert response.status_code == 422
        assert set(response.get_json()["error"]["details"]) == {query.split("=")[0]}

    def test_an_offset_past_the_end_is_an_empty_page_with_the_total(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        body = api(client, log, f"offset={ROWS}").get_json()

        assert body["items"] == [] and body["total"] == ROWS


class TestAtScale:
    def test_a_page_reads_one_page_of_rows_with_a_limit_in_the_sql(
            self, client: FlaskClient, services: Services, log: dict[str, Any]) -> None:
        with recording(services.engine, services.reader) as sql:
            response = api(client, log, "offset=2000")

        assert response.status_code == 200 and len(response.get_json()["items"]) == 50
        reads = [s for s, _ in sql.reading("rm_decisions") if "count(" not in s.lower()]
        assert reads and all("LIMIT" in s.upper() for s in reads)
        assert sql.rows_fetched("rm_decisions") <= 51  # one page and the count
        assert len(response.get_data()) < 60_000

    def test_the_page_size_not_the_log_bounds_the_html_page(
            self, client: FlaskClient, services: Services, log: dict[str, Any]) -> None:
        login(client, log)

        with recording(services.engine, services.reader) as sql:
            html = client.get("/decision-log?offset=100").get_data(as_text=True)

        assert html.count('href="/changes/cr-') == 50 * 2
        assert sql.rows_fetched("rm_decisions") <= 51
        assert len(html) < 120_000

    def test_the_csv_download_streams_every_matching_decision(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        response = api(client, log, "format=csv&board_id=board-b&limit=1")

        assert response.is_streamed
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) == ROWS // 2 and {r["board_id"] for r in rows} == {"board-b"}

    def test_the_json_download_streams_a_document_with_every_decision(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        login(client, log)

        document = client.get("/decision-log.json?outcome=deferred").get_json()

        deferred = sum(1 for n in range(ROWS) if decision(n)["outcome"] == "deferred")
        assert document["total"] == len(document["items"]) == deferred


class TestThePageNavigation:
    def test_the_navigation_marks_the_current_page_and_links_its_neighbours(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        login(client, log)

        html = client.get("/decision-log?outcome=rejected&offset=100").get_data(as_text=True)

        assert '<nav class="pager" aria-label="Pages">' in html
        assert 'aria-current="page" href="/decision-log?outcome=rejected&amp;offset=100">3<' in html
        assert 'rel="next" href="/decision-log?outcome=rejected&amp;offset=150"' in html
        assert 'rel="prev" href="/decision-log?outcome=rejected&amp;offset=50"' in html
        assert "101–150 of 1000 decisions." in html

    def test_a_bad_offset_on_the_page_is_shown_next_to_the_filters(
            self, client: FlaskClient, log: dict[str, Any]) -> None:
        login(client, log)

        html = client.get("/decision-log?offset=-3").get_data(as_text=True)

        assert "offset:" in html and "1–50 of 4000 decisions." in html
