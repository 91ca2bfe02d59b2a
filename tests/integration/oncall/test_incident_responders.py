"""Responders change during an incident as events: a level is handed over (with a reason) and
later pages at that level go to the new person; more responders join; through the API and the
incident page's forms, on both backends; refusals append nothing."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from app.bootstrap import Services
from tests.conftest import FakeClock, add_person, bearer, csrf_token, event_count, login


def incident(services: Services, admin: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    crew = [add_person(services, "member", f) for f in ("engineering", "devops", "qa")]
    with services.ledger.acting_as(admin["id"]):
        rotation = services.oncall.create_rotation("Platform", "UTC", [p["id"] for p in crew])
        services.oncall.plan_rotation(rotation["id"], weeks=4)
        opened = services.oncall.open_incident(rotation["id"], "API 500s", "P1", "api")
    return opened["id"], crew


def test_a_hand_over_needs_a_reason_and_routes_the_next_page_to_the_new_person(
        client: FlaskClient, services: Services, admin: dict[str, Any],
        clock: FakeClock) -> None:
    incident_id, crew = incident(services, admin)
    helper = add_person(services, "member", "security", name="Hana Helper")
    url = f"/api/v1/incidents/{incident_id}"
    before = event_count(services)

    missing = client.post(f"{url}/hand-over", json={"level": "L2", "person_id": helper["id"]},
                          headers=bearer(admin))
    assert event_count(services) == before
    handed = client.post(f"{url}/hand-over", json={
        "level": "L2", "person_id": helper["id"], "reason": "secondary is on a flight"},
        headers=bearer(admin))
    clock.advance(minutes=5)
    with services.ledger.acting_as(admin["id"], reason="need more hands"):
        services.oncall.escalate_incident(incident_id)
    view = client.get(url, headers=bearer(admin)).get_json()

    assert missing.status_code == 422
    assert handed.status_code == 200, handed.get_json()
    assert handed.get_json()["responders"]["L2"] == helper["id"]
    pages = [t for t in view["timeline"] if t["type"] in ("escalated", "paged")
             and t.get("level") == "L2"]
    assert pages and pages[-1]["person_id"] == helper["id"]
    handover = next(t for t in view["timeline"] if t["type"] == "handed_over")
    assert handover["reason"] == "secondary is on a flight"


def test_another_responder_joins_once(client: FlaskClient, services: Services,
                                      admin: dict[str, Any]) -> None:
    incident_id, crew = incident(services, admin)
    helper = add_person(services, "member", "security")
    url = f"/api/v1/incidents/{incident_id}/responders"

    joined = client.post(url, json={"person_id": helper["id"]}, headers=bearer(admin))
    again = client.post(url, json={"person_id": helper["id"]}, headers=bearer(admin))

    assert joined.status_code == 200
    assert [t["person_id"] for t in joined.get_json()["timeline"]
            if t["type"] == "responder_added"] == [helper["id"]]
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_responding"


def test_the_incident_page_hands_over_and_adds_responders(
        client: FlaskClient, services: Services, admin: dict[str, Any]) -> None:
    incident_id, crew = incident(services, admin)
    helper = add_person(services, "member", "security", name="Hana Helper")
    login(client, admin)
    page = f"/oncall/incidents/{incident_id}"
    token = csrf_token(client, page)

    handed = client.post(f"{page}/hand-over", data={
        "csrf_token": token, "level": "L1", "person_id": helper["id"], "reason": "shift ended"})
    added = client.post(f"{page}/add-responder", data={"csrf_token": token,
                                                       "person_id": crew[2]["id"]})
    html = client.get(page).get_data(as_text=True)

    assert handed.status_code == 302 and added.status_code == 302
    assert "handed_over" in html and "responder_added" in html and "Hana Helper" in html
