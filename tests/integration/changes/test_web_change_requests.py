"""The HTML pages: sign in, the change request form, list, detail, history, withdraw."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import csrf_token, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

FORM = {"title": "Patch the web servers", "description": "Monthly patching.",
        "category": "normal", "risk": "low", "systems": "web-1, web-2",
        "planned_start": "2026-04-02T08:00", "planned_end": "2026-04-02T09:00",
        "rollback_plan": "Reimage from the golden image.", "board_id": ""}


class TestSignIn:
    @pytest.mark.parametrize("path", ["/", "/changes/", "/changes/new", "/people/"])
    def test_pages_need_a_signed_in_person(self, client: FlaskClient, path: str) -> None:
        response = client.get(path)

        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]

    def test_a_wrong_password_is_refused_next_to_the_field(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        response = client.post("/auth/login", data={
            "email": member["email"], "password": "wrong-password",
            "csrf_token": csrf_token(client)})

        assert response.status_code == 422
        assert "email or password is not right" in response.get_data(as_text=True)
        assert member["email"] in response.get_data(as_text=True)

    def test_a_form_without_the_csrf_token_is_refused(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        response = client.post("/auth/login", data={"email": member["email"],
                                                    "password": member["password"]})

        assert response.status_code == 400
        assert "csrf" in response.get_data(as_text=True).lower()


class TestChangeRequestForm:
    def test_submitting_the_form_shows_the_request_and_lists_it(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)

        response = client.post("/changes/new", data={
            **FORM, "csrf_token": csrf_token(client, "/changes/new")}, follow_redirects=True)

        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Patch the web servers" in html and "web-1, web-2" in html
        assert "Patch the web servers" in client.get("/changes/").get_data(as_text=True)

    def test_errors_are_shown_next_to_fields_and_input_is_kept(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(client, member)
        before = event_count(services)

        response = client.post("/changes/new", data={
            **FORM, "title": "x", "planned_end": "2026-04-02T07:00",
            "csrf_token": csrf_token(client, "/changes/new")})

        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert 'id="title-error"' in html and 'id="planned_end-error"' not in html
        assert 'value="web-1, web-2"' in html and "Monthly patching." in html
        assert event_count(services) == before

    def test_an_auditor_gets_a_forbidden_page(
            self, client: FlaskClient, services: Services, auditor: dict[str, Any]) -> None:
        login(client, auditor)

        response = client.post("/changes/new", data={
            **FORM, "csrf_token": csrf_token(client, "/changes/new")})

        assert response.status_code == 403
        assert "Your role is read-only (auditor)" in response.get_data(as_text=True)


class TestDetailAndWithdraw:
    def test_withdraw_from_the_page_then_history_lists_both_events(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)
        detail = client.post("/changes/new", data={
            **FORM, "csrf_token": csrf_token(client, "/changes/new")})
        path = detail.headers["Location"]

        client.post(f"{path}/withdraw", data={"reason": "moved to next sprint",
                                              "csrf_token": csrf_token(client, path)})
        history = client.get(f"{path}?tab=history").get_data(as_text=True)

        assert "Submitted" in history and "Withdrawn" in history
        assert "moved to next sprint" in history and "Maria Member" in history

    def test_unknown_change_request_is_a_404_page(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)

        response = client.get("/changes/00000000-0000-0000-0000-000000000009")

        assert response.status_code == 404
        assert "no ChangeRequest" in response.get_data(as_text=True) or "no change request" in (
            response.get_data(as_text=True))


class TestSignInThrottle:
    def test_repeated_failures_lock_the_email_out_for_a_while_even_with_the_right_password(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        def attempt(password: str) -> Any:
            return client.post("/auth/login", data={
                "email": member["email"], "password": password,
                "csrf_token": csrf_token(client)})

        statuses = [attempt("wrong-password").status_code for _ in range(5)]
        locked = attempt(member["password"])

        assert statuses == [422] * 5
        assert locked.status_code == 429
        assert "too many failed sign-ins" in locked.get_data(as_text=True)

    def test_a_success_before_the_limit_resets_the_count(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        for _ in range(4):
            client.post("/auth/login", data={"email": member["email"], "password": "nope",
                                             "csrf_token": csrf_token(client)})
        login(client, member)
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})

        responses = [client.post("/auth/login", data={
            "email": member["email"], "password": "nope",
            "csrf_token": csrf_token(client)}).status_code for _ in range(4)]

        assert responses == [422] * 4
