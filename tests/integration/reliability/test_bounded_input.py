"""Bounded input: a body over the size limit is a 413 in the error shape before it is parsed
(with or without a token); integers out of range in query strings and paths are 422; a page
size above its cap is clamped to the cap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import bearer, event_count, valid_change
from web import create_app

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services

BIG = "x" * (1024 * 1024 + 1)


class TestBodySize:
    @pytest.mark.parametrize("with_token", [True, False])
    def test_a_body_over_1_mib_is_413_before_the_token_or_the_json_is_looked_at(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            with_token: bool) -> None:
        before = event_count(services)

        response = client.post("/api/v1/change-requests", data=f'{{"title": "{BIG}"}}',
                               content_type="application/json",
                               headers=bearer(member) if with_token else {})

        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"
        assert event_count(services) == before

    def test_a_form_over_the_limit_is_413_too(self, client: FlaskClient) -> None:
        response = client.post("/auth/login", data={"email": BIG, "password": "p"})

        assert response.status_code == 413

    def test_the_limit_is_configurable(self, services: Services, member: dict[str, Any]) -> None:
        services.settings.max_body_bytes = 400
        client = create_app({"TESTING": True}, services=services).test_client()

        small = client.post("/api/v1/change-requests", json=valid_change(),
                            headers=bearer(member))
        large = client.post("/api/v1/change-requests",
                            json=valid_change(description="d" * 300), headers=bearer(member))

        assert small.status_code == 201
        assert large.status_code == 413

    def test_a_body_under_the_limit_is_read(self, client: FlaskClient,
                                            member: dict[str, Any]) -> None:
        response = client.post("/api/v1/change-requests", json=valid_change(),
                               headers=bearer(member))

        assert response.status_code == 201


class TestIntegers:
    @pytest.mark.parametrize("path", [
        "/api/v1/change-requests?offset=9223372036854775808",
        "/api/v1/action-items?offset=99999999999999999999999",
        "/api/v1/ledger/proofs/inclusion?position=99999999999999999999",
        "/api/v1/ledger/proofs/inclusion?position=9223372036854775808",
    ])
    def test_a_query_integer_beyond_64_bits_is_422(
            self, client: FlaskClient, member: dict[str, Any], path: str) -> None:
        response = client.get(path, headers=bearer(member))

        assert response.status_code == 422, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == "invalid_input"

    def test_the_largest_offset_is_an_empty_page(self, client: FlaskClient,
                                                 member: dict[str, Any]) -> None:
        response = client.get("/api/v1/change-requests?offset=9223372036854775807",
                              headers=bearer(member))

        assert response.status_code == 200 and response.get_json()["items"] == []

    def test_a_path_integer_beyond_64_bits_is_422(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        response = client.post("/api/v1/rehearsals/x/steps/99999999999999999999/start",
                               headers=bearer(member))

        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == "invalid_input"


class TestLimits:
    @pytest.mark.parametrize(("path", "cap"), [("/api/v1/change-requests?limit=100000", 500),
                                               ("/api/v1/action-items?limit=100000", 1000)])
    def test_a_limit_above_the_cap_is_clamped_to_the_cap(
            self, client: FlaskClient, member: dict[str, Any], path: str, cap: int) -> None:
        response = client.get(path, headers=bearer(member))

        assert response.status_code == 200 and response.get_json()["limit"] == cap

    def test_a_limit_below_one_is_still_422(self, client: FlaskClient,
                                            member: dict[str, Any]) -> None:
        response = client.get("/api/v1/change-requests?limit=0", headers=bearer(member))

        assert response.status_code == 422


def test_the_app_fixture_keeps_the_default_limit(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
