"""On-call pages: every page renders, forms validate next to the fields, actions redirect."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import add_person, csrf_token, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


@pytest.fixture
def world(services: Services, admin: dict[str, Any]) -> dict[str, Any]:
    """A planned rotation, the seeded runbooks and one incident."""
    crew = [add_person(services, name=n) for n in ("Ana", "Ben", "Cai")]
    ledger = services.ledger
    with ledger.acting_as(admin["id"]):
        rid = services.oncall.create_rotation(name="Platform", timezone="Europe/Berlin",
                                     roster=[p["id"] for p in crew])["id"]
        shifts = services.oncall.plan_rotation(rid, weeks=4)["shifts"]
        books = services.oncall.seed_runbooks()
        iid = services.oncall.open_incident(rid, title="Search is slow", severity="P2",
                                   category="api")["id"]
    services.projections.catch_up()
    return {"rotation_id": rid, "crew": crew, "runbooks": books, "incident_id": iid,
            "shifts": shifts}


def test_every_oncall_page_renders(client: FlaskClient, admin: dict[str, Any],
                                   world: dict[str, Any]) -> None:
    login(client, admin)

    for path in ("/oncall/", "/oncall/rotations/new", f"/oncall/rotations/{world['rotation_id']}",
                 f"/oncall/rotations/{world['rotation_id']}?tab=history", "/oncall/incidents",
                 "/oncall/incidents?group_by=category", "/oncall/incidents/new",
                 f"/oncall/incidents/{world['incident_id']}",
                 f"/oncall/incidents/{world['incident_id']}?tab=history", "/oncall/runbooks",
                 f"/oncall/runbooks/{world['runbooks'][0]}", "/oncall/trainings",
                 f"/oncall/rotations/{world['rotation_id']}/calendar.ics",
                 "/oncall/me/calendar.ics"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])


def test_the_schedule_shows_each_week_with_both_people(client: FlaskClient,
                                                       admin: dict[str, Any],
                                                       world: dict[str, Any]) -> None:
    login(client, admin)

    html = client.get("/oncall/").get_data(as_text=True)

    for shift in world["shifts"]:
        assert shift["week_start"] in html
    assert "Ana" in html and "Ben" in html and "Cai" in html


def test_the_incident_form_keeps_input_and_names_the_field(
        client: FlaskClient, services: Services, member: dict[str, Any],
        world: dict[str, Any]) -> None:
    login(client, member)
    before = event_count(services)

    response = client.post("/oncall/incidents/new", data={
        "csrf_token": csrf_token(client, "/oncall/incidents/new"), "title": "Uploads failing",
        "rotation_id": world["rotation_id"], "severity": "P1", "category": "cloud_storage",
        "affected_users_percent": "140"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="affected_users_percent-error"' in html and 'value="Uploads failing"' in html
    assert event_count(services) == before


def test_open_acknowledge_and_resolve_from_the_pages(client: FlaskClient, member: dict[str, Any],
                                                     world: dict[str, Any]) -> None:
    login(client, member)
    token = csrf_token(client, "/oncall/incidents/new")

    opened = client.post("/oncall/incidents/new", data={
        "csrf_token": token, "title": "Uploads failing", "rotation_id": world["rotation_id"],
        "severity": "P1", "category": "cloud_storage", "affected_users_percent": "5",
        "practice": "on"})
    url = opened.headers["Location"]
    incident_id = re.search(r"/incidents/([0-9a-f-]+)", url).group(1)  # type: ignore[union-attr]
    client.post(f"/oncall/incidents/{incident_id}/assess", data={
        "csrf_token": token, "severity": "P0", "affected_users_percent": "75"})
    client.post(f"/oncall/incidents/{incident_id}/acknowledge", data={"csrf_token": token})
    client.post(f"/oncall/incidents/{incident_id}/resolve",
                data={"csrf_token": token, "summary": "quota raised"})
    client.post(f"/oncall/incidents/{incident_id}/debrief", data={
        "csrf_token": token, "summary": "went well", "improvements": "Alert on quota\n",
        "owner_id": member["id"]})

    html = client.get(url).get_data(as_text=True)
    assert opened.status_code == 302
    for text in ("assessed", "major_outage", "acknowledged", "resolved", "quota raised",
                 "Alert on quota", "fire drill"):
        assert text in html


def test_escalating_without_a_reason_is_refused_with_a_message(
        client: FlaskClient, services: Services, member: dict[str, Any],
        world: dict[str, Any]) -> None:
    login(client, member)
    before = event_count(services)

    response = client.post(f"/oncall/incidents/{world['incident_id']}/escalate", data={
        "csrf_token": csrf_token(client, "/oncall/incidents/new"), "reason": ""},
        follow_redirects=True)

    assert "Not done" in response.get_data(as_text=True)
    assert event_count(services) == before


def test_an_override_form_error_is_shown_next_to_the_field(
        client: FlaskClient, member: dict[str, Any], world: dict[str, Any]) -> None:
    login(client, member)
    rid = world["rotation_id"]

    response = client.post(f"/oncall/rotations/{rid}/override", data={
        "csrf_token": csrf_token(client, f"/oncall/rotations/{rid}"),
        "week_start": world["shifts"][1]["week_start"], "role": "primary",
        "person_id": member["id"], "reason": ""})

    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)


def test_a_runbook_revision_from_the_form_shows_a_diff(
        client: FlaskClient, member: dict[str, Any], world: dict[str, Any]) -> None:
    login(client, member)
    book = world["runbooks"][0]
    token = csrf_token(client, f"/oncall/runbooks/{book}")

    client.post(f"/oncall/runbooks/{book}", data={
        "csrf_token": token, "content": "# Database issues\n\nCall the DBA.\n",
        "summary": "shorter"})
    html = client.get(f"/oncall/runbooks/{book}?from=1&to=2").get_data(as_text=True)

    assert "+Call the DBA." in html


def test_a_runbook_for_a_free_category_is_written_from_the_form(
        client: FlaskClient, member: dict[str, Any], world: dict[str, Any]) -> None:
    login(client, member)
    token = csrf_token(client, "/oncall/runbooks")

    missing = client.post("/oncall/runbooks", data={"csrf_token": token, "category": "other",
                                                     "title": "Other issues", "content": ""})
    created = client.post("/oncall/runbooks", data={"csrf_token": token, "category": "other",
                                                     "title": "Other issues",
                                                     "content": "# Other\n"})

    assert missing.status_code == 422 and 'id="content-error"' in missing.get_data(as_text=True)
    assert created.status_code == 302
    assert "Other issues" in client.get("/oncall/runbooks").get_data(as_text=True)


def test_the_rotation_page_lists_the_weeks_around_now_and_counts_its_history(
        client: FlaskClient, services: Services, admin: dict[str, Any],
        world: dict[str, Any]) -> None:
    rid = world["rotation_id"]
    with services.ledger.acting_as(admin["id"]):
        planned = services.oncall.plan_rotation(rid, weeks=40)["shifts"]
    services.projections.catch_up()
    login(client, admin)

    html = client.get(f"/oncall/rotations/{rid}").get_data(as_text=True)
    history = client.get(f"/oncall/rotations/{rid}?tab=history").get_data(as_text=True)

    weeks = [s["week_start"] for s in world["shifts"] + planned]
    listed = [w for w in weeks if f"<td>{w}" in html]
    assert 0 < len(listed) < len(set(weeks))  # not the plan beyond 26 weeks ahead
    assert max(weeks) not in listed
    events = history.count('<td><strong title="')
    assert events >= 3 and f"History ({events})" in html and f"History ({events})" in history
