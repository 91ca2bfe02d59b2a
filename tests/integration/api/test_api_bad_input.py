"""Every API write route answers bad input with a documented 4xx error and appends nothing —
never a 500 (routes are enumerated from the app, so new ones are covered automatically)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import bearer, event_count
from tests.integration.audit.test_audit_authorization import write_routes

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services

BODIES = [{}, {"unexpected": 1}, [], "not an object", None]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_bad_bodies_on_every_write_route_get_a_4xx_error_body_and_append_nothing(
        app: Flask, client: FlaskClient, services: Services, admin: dict[str, Any]) -> None:
    before = event_count(services)
    failures = {}

    for method, url in write_routes(app):
        if url == "/api/v1/ledger/checkpoints":  # takes no input: "seal now" (admins)
            continue
        for body in BODIES:
            response = client.open(url, method=method, json=body, headers=bearer(admin))
            error = (response.get_json(silent=True) or {}).get("error", {})
            if not (400 <= response.status_code < 500 and error.get("code")
                    and error.get("message")):
                failures[(method, url, repr(body))] = response.status_code

    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert event_count(services) == before
