"""The OpenAPI document: valid OpenAPI 3, each component named once, numbers typed as numbers,
and exactly the routes the app serves under /api/v1 (walked from the URL map, so a new route
cannot go undocumented, nor a documented one be left without a view)."""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

import pytest
from openapi_spec_validator import validate

if TYPE_CHECKING:
    from collections.abc import Iterator

    from flask import Flask
    from flask.testing import FlaskClient

NOT_OPERATIONS = {"HEAD", "OPTIONS"}
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def served(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, path) of every API route, in the document's path syntax."""
    return {(method, re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
             .removeprefix("/api/v1"))
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith("openapi.")
            for method in set(rule.methods or ()) - NOT_OPERATIONS}


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in document["paths"].items()
            for method in operations if method != "parameters"}


def properties(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every property schema, nested ones included."""
    for prop in schema.get("properties", {}).values():
        yield prop
        yield from properties(prop)
        for key in ("items", "additionalProperties"):
            if isinstance(prop.get(key), dict):
                yield prop[key]
                yield from properties(prop[key])


def test_the_document_validates_as_openapi_3(client: FlaskClient) -> None:
    document = spec(client)

    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]


def test_every_api_route_is_documented_and_every_documented_operation_is_served(
        app: Flask, client: FlaskClient) -> None:
    routes, operations = served(app), documented(spec(client))

    assert len(routes) > 100
    assert sorted(routes - operations) == [], "routes missing from the document"
    assert sorted(operations - routes) == [], "documented operations no view serves"


def test_no_two_schemas_resolve_to_one_component_name(client: FlaskClient) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = set(spec(client)["components"]["schemas"])

    assert [str(w.message) for w in caught] == []
    assert {n for n in names if re.search(r"\d$", n)} == set(), "apispec's de-duplicated names"
    assert {"PolicyInput", "EscalationPolicyInput", "MetricsInput", "RehearsalMetricsInput",
            "Reason", "RehearsalReason"} <= names


def test_numbers_are_typed_as_numbers_and_decimals_as_the_strings_returned(
        client: FlaskClient) -> None:
    schemas = spec(client)["components"]["schemas"]
    props = [p for s in schemas.values() for p in properties(s)]
    numeric = [p for p in props if p.get("type") in ("integer", "number")]

    assert numeric
    assert all(isinstance(p.get(k), (int, float)) for p in numeric
               for k in ("minimum", "maximum") if k in p)
    assert all(isinstance(p["default"], (int, float)) for p in numeric
               if p.get("default") is not None)
    assert schemas["RehearsalStep"]["properties"]["variance_percent"]["type"] == "string"
    assert schemas["Review"]["properties"]["uptime_pct"]["format"] == "decimal"
    assert schemas["Incident"]["properties"]["affected_users_percent"]["type"] == "number"


KEY_IN_BODY = {"/integrations/events-v2"}
"""PagerDuty Events v2 sends its integration key as ``routing_key`` in the body: no security
scheme can say so, but a bad key is still a 401."""


def test_every_operation_answers_in_the_one_error_shape(client: FlaskClient) -> None:
    document = spec(client)
    error = {"$ref": "#/components/schemas/Error"}

    for name, response in document["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == error, name
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                public = operation.get("security") == []  # the health check needs no token
                key_in_body = path in KEY_IN_BODY  # authenticated by a key the body carries
                assert ("401" in operation["responses"]) != (public and not key_in_body), (
                    method, path)
                success = [c for c in operation["responses"] if c.startswith("2")]
                assert len(success) == 1, (method, path, success)


def test_the_document_and_its_page_need_no_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200
    page = client.get("/api/v1/docs")

    assert page.status_code == 200
    assert "POST /api/v1/change-requests" in page.get_data(as_text=True)
