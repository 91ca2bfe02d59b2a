"""Every list of the API answers one page — ``items`` (at most ``limit``), ``total``, ``limit``
and ``offset`` — sliced and counted by the database; and each list page of the site shows one
page of rows with an accessible navigation. Checked here with thousands of rows written
straight into each read model."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from sqlalchemy import update

from projections.ccb.tables import meetings
from projections.people.tables import people
from projections.rehearsals.tables import rehearsals
from projections.reviews.tables import launches, reviews
from tests.conftest import add_person, bearer, login
from tests.support.ccb import make_ccb
from tests.support.paging import fill, recording

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask.testing import FlaskClient
    from sqlalchemy import Table

    from app.bootstrap import Services

ROWS = 1200
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def launch(n: int) -> dict[str, Any]:
    return {"id": f"la-{n:05d}", "name": f"Launch {n}", "system": "web",
            "launch_date": date(2020, 1, 1) + timedelta(days=n), "description": "",
            "owner_id": "p", "targets": {"uptime_min": "99.9", "error_rate_max": "1",
                                         "p95_max_ms": 300},
            "recorded_at": T0, "updated_at": T0}


def review(n: int) -> dict[str, Any]:
    return {"id": f"rv-{n:05d}", "launch_id": "la-00000", "seq": n, "kind": "weekly",
            "scheduled_for": date(2020, 1, 1) + timedelta(days=n),
            "originally_scheduled_for": date(2020, 1, 1) + timedelta(days=n),
            "status": "scheduled", "cancel_reason": None, "move_reason": None,
            "uptime_pct": None, "error_rate_pct": None, "p95_ms": None, "active_users": None,
            "tickets": None, "metrics_source": None, "metrics_at": None, "backlog": [],
            "positive": [], "negative": [], "next_review_date": None, "focus_areas": [],
            "incidents": None, "targets": None, "finalised_at": None, "finalised_by": None,
            "updated_at": T0, "version": 1}


def rehearsal(n: int) -> dict[str, Any]:
    return {"id": f"rh-{n:05d}", "release_version": f"1.{n}", "environment": "staging",
            "playbook": "deploy", "planned_by": "p", "status": "planned",
            "parity_threshold": "0.9", "criteria": {}, "abort_reason": None,
            "recommendation": None, "decision": None, "against_recommendation": False,
            "planned_at": T0 + timedelta(hours=n), "started_at": None, "ended_at": None,
            "updated_at": T0, "version": 1, "source": None}


def meeting(n: int) -> dict[str, Any]:
    return {"id": f"mt-{n:05d}", "board_id": "bd-1", "series_id": None,
            "scheduled_start": T0 + timedelta(days=n), "status": "scheduled",
            "scheduled_end": T0 + timedelta(days=n, hours=1), "opened_at": None,
            "closed_at": None, "deferral_reason": None, "updated_at": T0, "version": 1}


def person(n: int) -> dict[str, Any]:
    return {"id": f"pe-{n:05d}", "name": f"Person {n:05d}", "email": f"p{n}@example.org",
            "function": "engineering", "roles": ["member"], "active": True,
            "registered_at": T0}


class List(NamedTuple):
    api: str
    page: str
    table: Table
    row: Callable[[int], dict[str, Any]]
    first: list[str]
    """The ids of the first three rows, in the list's order."""


LISTS = {
    "launches": List("/launches", "/launches/", launches, launch,
                     ["la-01199", "la-01198", "la-01197"]),
    "reviews": List("/reviews", "/reviews/", reviews, review,
                    ["rv-00000", "rv-00001", "rv-00002"]),
    "rehearsals": List("/rehearsals", "/rehearsals/", rehearsals, rehearsal,
                       ["rh-01199", "rh-01198", "rh-01197"]),
    "meetings": List("/boards/bd-1/meetings", "/boards/bd-1", meetings, meeting,
                     ["mt-01199", "mt-01198", "mt-01197"]),
    "people": List("/people", "/people/", people, person, None),  # type: ignore[arg-type]
}


@pytest.fixture(params=list(LISTS))
def listed(request: pytest.FixtureRequest, services: Services) -> tuple[List, dict[str, Any]]:
    """One list filled with ROWS rows, and an admin to read it."""
    spec = LISTS[request.param]
    admin = add_person(services, "admin", "management", name="Aaa Admin")
    services.projections.catch_up()
    fill(services.engine, spec.table, ROWS, spec.row)
    if spec.table is reviews:
        fill(services.engine, launches, 1, launch)
    if spec.table is meetings:  # a real board, whose meetings are the rows
        board_id = make_ccb(services).board_id
        services.projections.catch_up()
        with services.engine.begin() as conn:
            conn.execute(update(meetings).values(board_id=board_id))
        spec = spec._replace(api=spec.api.replace("bd-1", board_id),
                             page=spec.page.replace("bd-1", board_id))
    return spec, admin


def get(client: FlaskClient, admin: dict[str, Any], path: str) -> Any:
    response = client.get(f"/api/v1{path}", headers=bearer(admin))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_pages_of_a_list_follow_each_other_with_the_total(
        client: FlaskClient, listed: tuple[List, dict[str, Any]]) -> None:
    spec, admin = listed
    extra = 1 if spec.table is people else 0  # the admin reading the directory

    one = get(client, admin, f"{spec.api}?limit=3")
    two = get(client, admin, f"{spec.api}?limit=3&offset=3")

    assert (one["total"], one["limit"], one["offset"], len(one["items"])) == (
        ROWS + extra, 3, 0, 3)
    assert two["offset"] == 3 and not {i["id"] for i in one["items"]} & {
        i["id"] for i in two["items"]}
    if spec.first:
        assert [i["id"] for i in one["items"]] == spec.first
    assert len(get(client, admin, spec.api)["items"]) == 50


def test_a_limit_above_the_cap_is_clamped_and_a_bad_one_refused(
        client: FlaskClient, listed: tuple[List, dict[str, Any]]) -> None:
    spec, admin = listed

    clamped = get(client, admin, f"{spec.api}?limit=10000")
    bad = [client.get(f"/api/v1{spec.api}?{q}", headers=bearer(admin))
           for q in ("limit=0", "offset=-1", "offset=nine")]

    assert clamped["limit"] == 500 and len(clamped["items"]) == 500
    assert [r.status_code for r in bad] == [422, 422, 422]
    assert [set(r.get_json()["error"]["details"]) for r in bad] == [
        {"limit"}, {"offset"}, {"offset"}]


def test_the_list_page_shows_one_page_and_reads_one_page_of_rows(
        client: FlaskClient, services: Services, listed: tuple[List, dict[str, Any]]) -> None:
    spec, admin = listed
    login(client, admin)

    with recording(services.engine, services.reader) as sql:
        html = client.get(f"{spec.page}?offset=100").get_data(as_text=True)

    assert '<nav class="pager" aria-label="Pages">' in html
    assert f'aria-current="page" href="{spec.page}?offset=100">3<' in html
    assert sql.rows_fetched(spec.table.name) <= 51
    reads = [s for s, _ in sql.reading(spec.table.name)
             if "count(" not in s.lower() and "FROM " + spec.table.name in s]
    assert reads and all("LIMIT" in s.upper() for s in reads)


def test_the_reviews_page_reads_the_listed_columns_only(
        client: FlaskClient, services: Services) -> None:
    """The list shows day, launch, kind and status: the documents' findings, backlog, metrics
    and targets (most of a row) are not read for it; the API's list still carries them."""
    admin = add_person(services, "admin", "management")
    services.projections.catch_up()
    fill(services.engine, reviews, 60, review)
    fill(services.engine, launches, 1, launch)
    login(client, admin)

    with recording(services.engine, services.reader) as sql:
        html = client.get("/reviews/").get_data(as_text=True)
    api = get(client, admin, "/reviews?limit=1")["items"][0]

    reads = " ".join(s for s, _ in sql.reading(reviews.name) if "count(" not in s.lower())
    assert "rm_reviews.kind" in reads and "rm_reviews.backlog" not in reads
    assert "rm_reviews.focus_areas" not in reads and "rm_reviews.targets" not in reads
    assert html.count('href="/reviews/rv-') == 50 and "Launch 0" in html
    assert "Weekly" in html or "weekly" in html
    assert api["id"] == "rv-00000" and api["backlog"] == [] and api["focus_areas"] == []
