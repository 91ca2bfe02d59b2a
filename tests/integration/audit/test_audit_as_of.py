"""As-of views in the API and on pages: the time picker, the banner, and writes refused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conftest import bearer, csrf_token, event_count, login, valid_change

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


def test_the_api_lists_change_requests_as_they_stood_at_a_moment(
        client: FlaskClient, member: dict[str, Any], clock: FakeClock) -> None:
    before = clock.advance(hours=1).isoformat()
    clock.advance(hours=1)
    created = client.post("/api/v1/change-requests", json=valid_change(),
                          headers=bearer(member)).get_json()
    clock.advance(hours=1)

    then = client.get("/api/v1/change-requests", query_string={"as_of": before},
                      headers=bearer(member)).get_json()
    now = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
    gone = client.get(f"/api/v1/change-requests/{created['id']}",
                      query_string={"as_of": before}, headers=bearer(member))

    assert then["total"] == 0 and now["total"] == 1
    assert gone.status_code == 404


def test_an_invalid_moment_is_refused_naming_as_of(client: FlaskClient,
                                                   member: dict[str, Any]) -> None:
    response = client.get("/api/v1/change-requests?as_of=yesterday", headers=bearer(member))

    assert response.status_code == 422
    assert "as_of" in response.get_json()["error"]["details"]


def test_api_writes_are_refused_while_viewing_the_past(
        client: FlaskClient, services: Services, member: dict[str, Any],
        clock: FakeClock) -> None:
    count = event_count(services)

    response = client.post("/api/v1/change-requests", query_string={
        "as_of": clock.now.isoformat()}, json=valid_change(), headers=bearer(member))

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "as_of_read_only"
    assert event_count(services) == count


def test_the_picker_shows_a_banner_keeps_the_moment_and_refuses_writes_until_back_to_now(
        client: FlaskClient, services: Services, member: dict[str, Any],
        clock: FakeClock) -> None:
    login(client, member)
    past = clock.now.strftime("%Y-%m-%dT%H:%M:%S")
    clock.advance(hours=1)
    client.post("/api/v1/change-requests", json=valid_change(title="Later change"),
                headers=bearer(member))

    page = client.get(f"/changes/?as_of={past}").get_data(as_text=True)
    sticky = client.get("/changes/").get_data(as_text=True)
    token = csrf_token(client, "/changes/new")
    count = event_count(services)
    refused = client.post("/changes/new", data={**valid_change(systems="db"),
                                                "csrf_token": token})
    back = client.get("/changes/?as_of=").get_data(as_text=True)

    assert "Viewing as of" in page and "Later change" not in page
    assert 'name="as_of"' in page
    assert "Viewing as of" in sticky and "Later change" not in sticky
    assert refused.status_code == 403 and event_count(services) == count
    assert "Viewing as of" not in back and "Later change" in back
