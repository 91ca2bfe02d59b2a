"""Auditors are refused every write (403) on every write route of the API, including routes
other areas add later (the routes are enumerated from the app, not listed here)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tests.conftest import bearer, event_count

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services

WRITES = ("POST", "PUT", "PATCH", "DELETE")


SELF_SERVICE = {"/api/v1/tokens/<token_id>/revoke", "/api/v1/me"}
"""Write routes every signed-in person may call on their own access or profile
(``web.api.self_service``): auditors revoke their own tokens (the use case refuses anyone
else's) and set their own time zone."""


def write_routes(app: Flask, self_service: bool = False) -> list[tuple[str, str]]:
    """Every (method, url) under /api/v1 that can change something, path params filled in
    (the self-service ones only, or all but them)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("alerts_inbound."):
            continue  # monitors post alerts with an integration key, not a person's token
        if bool(getattr(app.view_functions[rule.endpoint], "self_service", False)) != self_service:
            continue
        values = {arg: "1" if type(rule._converters[arg]).__name__ in (  # noqa: SLF001
            "IntegerConverter", "NumberConverter") else str(uuid.uuid4()) for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        routes += [(method, url) for method in sorted(set(rule.methods or ()) & set(WRITES))]
    return routes


def test_auditors_get_403_on_every_write_route_and_nothing_is_appended(
        app: Flask, client: FlaskClient, services: Services, auditor: dict[str, Any]) -> None:
    routes = write_routes(app)
    before = event_count(services)

    answers = {(m, url): client.open(url, method=m, json={}, headers=bearer(auditor))
               for m, url in routes}

    assert len(routes) >= 3
    assert {k: r.status_code for k, r in answers.items()} == {k: 403 for k in answers}
    assert all(r.get_json()["error"]["code"] == "read_only_role" for r in answers.values())
    assert event_count(services) == before


def test_the_only_writes_open_to_auditors_are_on_their_own_access(
        app: Flask, client: FlaskClient, services: Services, auditor: dict[str, Any]) -> None:
    rules = {r.rule for r in app.url_map.iter_rules()
             if getattr(app.view_functions[r.endpoint], "self_service", False)}
    before = event_count(services)

    answers = {(m, url.split("/")[3]): client.open(url, method=m, json={},
                                                   headers=bearer(auditor)).status_code
               for m, url in write_routes(app, self_service=True)}

    assert rules == SELF_SERVICE
    # a token that is not theirs; a profile change that names nothing to change
    assert answers == {("POST", "tokens"): 404, ("PATCH", "me"): 422}
    assert event_count(services) == before


def test_members_are_not_refused_by_the_read_only_guard(
        client: FlaskClient, member: dict[str, Any]) -> None:
    response = client.post("/api/v1/change-requests", json={}, headers=bearer(member))

    assert response.status_code == 422
