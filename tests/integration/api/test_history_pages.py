"""An entity's history a page at a time (API and pages): only the events of the page are read,
``total`` counts them all, and a bad ``limit`` or ``offset`` is a 422 naming it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import bearer, event_count, login
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def test_the_api_pages_an_entitys_history_with_its_total(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, n_changes=2)
    url = f"/api/v1/meetings/{ccb.meeting_id}/history"

    whole = client.get(url, headers=bearer(ccb.chair)).get_json()
    first = client.get(f"{url}?limit=3", headers=bearer(ccb.chair)).get_json()
    second = client.get(f"{url}?limit=3&offset=3", headers=bearer(ccb.chair)).get_json()
    beyond = client.get(f"{url}?offset={whole['total']}", headers=bearer(ccb.chair)).get_json()

    assert whole["total"] == len(whole["events"]) > 6
    assert [e["version"] for e in first["events"]] == [1, 2, 3]
    assert [e["version"] for e in second["events"]] == [4, 5, 6]
    assert (first["total"], first["limit"], first["offset"]) == (whole["total"], 3, 0)
    assert first["events"] + second["events"] == whole["events"][:6]
    assert beyond["events"] == [] and beyond["total"] == whole["total"]


def test_a_bad_page_or_another_kind_of_id_is_refused(client: FlaskClient,
                                                     services: Services) -> None:
    ccb = running_meeting(services)
    before = event_count(services)

    zero = client.get(f"/api/v1/meetings/{ccb.meeting_id}/history?limit=0",
                      headers=bearer(ccb.chair))
    negative = client.get(f"/api/v1/meetings/{ccb.meeting_id}/history?offset=-1",
                          headers=bearer(ccb.chair))
    board = client.get(f"/api/v1/meetings/{ccb.board_id}/history", headers=bearer(ccb.chair))

    assert zero.status_code == negative.status_code == 422
    assert "limit" in zero.get_json()["error"]["details"]
    assert "offset" in negative.get_json()["error"]["details"]
    assert board.status_code == 404  # a board's id is not a meeting's
    assert event_count(services) == before


def test_the_history_tab_shows_a_page_and_links_the_next(client: FlaskClient,
                                                         services: Services) -> None:
    ccb = running_meeting(services, n_changes=2)
    login(client, ccb.chair)
    total = client.get(f"/api/v1/meetings/{ccb.meeting_id}/history",
                       headers=bearer(ccb.chair)).get_json()["total"]

    html = client.get(f"/meetings/{ccb.meeting_id}?tab=history&limit=2").get_data(as_text=True)

    assert html.count('<td><strong title="') == 2
    assert f"1–2 of {total} events" in html
    assert "offset=2" in html and 'rel="next"' in html
