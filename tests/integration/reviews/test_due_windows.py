"""Action item due dates follow the priority (P0 today, P1 by Sunday, P2 by the month's end):
a later date is refused with 409 naming the rule unless a reason is given, and the item shows
it is beyond its window — through the API and the form, on both backends. The test clock's
today is Monday 2026-03-02."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from app.bootstrap import Services
from tests.conftest import bearer, csrf_token, event_count, login

API = "/api/v1/action-items"


def body(member: dict[str, Any], priority: str, due: str, **extra: Any) -> dict[str, Any]:
    return {"title": "Fix the alert", "owner_id": member["id"], "priority": priority,
            "due": due, **extra}


@pytest.mark.parametrize(("priority", "last_day", "too_late"), [
    ("P0", "2026-03-02", "2026-03-03"),
    ("P1", "2026-03-08", "2026-03-09"),
    ("P2", "2026-03-31", "2026-04-01"),
])
def test_a_due_date_beyond_the_priority_window_is_refused_naming_the_rule(
        client: FlaskClient, services: Services, member: dict[str, Any], priority: str,
        last_day: str, too_late: str) -> None:
    accepted = client.post(API, json=body(member, priority, last_day), headers=bearer(member))
    before = event_count(services)

    refused = client.post(API, json=body(member, priority, too_late), headers=bearer(member))

    error = refused.get_json()["error"]
    assert accepted.status_code == 201 and accepted.get_json()["beyond_window"] is False
    assert refused.status_code == 409
    assert error["code"] == "due_beyond_priority_window"
    assert error["details"]["window_end"] == last_day
    assert priority in error["message"] and "due_reason" in error["message"]
    assert event_count(services) == before


def test_with_a_reason_the_later_date_is_kept_and_shown_beyond_the_window(
        client: FlaskClient, member: dict[str, Any]) -> None:
    response = client.post(API, json=body(member, "P1", "2026-03-12",
                                          due_reason="vendor ships on Thursday"),
                           headers=bearer(member))

    item = response.get_json()
    assert response.status_code == 201
    assert item["beyond_window"] is True
    assert item["due_reason"] == "vendor ships on Thursday"


def test_the_form_refuses_a_late_date_then_takes_it_with_a_reason(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    login(client, member)
    token = csrf_token(client, "/action-items/new")
    form = {"csrf_token": token, "title": "Fix the alert", "owner_id": member["id"],
            "priority": "P0", "due": "2026-03-04"}
    before = event_count(services)

    refused = client.post("/action-items/new", data=form)
    assert event_count(services) == before
    accepted = client.post("/action-items/new", data={**form, "due_reason": "needs a vendor fix"})
    page = client.get(accepted.headers["Location"]).get_data(as_text=True)

    assert refused.status_code == 409
    assert "The due date is later than this priority allows." in refused.get_data(as_text=True)
    assert 'name="due_reason"' in refused.get_data(as_text=True)
    assert accepted.status_code == 302
    assert 'id="beyond-window"' in page and "needs a vendor fix" in page


def test_the_default_due_date_is_always_inside_the_window(
        client: FlaskClient, member: dict[str, Any]) -> None:
    items = [client.post(API, json={"title": "Default due", "owner_id": member["id"],
                                    "priority": p}, headers=bearer(member)).get_json()
             for p in ("P0", "P1", "P2")]

    assert [i["due"] for i in items] == ["2026-03-02", "2026-03-06", "2026-03-31"]
    assert not any(i["beyond_window"] for i in items)
