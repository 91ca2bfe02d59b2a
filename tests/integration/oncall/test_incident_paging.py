"""Incidents are served a page at a time and their MTTA/MTTR are SQL aggregates: with thousands
of incidents a list request reads one page of rows, the metrics read one row per group (or per
day), and both answer exactly what the incidents say (held against the domain's rule)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from statistics import mean
from typing import TYPE_CHECKING, Any

import pytest

from domain.oncall.incident import acknowledged_within_target
from projections.oncall.tables import incidents
from tests.conftest import add_person, bearer, login
from tests.support.paging import fill, recording

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

ROWS = 3000
T0 = datetime(2025, 6, 1, 3, 0, tzinfo=timezone.utc)
SEVERITIES = ("P0", "P1", "P2")
STATUSES = ("triggered", "acknowledged", "mitigated", "resolved")


def incident(n: int) -> dict[str, Any]:
    """Incident ``n``: one every 97 minutes; three in four acknowledged after 1–29 minutes (some
    within the target, some not, with microseconds), every other one resolved."""
    opened = T0 + timedelta(minutes=97 * n)
    ack = opened + timedelta(minutes=1 + n % 29, microseconds=n * 7 % 1_000_000) if n % 4 else None
    return {"id": f"in-{n:05d}", "title": f"Incident {n}", "severity": SEVERITIES[n % 3],
            "category": ("database", "network")[n % 2], "practice": n % 7 == 0,
            "status": STATUSES[n % 4], "level": "L1", "affected_users_percent": 1.0,
            "security": False, "regulatory": False, "runbook_id": None,
            "rotation_id": "rot-1", "policy": {}, "responders": {}, "opened_by": None,
            "opened_at": opened, "acknowledged_at": ack, "mitigated_at": None,
            "resolved_at": opened + timedelta(hours=2, seconds=n) if ack and n % 2 else None,
            "debrief": None, "version": 1}


@pytest.fixture
def oncall(services: Services) -> dict[str, Any]:
    """A member and ROWS incidents in the read model."""
    person = add_person(services, "member", name="Mo Member")
    services.projections.catch_up()
    fill(services.engine, incidents, ROWS, incident)
    return person


def expected_metrics(key: Any) -> list[dict[str, Any]]:
    """MTTA/MTTR per group computed in Python from the rows, as the list used to."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in range(ROWS):
        groups[key(incident(n))].append(incident(n))
    rows = []
    for name in sorted(groups):
        items = groups[name]
        tta = [(i["acknowledged_at"] - i["opened_at"]).total_seconds() for i in items
               if i["acknowledged_at"]]
        ttr = [(i["resolved_at"] - i["opened_at"]).total_seconds() for i in items
               if i["resolved_at"]]
        rows.append({"group": name, "incidents": len(items), "acknowledged": len(tta),
                     "resolved": len(ttr), "mtta_s": mean(tta), "mttr_s": mean(ttr),
                     "ack_within_target": sum(1 for i in items if acknowledged_within_target(
                         i["opened_at"], i["acknowledged_at"]))})
    return rows


def week(i: dict[str, Any]) -> str:
    year, number, _ = i["opened_at"].isocalendar()
    return f"{year}-W{number:02d}"


class TestMetricsAreAggregates:
    @pytest.mark.parametrize(("query", "key"), [
        ("group_by=severity", lambda i: i["severity"]),
        ("group_by=practice", lambda i: "practice" if i["practice"] else "real"),
        ("group_by=period&period=month", lambda i: i["opened_at"].strftime("%Y-%m")),
        ("group_by=period&period=week", week),
    ])
    def test_the_metrics_equal_the_per_incident_computation(
            self, client: FlaskClient, services: Services, oncall: dict[str, Any],
            query: str, key: Any) -> None:
        with recording(services.engine) as sql:
            response = client.get(f"/api/v1/incidents/metrics?{query}", headers=bearer(oncall))

        got = response.get_json()["items"]
        want = expected_metrics(key)
        assert [{k: v for k, v in g.items() if k not in ("mtta_s", "mttr_s")} for g in got] == [
            {k: v for k, v in w.items() if k not in ("mtta_s", "mttr_s")} for w in want]
        for g, w in zip(got, want):
            assert g["mtta_s"] == pytest.approx(w["mtta_s"], abs=1e-6)
            assert g["mttr_s"] == pytest.approx(w["mttr_s"], abs=1e-6)
        assert sql.rows_fetched("rm_incidents") <= ROWS * 97 // (60 * 24) + 2  # ≤ one per day

    def test_a_date_range_bounds_the_metrics(self, client: FlaskClient,
                                             oncall: dict[str, Any]) -> None:
        end = T0 + timedelta(minutes=97 * 100)

        body = client.get("/api/v1/incidents/metrics", headers=bearer(oncall), query_string={
            "group_by": "category", "from": T0.isoformat(), "to": end.isoformat()}).get_json()

        assert sum(g["incidents"] for g in body["items"]) == 100


class TestTheListPages:
    def test_pages_follow_each_other_newest_first_with_the_total(
            self, client: FlaskClient, oncall: dict[str, Any]) -> None:
        one = client.get("/api/v1/incidents?limit=20", headers=bearer(oncall)).get_json()
        two = client.get("/api/v1/incidents?limit=20&offset=20",
                         headers=bearer(oncall)).get_json()

        assert [i["id"] for i in one["items"] + two["items"]] == [
            f"in-{n:05d}" for n in range(ROWS - 1, ROWS - 41, -1)]
        assert one["total"] == ROWS and (one["limit"], two["offset"]) == (20, 20)

    def test_filters_combine_before_paging(self, client: FlaskClient,
                                           oncall: dict[str, Any]) -> None:
        body = client.get("/api/v1/incidents?severity=P1&status=resolved&practice=false",
                          headers=bearer(oncall)).get_json()

        expected = [incident(n)["id"] for n in range(ROWS - 1, -1, -1)
                    if n % 3 == 1 and n % 4 == 3 and n % 7]
        assert body["total"] == len(expected) and [i["id"] for i in body["items"]] == expected[:50]

    def test_a_big_limit_is_clamped_and_a_bad_offset_refused(
            self, client: FlaskClient, oncall: dict[str, Any]) -> None:
        big = client.get("/api/v1/incidents?limit=9999", headers=bearer(oncall)).get_json()
        bad = client.get("/api/v1/incidents?offset=-2", headers=bearer(oncall))

        assert big["limit"] == 500 and len(big["items"]) == 500
        assert bad.status_code == 422 and "offset" in bad.get_json()["error"]["details"]

    def test_the_incidents_page_reads_one_page_and_aggregates(
            self, client: FlaskClient, services: Services, oncall: dict[str, Any]) -> None:
        login(client, oncall)

        with recording(services.engine) as sql:
            html = client.get("/oncall/incidents?severity=P0&offset=50").get_data(as_text=True)

        assert html.count('href="/oncall/incidents/in-') == 50
        assert "51–100 of 1000 incidents." in html
        assert 'aria-current="page" href="/oncall/incidents?severity=P0&amp;offset=50">2<' in html
        assert sql.rows_fetched("rm_incidents") <= 51 + 3  # the page, its count, 3 severities
        assert len(html) < 80_000
