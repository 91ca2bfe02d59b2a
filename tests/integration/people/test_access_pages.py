"""Withdrawing access on the People pages: an admin deactivates, reactivates and changes roles;
everyone revokes their own tokens and changes their own password."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conftest import bearer, csrf_token, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient


def post(client: FlaskClient, path: str, page: str, **fields: Any) -> Any:
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, page)})


class TestAdminControls:
    def test_an_admin_deactivates_and_reactivates_someone_from_their_page(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        login(client, admin)
        page = f"/people/{member['id']}"

        response = post(client, f"{page}/deactivate", page, reason="left")

        assert response.status_code == 302
        html = client.get(page).get_data(as_text=True)
        assert "deactivated" in html and "Reactivate" in html
        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 401
        post(client, f"{page}/reactivate", page)
        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 200

    def test_an_admin_changes_a_role(self, client: FlaskClient, admin: dict[str, Any],
                                     member: dict[str, Any]) -> None:
        login(client, admin)
        page = f"/people/{member['id']}"

        post(client, f"{page}/role", page, role="auditor", reason="audit duty")

        assert "roles: auditor" in client.get(page).get_data(as_text=True)

    def test_a_member_cannot_see_someone_elses_page_nor_deactivate_them(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        login(client, member)

        assert client.get(f"/people/{admin['id']}").status_code == 403
        response = post(client, f"/people/{admin['id']}/deactivate", "/people/")
        assert response.status_code == 302
        assert client.get("/api/v1/me", headers=bearer(admin)).status_code == 200


class TestOwnCredentials:
    def test_a_member_revokes_their_own_token_on_their_page(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)
        page = f"/people/{member['id']}"
        token_id = member["token"].split("_")[2]
        assert token_id in client.get(page).get_data(as_text=True)

        post(client, f"{page}/tokens/{token_id}/revoke", page)

        assert client.get("/api/v1/me", headers=bearer(member)).status_code == 401
        assert f"Revoke {token_id}" not in client.get(page).get_data(as_text=True)

    def test_a_new_token_may_expire(self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)

        post(client, "/people/me/tokens", "/people/", label="ci", expires_at="2026-03-09T09:00")

        html = client.get(f"/people/{member['id']}").get_data(as_text=True)
        assert "2026-03-09 09:00 UTC" in html

    def test_a_member_changes_their_password_with_the_current_one(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)
        page = f"/people/{member['id']}"

        wrong = post(client, "/people/me/password", page, current_password="not-it",
                     new_password="a-brand-new-password")
        right = post(client, "/people/me/password", page,
                     current_password=member["password"], new_password="a-brand-new-password")

        assert wrong.status_code == 302 and right.status_code == 302
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/people/")})
        login(client, {**member, "password": "a-brand-new-password"})
        assert client.get(page).status_code == 200
