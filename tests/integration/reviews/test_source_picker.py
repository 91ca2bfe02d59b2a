"""An action item names its source through a picker (a select of records grouped by kind, no
JavaScript needed); an owner or a source that does not exist is refused with a 422 naming the
field, on the API and the form, and nothing is appended."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from tests.conftest import bearer, csrf_token, event_count, login
from tests.integration.reviews.test_action_item_tracker import an_incident

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

API = "/api/v1/action-items"


def test_the_api_refuses_an_unknown_source_naming_source_id(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    before = event_count(services)

    response = client.post(API, json={"title": "Add an alert", "owner_id": member["id"],
                                      "source_type": "incident",
                                      "source_id": str(uuid.uuid4())}, headers=bearer(member))

    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]) == ["source_id"]
    assert event_count(services) == before


def test_the_api_refuses_an_unknown_owner_naming_owner_id(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    before = event_count(services)

    response = client.post(API, json={"title": "Add an alert", "owner_id": str(uuid.uuid4())},
                           headers=bearer(member))

    assert response.status_code == 422
    assert "owner_id" in response.get_json()["error"]["details"]
    assert event_count(services) == before


def test_the_form_offers_the_records_grouped_and_raises_the_item_from_the_chosen_one(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    incident = an_incident(client)
    login(client, member)

    page = client.get("/action-items/new").get_data(as_text=True)
    assert re.search(r'<optgroup label="Incidents"><option value="incident:' + incident, page)
    assert 'name="source_id"' not in page  # no raw id to type
    response = client.post("/action-items/new", data={
        "title": "Add a pool-size alert", "owner_id": member["id"], "priority": "P1",
        "source": f"incident:{incident}", "csrf_token": csrf_token(client, "/action-items/new")})

    assert response.status_code == 302
    item = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/oncall/incidents/{incident}">Pool exhausted</a>' in item


def test_the_form_refuses_a_forged_source_naming_the_field_and_keeping_the_input(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    login(client, member)
    before = event_count(services)

    response = client.post("/action-items/new", data={
        "title": "Add a pool-size alert", "owner_id": member["id"],
        "source": f"meeting:{uuid.uuid4()}", "csrf_token": csrf_token(client, "/action-items/new")})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="source-error">There is no meeting with id|id="source-error">there '
                     r'is no meeting with id', html)
    assert 'value="Add a pool-size alert"' in html
    assert event_count(services) == before
