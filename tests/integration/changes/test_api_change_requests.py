"""The change request slice through the JSON API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import bearer, event_count, valid_change

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def submit(client: FlaskClient, person: dict[str, Any], **overrides: Any) -> Any:
    return client.post("/api/v1/change-requests", json=valid_change(**overrides),
                       headers=bearer(person))


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


class TestSubmitAndRead:
    def test_submit_returns_201_with_id_status_and_requester(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        response = submit(client, member)

        assert response.status_code == 201
        body = response.get_json()
        assert body["status"] == "submitted"
        assert body["requester_id"] == member["id"]
        assert body["id"]

    def test_the_submitted_request_is_readable_and_listed(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        created = submit(client, member, title="Rotate the keys", systems=["vault"]).get_json()

        one = client.get(f"/api/v1/change-requests/{created['id']}", headers=bearer(member))
        listed = client.get("/api/v1/change-requests?system=vault", headers=bearer(member))

        assert one.get_json()["title"] == "Rotate the keys"
        assert one.get_json()["planned_start"] == "2026-04-01T10:00:00+00:00"
        assert [c["id"] for c in listed.get_json()["items"]] == [created["id"]]

    def test_filters_narrow_the_list(self, client: FlaskClient, member: dict[str, Any]) -> None:
        submit(client, member, risk="high", title="High one")
        submit(client, member, risk="low", title="Low one")
        submit(client, member, category="standard", rollback_plan="", title="Std one")

        def titles(query: str) -> list[str]:
            page = client.get(f"/api/v1/change-requests?{query}", headers=bearer(member))
            return sorted(c["title"] for c in page.get_json()["items"])

        assert titles("risk=high") == ["High one"]
        assert titles("category=standard") == ["Std one"]
        assert titles("q=ONE&limit=2") in (["High one", "Low one"], ["High one", "Std one"],
                                           ["Low one", "Std one"])
        assert titles(f"requester_id={member['id']}&status=submitted") == [
            "High one", "Low one", "Std one"]


class TestWithdrawAndHistory:
    def test_the_requester_withdraws_and_history_shows_who_when_why(
            self, client: FlaskClient, member: dict[str, Any], clock: Any) -> None:
        created = submit(client, member).get_json()
        clock.advance(minutes=5)

        response = client.post(f"/api/v1/change-requests/{created['id']}/withdraw",
                               json={"reason": "no longer needed"}, headers=bearer(member))
        history = client.get(f"/api/v1/change-requests/{created['id']}/history",
                             headers=bearer(member)).get_json()["events"]

        assert response.status_code == 200
        assert response.get_json()["status"] == "withdrawn"
        assert [e["type"] for e in history] == ["Submitted", "Withdrawn"]
        assert history[1]["actor_id"] == member["id"]
        assert history[1]["reason"] == "no longer needed"
        assert history[1]["recorded_at"] == "2026-03-02T09:05:00+00:00"
        assert history[0]["data"]["title"] == valid_change()["title"]
        assert history[0]["on_behalf_of"] is None

    def test_someone_else_cannot_withdraw_and_nothing_is_appended(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            admin: dict[str, Any]) -> None:
        created = submit(client, member).get_json()
        before = event_count(services)

        response = client.post(f"/api/v1/change-requests/{created['id']}/withdraw",
                               headers=bearer(admin))

        assert_error(response, 409, "not_requester")
        assert event_count(services) == before

    def test_withdrawing_twice_is_refused(self, client: FlaskClient, services: Services,
                                          member: dict[str, Any]) -> None:
        created = submit(client, member).get_json()
        url = f"/api/v1/change-requests/{created['id']}/withdraw"
        client.post(url, headers=bearer(member))
        before = event_count(services)

        response = client.post(url, headers=bearer(member))

        assert_error(response, 409, "change_request_not_withdrawable")
        assert event_count(services) == before


class TestErrors:
    def test_no_token_is_401(self, client: FlaskClient) -> None:
        assert_error(client.get("/api/v1/change-requests"), 401, "not_authenticated")
        assert_error(client.post("/api/v1/change-requests", json=valid_change()), 401,
                     "not_authenticated")

    @pytest.mark.parametrize("token", ["nonsense", "glt_" + "0" * 32 + "_abcd_secret"])
    def test_a_bad_token_is_401(self, client: FlaskClient, token: str) -> None:
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

        assert_error(response, 401, "not_authenticated")

    def test_an_auditor_cannot_write(self, client: FlaskClient, services: Services,
                                     auditor: dict[str, Any]) -> None:
        before = event_count(services)

        response = submit(client, auditor)

        assert_error(response, 403, "read_only_role")
        assert event_count(services) == before
        assert client.get("/api/v1/change-requests", headers=bearer(auditor)).status_code == 200

    def test_only_admins_register_people(self, client: FlaskClient, member: dict[str, Any],
                                         admin: dict[str, Any]) -> None:
        person = {"name": "New", "email": "new@example.org", "function": "qa", "role": "member"}

        denied = client.post("/api/v1/people", json=person, headers=bearer(member))
        created = client.post("/api/v1/people", json=person, headers=bearer(admin))
        again = client.post("/api/v1/people", json=person, headers=bearer(admin))

        assert_error(denied, 403, "role_required")
        assert created.status_code == 201
        assert client.get("/api/v1/me", headers={
            "Authorization": f"Bearer {created.get_json()['token']}"}).get_json()["name"] == "New"
        assert_error(again, 409, "email_taken")

    def test_unknown_ids_are_404(self, client: FlaskClient, member: dict[str, Any]) -> None:
        for path in ("/api/v1/change-requests/not-a-uuid",
                     "/api/v1/change-requests/00000000-0000-0000-0000-000000000001",
                     "/api/v1/change-requests/00000000-0000-0000-0000-000000000001/history"):
            assert_error(client.get(path, headers=bearer(member)), 404, "not_found")
        assert_error(client.post(
            "/api/v1/change-requests/00000000-0000-0000-0000-000000000001/withdraw",
            headers=bearer(member)), 404, "not_found")

    @pytest.mark.parametrize(("override", "field"), [
        ({"title": ""}, "title"), ({"category": "whenever"}, "category"),
        ({"systems": "db"}, "systems"), ({"planned_end": "2026-04-01T09:00:00+00:00"},
                                         "planned_end"),
        ({"extra": True}, "extra")])
    def test_invalid_input_is_422_per_field_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            override: dict[str, Any], field: str) -> None:
        before = event_count(services)

        error = assert_error(submit(client, member, **override), 422, "invalid_input")

        assert field in error["details"]
        assert event_count(services) == before

    def test_malformed_json_is_400(self, client: FlaskClient, member: dict[str, Any]) -> None:
        response = client.post("/api/v1/change-requests", data="{nope",
                               content_type="application/json", headers=bearer(member))

        assert_error(response, 400, "malformed_json")

    def test_unknown_api_paths_use_the_error_shape(self, client: FlaskClient) -> None:
        assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


class TestOpenAPI:
    def test_the_document_describes_every_change_request_route(
            self, client: FlaskClient) -> None:
        spec = client.get("/api/v1/openapi.json").get_json()

        assert spec["openapi"].startswith("3.")
        assert {"/change-requests", "/change-requests/{change_id}",
                "/change-requests/{change_id}/withdraw",
                "/change-requests/{change_id}/history"} <= set(spec["paths"])
        assert "ChangeRequestInput" in spec["components"]["schemas"]
        assert client.get("/api/v1/docs").status_code == 200


class TestListPaging:
    def test_the_system_filter_matches_whole_names_and_paging_counts_every_match(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        for i in range(5):
            submit(client, member, title=f"Change {i}", systems=["db", "api"] if i % 2 else
                   ["db2"])

        def page(query: str) -> dict[str, Any]:
            return client.get(f"/api/v1/change-requests?{query}",
                              headers=bearer(member)).get_json()

        assert page("system=db")["total"] == 2
        assert page("system=db2")["total"] == 3
        assert page("system=d")["total"] == 0
        two = page("limit=2&offset=1")
        assert two["total"] == 5 and len(two["items"]) == 2
        everything = [c["title"] for c in page("limit=5")["items"]]
        assert [c["title"] for c in two["items"]] == everything[1:3]
