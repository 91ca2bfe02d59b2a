"""Each person's time zone: chosen on the profile page or with ``PATCH /api/v1/me`` (an IANA
name, checked against zoneinfo), used by the pages to show times and to read typed times;
the API keeps answering in UTC."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import bearer, csrf_token, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def set_zone(client: FlaskClient, person: dict[str, Any], zone: str) -> Any:
    return client.patch("/api/v1/me", json={"time_zone": zone}, headers=bearer(person))


class TestTheSetting:
    def test_everyone_starts_in_utc(self, client: FlaskClient, member: dict[str, Any]) -> None:
        assert client.get("/api/v1/me", headers=bearer(member)).get_json()["time_zone"] == "UTC"

    @pytest.mark.parametrize("who", ["member", "auditor"])
    def test_a_person_chooses_their_own_zone_through_the_api(
            self, client: FlaskClient, request: pytest.FixtureRequest, who: str) -> None:
        person = request.getfixturevalue(who)

        response = set_zone(client, person, "Europe/Berlin")

        assert response.status_code == 200, response.get_json()
        assert response.get_json()["time_zone"] == "Europe/Berlin"
        assert client.get("/api/v1/me", headers=bearer(person)).get_json()[
            "time_zone"] == "Europe/Berlin"

    @pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "CEST+2", "", "../../etc/passwd"])
    def test_a_name_that_is_not_an_iana_zone_is_422_naming_the_field_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            zone: str) -> None:
        before = event_count(services)

        response = set_zone(client, member, zone)

        assert response.status_code == 422
        assert "time_zone" in response.get_json()["error"]["details"]
        assert event_count(services) == before

    def test_choosing_the_zone_one_already_has_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        set_zone(client, member, "Asia/Tokyo")
        before = event_count(services)

        assert set_zone(client, member, "Asia/Tokyo").status_code == 200
        assert event_count(services) == before

    def test_the_choice_is_an_event_on_the_person(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        set_zone(client, member, "America/New_York")

        history = client.get(f"/api/v1/entities/{member['id']}/history",
                             headers=bearer(member)).get_json()
        assert any(e["type"].endswith("TimeZoneSet") and e["data"].get("time_zone")
                   == "America/New_York" for e in history["events"]), history


class TestThePages:
    def test_the_profile_form_sets_the_zone_and_times_are_shown_in_it(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)
        page = f"/people/{member['id']}"
        assert " UTC</time>" in client.get(page).get_data(as_text=True)

        response = client.post("/people/me/time-zone", data={
            "time_zone": "Asia/Kolkata", "csrf_token": csrf_token(client, page)})

        assert response.status_code == 302
        html = client.get(page).get_data(as_text=True)
        assert "time zone Asia/Kolkata" in html
        assert " IST</time>" in html and " UTC</time>" not in html

    def test_a_bad_zone_on_the_form_is_shown_next_to_the_field_with_the_input_kept(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(client, member)
        page = f"/people/{member['id']}"
        before = event_count(services)

        response = client.post("/people/me/time-zone", data={
            "time_zone": "Europe/Atlantis", "csrf_token": csrf_token(client, page)})

        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert 'id="time_zone-error"' in html and 'value="Europe/Atlantis"' in html
        assert event_count(services) == before

    def test_a_typed_time_is_read_in_the_persons_zone_and_the_api_answers_in_utc(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        set_zone(client, member, "Europe/Berlin")  # UTC+1 in January
        login(client, member)
        assert "Expires (Europe/Berlin, optional)" in client.get("/people/").get_data(
            as_text=True)

        client.post("/people/me/tokens", data={
            "label": "laptop", "expires_at": "2027-01-15T10:00",
            "csrf_token": csrf_token(client, "/people/")})

        tokens = client.get(f"/api/v1/people/{member['id']}/tokens",
                            headers=bearer(member)).get_json()["items"]
        laptop = next(t for t in tokens if t["name"] == "laptop")
        assert laptop["expires_at"].startswith("2027-01-15T09:00:00")
        assert laptop["expires_at"].endswith(("+00:00", "Z"))
        html = client.get(f"/people/{member['id']}").get_data(as_text=True)
        assert "2027-01-15 10:00 CET" in html

    def test_a_time_typed_with_an_offset_is_taken_as_given(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        set_zone(client, member, "Europe/Berlin")
        login(client, member)

        client.post("/people/me/tokens", data={
            "label": "ci", "expires_at": "2027-01-15T10:00:00+00:00",
            "csrf_token": csrf_token(client, "/people/")})

        tokens = client.get(f"/api/v1/people/{member['id']}/tokens",
                            headers=bearer(member)).get_json()["items"]
        assert next(t for t in tokens if t["name"] == "ci")["expires_at"].startswith(
            "2027-01-15T10:00:00")
