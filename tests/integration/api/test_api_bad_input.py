"""Every API write route answers bad input with a documented 4xx error and appends nothing —
never a 500 (routes are enumerated from the app, so new ones are covered automatically)."""

from __future__ import annotations

import re
import uuid
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


def nested_fields(document: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(method, url, field, value): each nested object of each request body given as ``false``
    (each list of objects as ``[false]``), path ids filled in."""
    schemas = document["components"]["schemas"]
    cases = []
    for path, operations in document["paths"].items():
        url = "/api/v1" + re.sub(r"{(number|issue)}", "1", re.sub(
            r"{[a-z_]+_id}", lambda _: str(uuid.uuid4()), path))
        for method, operation in operations.items():
            if method == "parameters":
                continue
            ref = (operation.get("requestBody", {}).get("content", {})
                   .get("application/json", {}).get("schema", {}).get("$ref"))
            for name, prop in schemas[ref.split("/")[-1]]["properties"].items() if ref else ():
                if "$ref" in prop or prop.get("type") == "object" or any(
                        "$ref" in alt for alt in prop.get("anyOf", []) + prop.get("allOf", [])):
                    cases.append((method.upper(), url, name, False))
                elif "$ref" in prop.get("items", {}):
                    cases.append((method.upper(), url, name, [False]))
    return cases


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_nested_object_of_the_wrong_type_is_a_422_naming_it_and_appends_nothing(
        client: FlaskClient, services: Services, admin: dict[str, Any]) -> None:
    cases = nested_fields(client.get("/api/v1/openapi.json").get_json())
    before = event_count(services)

    answers = {(method, url, field): client.open(url, method=method, json={field: value},
                                                 headers=bearer(admin))
               for method, url, field, value in cases}

    assert len(cases) >= 6
    assert {k: r.status_code for k, r in answers.items()} == {k: 422 for k in answers}
    assert all(field in r.get_json()["error"]["details"] for (_, _, field), r in answers.items())
    assert event_count(services) == before
