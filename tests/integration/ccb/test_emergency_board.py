"""An emergency change names its board: the only board by default, required when there is more
than one; an unknown board id is refused and nothing is appended (API and form, both backends)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask.testing import FlaskClient

from app.bootstrap import Services
from tests.conftest import bearer, csrf_token, event_count, login, valid_change
from tests.support.ccb import make_ccb

API = "/api/v1/change-requests"


def emergency(**overrides: Any) -> dict[str, Any]:
    return valid_change(category="emergency", **overrides)


def second_board(services: Services, ccb: Any) -> str:
    with ccb.as_(ccb.admin, reason="a second board"):
        return services.ccb.create_board(name="Data CCB", chair_id=ccb.people[1]["id"],
                                         members=ccb.ids())["id"]


def test_with_one_board_an_emergency_change_belongs_to_it_by_default(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)

    response = client.post(API, json=emergency(), headers=bearer(ccb.requester))
    normal = client.post(API, json=valid_change(), headers=bearer(ccb.requester))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["board_id"] == ccb.board_id
    assert normal.get_json()["board_id"] is None  # a normal change goes on an agenda later


def test_with_two_boards_an_emergency_change_must_name_one(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    other = second_board(services, ccb)
    before = event_count(services)

    refused = client.post(API, json=emergency(), headers=bearer(ccb.requester))
    assert event_count(services) == before
    named = client.post(API, json=emergency(board_id=other), headers=bearer(ccb.requester))

    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "board_required"
    assert "board_id" in refused.get_json()["error"]["message"]
    assert named.status_code == 201 and named.get_json()["board_id"] == other


def test_an_unknown_board_is_refused_and_nothing_is_appended(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    before = event_count(services)

    response = client.post(API, json=emergency(board_id=str(uuid.uuid4())),
                           headers=bearer(ccb.requester))

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unknown_board"
    assert "board_id" in response.get_json()["error"]["details"]
    assert event_count(services) == before


def test_the_form_refuses_an_emergency_change_without_its_board_among_several(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    other = second_board(services, ccb)
    login(client, ccb.requester)
    body = {k: v for k, v in emergency().items() if k != "systems"}
    form = {**body, "systems": "billing-db", "csrf_token": csrf_token(client, "/changes/new")}
    before = event_count(services)

    response = client.post("/changes/new", data=form)

    assert response.status_code == 409
    assert "Choose the board that must approve this emergency change." in \
        response.get_data(as_text=True)
    assert f'<option value="{other}"' in response.get_data(as_text=True)
    assert event_count(services) == before
    named = client.post("/changes/new", data={**form, "board_id": other})
    assert named.status_code == 302


def test_the_form_names_the_board_field_for_an_unknown_board(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    login(client, ccb.requester)
    body = {k: v for k, v in emergency().items() if k != "systems"}
    form = {**body, "systems": "billing-db", "board_id": str(uuid.uuid4()),
            "csrf_token": csrf_token(client, "/changes/new")}
    before = event_count(services)

    response = client.post("/changes/new", data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="board_id-error">Choose a board from the list', html)
    assert f'value="{body["title"]}"' in html  # the input is kept
    assert event_count(services) == before


def test_the_default_board_takes_the_emergency_approval_end_to_end(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    change = client.post(API, json=emergency(), headers=bearer(ccb.requester)).get_json()["id"]

    first = client.post(f"/api/v1/change-requests/{change}/emergency-approvals",
                        headers=bearer(ccb.chair))
    second = client.post(f"/api/v1/change-requests/{change}/emergency-approvals",
                         headers=bearer(ccb.people[3]))

    assert first.status_code == 200, first.get_json()
    assert second.get_json()["status"] == "approved"
