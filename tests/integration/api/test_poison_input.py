"""Poison input: NUL and other control characters are refused at the edge, on both backends,
by the API (bodies and query strings), the forms and the CLI, with 422 naming the field and
nothing appended; the service keeps serving afterwards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import bearer, csrf_token, event_count, login, valid_change
from tests.integration.changes.test_web_change_requests import FORM
from web.cli.main import main

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

POISON = ["a\x00b", "bell\x07", "esc\x1b[31m", "del\x7f", "c1\x85"]


class TestApiBodies:
    @pytest.mark.parametrize("text", POISON)
    def test_a_control_character_in_a_title_is_422_naming_the_field(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            text: str) -> None:
        before = event_count(services)

        response = client.post("/api/v1/change-requests", json=valid_change(title=text * 3),
                               headers=bearer(member))

        assert response.status_code == 422
        assert "title" in response.get_json()["error"]["details"]
        assert event_count(services) == before

    def test_a_nul_inside_a_list_item_is_refused_too(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        before = event_count(services)

        response = client.post("/api/v1/change-requests",
                               json=valid_change(systems=["ok", "bad\x00"]),
                               headers=bearer(member))

        assert response.status_code == 422
        assert "systems" in response.get_json()["error"]["details"]
        assert event_count(services) == before

    def test_tab_newline_and_carriage_return_are_still_text(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        response = client.post("/api/v1/change-requests",
                               json=valid_change(description="one\tcolumn\r\nnext line"),
                               headers=bearer(member))

        assert response.status_code == 201

    def test_the_service_keeps_serving_after_a_refused_nul(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        client.post("/api/v1/change-requests", json=valid_change(title="nul\x00nul"),
                    headers=bearer(member))

        created = client.post("/api/v1/change-requests", json=valid_change(),
                              headers=bearer(member))
        listed = client.get("/api/v1/change-requests", headers=bearer(member))

        assert created.status_code == 201 and listed.status_code == 200


class TestQueryStrings:
    @pytest.mark.parametrize("path", ["/api/v1/action-items?q=a%00b",
                                      "/api/v1/change-requests?q=a%00b",
                                      "/api/v1/change-requests?system=%1b"])
    def test_a_nul_in_a_query_argument_is_422_not_500(
            self, client: FlaskClient, member: dict[str, Any], path: str) -> None:
        response = client.get(path, headers=bearer(member))

        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == "invalid_input"


class TestForms:
    def test_a_nul_in_a_form_field_is_shown_next_to_the_field_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(client, member)
        before = event_count(services)

        response = client.post("/changes/new", data={
            **FORM, "title": "Patch\x00 the servers",
            "csrf_token": csrf_token(client, "/changes/new")})

        assert response.status_code == 422
        assert 'id="title-error"' in response.get_data(as_text=True)
        assert event_count(services) == before


class TestCli:
    def test_a_nul_in_a_cli_argument_is_one_line_and_exit_2(
            self, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
        monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))

        code = main(["user", "add", "--name", "Q\x1bQ", "--email", "q@example.org",
                     "--function", "qa", "--role", "member"])

        out, err = capsys.readouterr()
        assert code == 2 and out == ""
        assert "name" in err and "Traceback" not in err
