"""Board pages: create a board, run a meeting with forms only, read minutes and the decision log."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.conftest import csrf_token, event_count, login
from tests.support.ccb import make_ccb, running_meeting

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def post(client: FlaskClient, path: str, page: str, **data: Any) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_an_admin_creates_a_board_from_the_form_with_charter_overrides(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    login(client, ccb.admin)

    response = client.post("/boards/", data={
        "csrf_token": csrf_token(client, "/boards/"), "name": "Web CCB",
        "chair_id": ccb.chair["id"], "members": ccb.ids()[:3], "charter_tie_breaker": "defer",
        "charter_quorum_min_members": "2", "charter_requester_may_vote": "true"})

    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Web CCB" in page and "defer to the next meeting" in page
    assert "at least 2 members" in page and "allowed" in page


def test_invalid_board_form_shows_errors_next_to_fields_and_keeps_input(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    login(client, ccb.admin)
    before = event_count(services)

    response = client.post("/boards/", data={
        "csrf_token": csrf_token(client, "/boards/"), "name": "Kept name",
        "charter_timezone": "Nowhere/Land"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="chair_id-error"' in html and 'id="timezone-error"' in html
    assert 'value="Kept name"' in html and 'value="Nowhere/Land"' in html
    assert event_count(services) == before


def test_the_chair_runs_a_meeting_from_the_browser_forms(client: FlaskClient,
                                                          services: Services) -> None:
    ccb = running_meeting(services, attend=0)
    change = ccb.changes[0]
    page = f"/meetings/{ccb.meeting_id}"
    for person in ccb.people[1:4]:
        login(client, person)
        post(client, f"{page}/attendance", page, person_id=person["id"], mode="in_person")
    login(client, ccb.people[4])
    post(client, f"{page}/proxies", page, grantor_id=ccb.people[4]["id"],
         holder_id=ccb.people[1]["id"])
    login(client, ccb.people[1])
    post(client, f"{page}/items/{change}/votes", page, choice="approve", on_behalf_of="")
    post(client, f"{page}/items/{change}/votes", page, choice="approve",
         on_behalf_of=ccb.people[4]["id"])
    login(client, ccb.chair)

    response = post(client, f"{page}/items/{change}/decide", page)

    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Outcome: approved." in html
    assert "(by proxy: Paul Product)" in html
    post(client, f"{page}/close", page)
    minutes = client.get(f"{page}/minutes").get_data(as_text=True)
    assert "APPROVED" in minutes and "Quinn QA" in minutes
    download = client.get(f"{page}/minutes.md")
    assert download.mimetype == "text/markdown"
    log = client.get("/decision-log?outcome=approved").get_data(as_text=True)
    assert "Change number 1" in log and "meeting events" in log
    csv = client.get("/decision-log.csv")
    assert csv.mimetype == "text/csv" and change in csv.get_data(as_text=True)
    assert client.get("/decision-log.json").get_json()["total"] == 1
    history = client.get(f"{page}?tab=history").get_data(as_text=True)
    assert "VoteCast" in history and "ItemDecided" in history


def test_a_refused_vote_is_flashed_with_its_rule_and_appends_nothing(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, attend=1)
    page = f"/meetings/{ccb.meeting_id}"
    login(client, ccb.people[3])
    before = event_count(services)

    response = post(client, f"{page}/items/{ccb.changes[0]}/votes", page, choice="approve")

    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Refused: Mark yourself present at the meeting first." in html
    assert event_count(services) == before


def test_board_pages_and_history_render(client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services)
    login(client, ccb.chair)

    for path in ("/boards/", f"/boards/{ccb.board_id}", f"/boards/{ccb.board_id}?tab=charter",
                 f"/boards/{ccb.board_id}?tab=history", "/decision-log?from=2026-01-01"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "Created" in client.get(f"/boards/{ccb.board_id}?tab=history").get_data(as_text=True)


def test_an_admin_declares_a_freeze_on_the_calendar_page(client: FlaskClient,
                                                         services: Services) -> None:
    ccb = make_ccb(services)
    login(client, ccb.admin)

    bad = client.post("/change-calendar", data={
        "csrf_token": csrf_token(client, "/change-calendar"), "title": "Year end",
        "start": "2026-12-20T00:00", "end": "2026-12-19T00:00", "reason": "holidays"})
    good = client.post("/change-calendar", data={
        "csrf_token": csrf_token(client, "/change-calendar"), "title": "Year end",
        "start": "2026-12-20T00:00", "end": "2027-01-04T00:00", "systems": "",
        "reason": "holidays"})

    assert bad.status_code == 422 and 'id="end-error"' in bad.get_data(as_text=True)
    assert good.status_code == 302
    page = client.get("/change-calendar").get_data(as_text=True)
    assert "Year end" in page and "all systems" in page


def test_the_charter_tab_shows_the_charter_in_force_at_a_past_moment(
        client: FlaskClient, services: Services, clock: Any) -> None:
    ccb = make_ccb(services)
    clock.advance(days=2)
    login(client, ccb.chair)
    post(client, f"/boards/{ccb.board_id}/charter", f"/boards/{ccb.board_id}",
         charter_quorum_min_members="4", charter_quorum_min_functions="3",
         charter_tie_breaker="chair", charter_timebox_minutes="120", charter_timezone="UTC",
         charter_cadence_frequency="biweekly", charter_cadence_weekday="wednesday",
         charter_cadence_start="14:00", charter_cadence_end="16:00", reason="bigger board")

    then = client.get(f"/boards/{ccb.board_id}?tab=charter&at=2026-03-03T00:00")
    now = client.get(f"/boards/{ccb.board_id}?tab=charter&at=2026-03-05T00:00")
    before = client.get(f"/boards/{ccb.board_id}?tab=charter&at=2020-01-01T00:00")

    assert "<dt>quorum_min_members</dt><dd>3</dd>" in then.get_data(as_text=True)
    assert "<dt>quorum_min_members</dt><dd>4</dd>" in now.get_data(as_text=True)
    assert "bigger board" in now.get_data(as_text=True)
    assert 'id="at-error"' in before.get_data(as_text=True)


def test_an_invalid_charter_amendment_shows_errors_next_to_the_fields_and_keeps_input(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    login(client, ccb.chair)
    before = event_count(services)

    response = post(client, f"/boards/{ccb.board_id}/charter", f"/boards/{ccb.board_id}",
                    charter_timezone="Nowhere/Land", charter_quorum_min_members="4",
                    charter_requester_may_vote="true", reason="")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="timezone-error"' in html and 'id="reason-error"' in html
    assert 'value="Nowhere/Land"' in html and 'name="charter_quorum_min_members" type="number" ' \
        'min="1" value="4"' in html
    assert re.search(r'name="charter_requester_may_vote"[^>]*checked', html)
    assert event_count(services) == before
