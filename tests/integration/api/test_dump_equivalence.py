"""On the demo ledger, every JSON answer of every API read without a path argument is the same
through the product's ``Schema`` dump as through marshmallow's own (``app.schemas.Schema``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import marshmallow
import pytest

from app.demo import load_demo
from app.schemas import Schema
from tests.conftest import bearer

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services

SKIP = ("/api/v1/openapi", "/api/v1/docs", "/api/v1/health")


def test_every_list_dumps_as_marshmallow_dumps_it(
        app: Flask, client: FlaskClient, services: Services,
        monkeypatch: pytest.MonkeyPatch) -> None:
    load_demo(services)
    person = services.people.person_id_by_email("alice@example.org")
    with services.ledger.as_system():
        token = services.people.issue_token(UUID(str(person)), "dump check")
    paths = sorted(r.rule for r in app.url_map.iter_rules()
                   if r.rule.startswith("/api/v1/") and "GET" in (r.methods or ())
                   and not r.arguments and not r.rule.endswith(".csv")
                   and not r.rule.startswith(SKIP))

    def answers() -> dict[str, Any]:
        got = {}
        for path in paths:
            response = client.get(path, headers=bearer({"token": token}))
            if response.is_json and response.status_code == 200:
                got[path] = response.get_json()
        return got

    ours = answers()
    monkeypatch.setattr(Schema, "_serialize", marshmallow.Schema._serialize)
    theirs = answers()

    assert len(ours) >= 15 and {"/api/v1/decision-log", "/api/v1/action-items",
                                "/api/v1/incidents", "/api/v1/change-requests"} <= set(ours)
    assert sum(len(body.get("items", ())) for body in ours.values()
               if isinstance(body, dict)) >= 50
    for path in ours:
        assert ours[path] == theirs[path], path
