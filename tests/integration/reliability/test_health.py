"""The health endpoint (``GET /api/v1/health``, in the OpenAPI document) and the admins' view of
stalled projections: 200 when every projection follows the log, 503 naming the stalled one (its
position; its error only with a token) when one is poisoned, and when the store is unreachable;
admins see a banner on every page and the /health page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import add_person, bearer, login, valid_change
from tests.integration.projections.test_poison_events import poison

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def test_healthy_is_200_with_every_projection_position_and_no_token_needed(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    client.post("/api/v1/change-requests", json=valid_change(), headers=bearer(member))

    answer = client.get("/api/v1/health")

    assert answer.status_code == 200
    report = answer.get_json()
    assert report["ok"] is True and report["stalled"] == []
    assert report["store"] == {"reachable": True, "head": services.ledger.recorder
                               .max_notification_id(), "error": None}
    names = {p.name for p in services.projections.projections}
    assert {p["name"] for p in report["projections"]} == names
    changes = next(p for p in report["projections"] if p["name"] == "change_requests")
    assert changes["position"] > 0 and changes["pending"] == 0 and changes["stalled"] is None


def test_a_stalled_projection_is_503_named_with_its_position_and_shown_to_admins(
        client: FlaskClient, services: Services, member: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    poison(services, monkeypatch, "POISON")
    client.post("/api/v1/change-requests", json=valid_change(title="POISON pill"),
                headers=bearer(member))
    stall = services.projections.stalled()["change_requests"]

    anonymous = client.get("/api/v1/health")
    signed = client.get("/api/v1/health", headers=bearer(member))

    assert anonymous.status_code == signed.status_code == 503
    report = anonymous.get_json()
    assert report["ok"] is False and report["stalled"] == ["change_requests"]
    row = next(p for p in report["projections"] if p["name"] == "change_requests")
    assert row["stalled"]["position"] == stall["position"]
    assert row["stalled"]["error"] is None  # no token: no error text
    row = next(p for p in signed.get_json()["projections"] if p["name"] == "change_requests")
    assert "boom on POISON pill" in row["stalled"]["error"]
    others = [p for p in report["projections"] if p["name"] != "change_requests"]
    assert others and all(p["stalled"] is None for p in others)

    admin = add_person(services, "admin", "management")
    login(client, admin)
    home = client.get("/").get_data(as_text=True)
    assert 'id="stalled-banner"' in home and "change_requests" in home
    assert f"at notification {stall['position']}" in home and "boom on POISON pill" in home
    page = client.get("/health")
    assert page.status_code == 503
    assert "boom on POISON pill" in page.get_data(as_text=True)


def test_members_see_no_banner_and_no_health_page(
        client: FlaskClient, services: Services, member: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    poison(services, monkeypatch, "POISON")
    client.post("/api/v1/change-requests", json=valid_change(title="POISON pill"),
                headers=bearer(member))
    login(client, member)
    assert 'id="stalled-banner"' not in client.get("/").get_data(as_text=True)
    assert client.get("/health").status_code == 403


def test_an_unreachable_store_is_503(client: FlaskClient, services: Services,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def down() -> int:
        raise ConnectionError("connection refused")

    monkeypatch.setattr(services.ledger.recorder, "max_notification_id", down)
    answer = client.get("/api/v1/health")
    assert answer.status_code == 503
    assert answer.get_json()["store"]["reachable"] is False


def test_the_endpoint_is_documented_without_security(client: FlaskClient) -> None:
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/health"]["get"]
    assert operation["security"] == []
    assert {"200", "503"} <= set(operation["responses"])


def test_sealing_stopped_at_a_forged_row_is_503_with_its_position(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    from tests.integration.audit.test_event_auth import forge_copy_of_last_row

    client.post("/api/v1/change-requests", json=valid_change(), headers=bearer(member))
    assert client.get("/api/v1/health").get_json()["sealing"]["blocked_at"] is None
    forged = forge_copy_of_last_row(services)
    services.audit.seal()  # what the background loop does every few seconds

    anonymous = client.get("/api/v1/health")
    signed = client.get("/api/v1/health", headers=bearer(member))

    assert anonymous.status_code == signed.status_code == 503
    assert anonymous.get_json()["ok"] is False
    assert anonymous.get_json()["sealing"] == {"blocked_at": forged, "reason": None}
    assert signed.get_json()["sealing"]["blocked_at"] == forged
    assert "does not match" in signed.get_json()["sealing"]["reason"]
