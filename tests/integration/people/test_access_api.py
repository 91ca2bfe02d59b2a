"""Withdrawing access through the API: deactivation, role changes, tokens issued and revoked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conftest import bearer, csrf_token, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


class TestDeactivation:
    def test_a_deactivated_persons_token_is_refused_on_the_next_request(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 200

        response = client.post(f"/api/v1/people/{member['id']}/deactivate",
                               json={"reason": "left the company"}, headers=bearer(admin))

        assert response.status_code == 200 and response.json["active"] is False
        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 401

    def test_a_deactivated_persons_session_and_password_stop_working(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        login(client, member)
        assert client.get("/people/").status_code == 200

        client.post(f"/api/v1/people/{member['id']}/deactivate", json={},
                    headers=bearer(admin))

        assert client.get("/people/").status_code == 302
        response = client.post("/auth/login", data={
            "email": member["email"], "password": member["password"],
            "csrf_token": csrf_token(client)})
        assert response.status_code == 422

    def test_reactivation_gives_access_back_and_history_records_the_reason(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        client.post(f"/api/v1/people/{member['id']}/deactivate", json={"reason": "on leave"},
                    headers=bearer(admin))

        response = client.post(f"/api/v1/people/{member['id']}/reactivate",
                               json={"reason": "back"}, headers=bearer(admin))

        assert response.status_code == 200 and response.json["active"] is True
        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 200
        from domain.people.person import Person
        history = services.ledger.history(Person, member["id"])
        assert [(e["type"], e["reason"]) for e in history[-2:]] == [
            ("Deactivated", "on leave"), ("Reactivated", "back")]

    def test_members_may_not_deactivate_anyone(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        response = client.post(f"/api/v1/people/{admin['id']}/deactivate", json={},
                               headers=bearer(member))

        assert response.status_code == 403

    def test_an_admin_may_not_deactivate_themselves(
            self, client: FlaskClient, admin: dict[str, Any]) -> None:
        response = client.post(f"/api/v1/people/{admin['id']}/deactivate", json={},
                               headers=bearer(admin))

        assert response.status_code == 409 and response.json["error"]["code"] == "self_lockout"

    def test_deactivating_twice_is_refused(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        client.post(f"/api/v1/people/{member['id']}/deactivate", json={}, headers=bearer(admin))

        response = client.post(f"/api/v1/people/{member['id']}/deactivate", json={},
                               headers=bearer(admin))

        assert response.status_code == 409
        assert response.json["error"]["code"] == "already_inactive"


class TestRoles:
    def test_an_admin_makes_a_member_an_auditor_who_can_then_no_longer_write(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        response = client.put(f"/api/v1/people/{member['id']}/role",
                              json={"role": "auditor", "reason": "moved to audit"},
                              headers=bearer(admin))

        assert response.status_code == 200 and response.json["roles"] == ["auditor"]
        listed = client.get("/api/v1/people", headers=bearer(admin)).json["items"]
        assert next(p for p in listed if p["id"] == member["id"])["roles"] == ["auditor"]
        refused = client.post(f"/api/v1/people/{member['id']}/tokens", json={},
                              headers=bearer(member))
        assert refused.status_code == 403

    def test_an_unknown_role_is_invalid_input(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        response = client.put(f"/api/v1/people/{member['id']}/role", json={"role": "king"},
                              headers=bearer(admin))

        assert response.status_code == 422


class TestTokens:
    def test_a_member_issues_lists_and_revokes_their_own_token(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        issued = client.post(f"/api/v1/people/{member['id']}/tokens", json={"name": "ci"},
                             headers=bearer(member))
        assert issued.status_code == 201
        token, token_id = issued.json["token"], issued.json["id"]
        assert token.split("_")[2] == token_id and issued.json["name"] == "ci"
        listed = client.get(f"/api/v1/people/{member['id']}/tokens", headers=bearer(member))
        assert {t["id"] for t in listed.json["items"]} >= {token_id}
        assert "token" not in listed.json["items"][0]

        response = client.post(f"/api/v1/tokens/{token_id}/revoke", json={"reason": "leaked"},
                               headers=bearer(member))

        assert response.status_code == 200 and response.json["revoked_at"]
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 401
        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 200
        after = client.get(f"/api/v1/people/{member['id']}/tokens", headers=bearer(member))
        assert token_id not in {t["id"] for t in after.json["items"]}

    def test_an_admin_revokes_someone_elses_token(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        token_id = member["token"].split("_")[2]

        response = client.post(f"/api/v1/tokens/{token_id}/revoke", json={},
                               headers=bearer(admin))

        assert response.status_code == 200
        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 401

    def test_a_member_cannot_see_or_revoke_someone_elses_tokens(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        token_id = admin["token"].split("_")[2]

        assert client.post(f"/api/v1/tokens/{token_id}/revoke", json={},
                           headers=bearer(member)).status_code == 404
        assert client.get(f"/api/v1/people/{admin['id']}/tokens",
                          headers=bearer(member)).status_code == 403
        assert client.get("/api/v1/me", headers=bearer(admin)).status_code == 200

    def test_an_expired_token_is_refused(
            self, client: FlaskClient, clock: FakeClock, member: dict[str, Any]) -> None:
        issued = client.post(f"/api/v1/people/{member['id']}/tokens",
                             json={"name": "short", "expires_at": "2026-03-02T10:00:00Z"},
                             headers=bearer(member)).json
        headers = {"Authorization": f"Bearer {issued['token']}"}
        assert client.get("/api/v1/me", headers=headers).status_code == 200

        clock.advance(hours=2)

        assert client.get("/api/v1/me", headers=headers).status_code == 401

    def test_an_unknown_token_id_is_not_found(
            self, client: FlaskClient, admin: dict[str, Any]) -> None:
        response = client.post("/api/v1/tokens/deadbeef/revoke", json={},
                               headers=bearer(admin))

        assert response.status_code == 404
