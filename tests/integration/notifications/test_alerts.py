"""Inbound alerts: Alertmanager (webhook v4) and PagerDuty Events v2 open, feed, acknowledge
and resolve incidents on the integration's rotation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from app.notifications.worker import Worker
from app.oncall.queries import get_incident, list_incidents
from domain.notifications.integration import AlertSource, Integration
from domain.oncall.incident import Incident
from tests.conftest import bearer, event_count

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock
    from tests.support.receivers import SmtpServer


def integration(client: FlaskClient, team: dict[str, Any], kind: str) -> dict[str, Any]:
    response = client.post("/api/v1/integrations", headers=bearer(team["admin"]), json={
        "name": "Prometheus" if kind == "alertmanager" else "Datadog",
        "rotation_id": team["rotation_id"], "kind": kind})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def alertmanager(status: str, fingerprint: str = "c0ffee01", **labels: str) -> dict[str, Any]:
    return {"version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "status": status,
            "receiver": "govledger", "groupLabels": {"alertname": "HighErrorRate"},
            "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            "truncatedAlerts": 0,
            "alerts": [{"status": status, "fingerprint": fingerprint,
                        "labels": {"alertname": "HighErrorRate", "severity": "critical",
                                   "service": "checkout", **labels},
                        "annotations": {"summary": "Checkout error rate above 5%"},
                        "startsAt": "2026-03-02T08:59:00Z", "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prometheus:9090/graph"}]}


def events_v2(key: str, action: str, dedup_key: str = "db-primary-down") -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": key, "event_action": action, "dedup_key": dedup_key}
    if action == "trigger":
        body["payload"] = {"summary": "Primary database unreachable", "source": "db-01",
                           "severity": "error", "component": "postgres",
                           "custom_details": {"replica_lag_s": 12}}
    return body


def incidents(services: Services) -> list[dict[str, Any]]:
    services.projections.catch_up()
    return list_incidents(services.engine)


class TestIntegrations:
    def test_the_key_is_shown_once_and_kept_only_as_a_hash(
            self, client: FlaskClient, team: dict[str, Any], services: Services) -> None:
        created = integration(client, team, "alertmanager")

        listed = client.get("/api/v1/integrations", headers=bearer(team["admin"])).get_json()
        history = services.ledger.history(Integration, created["id"])

        assert created["key"].startswith("gli_") and created["kind"] == "alertmanager"
        assert [i.get("key") for i in listed["items"]] == [None]
        assert created["key"] not in str(history)
        assert history[0]["data"]["key_hash"] == "[redacted]"

    def test_only_admins_create_integrations(self, client: FlaskClient,
                                             team: dict[str, Any]) -> None:
        response = client.post("/api/v1/integrations", headers=bearer(team["people"][0]), json={
            "name": "Prometheus", "rotation_id": team["rotation_id"], "kind": "alertmanager"})

        assert response.status_code == 403


class TestAlertmanager:
    def test_a_firing_alert_opens_one_incident_a_repeat_opens_none_resolved_resolves_it(
            self, client: FlaskClient, team: dict[str, Any], services: Services) -> None:
        key = integration(client, team, "alertmanager")["key"]
        url = f"/api/v1/integrations/alertmanager?key={key}"

        opened = client.post(url, json=alertmanager("firing"))
        repeat = client.post(url, json=alertmanager("firing"))
        after_repeat = incidents(services)
        resolved = client.post(url, json=alertmanager("resolved"))

        assert (opened.status_code, repeat.status_code, resolved.status_code) == (200, 200, 200)
        [outcome] = opened.get_json()["alerts"]
        assert outcome["outcome"] == "opened"
        assert repeat.get_json()["alerts"][0] == {**outcome, "outcome": "added_to_timeline"}
        assert resolved.get_json()["alerts"][0]["outcome"] == "resolved"
        [incident] = after_repeat
        assert (incident["title"], incident["severity"]) == ("Checkout error rate above 5%", "P0")
        detail = get_incident(services.engine, outcome["incident_id"])
        assert detail["status"] == "resolved"
        alerts = [e for e in services.ledger.history(Incident, outcome["incident_id"])
                  if e["type"] == "AlertReceived"]
        assert [a["data"]["action"] for a in alerts] == ["trigger", "trigger", "resolve"]
        assert alerts[0]["data"]["labels"]["service"] == "checkout"
        assert alerts[0]["data"]["dedup_key"] == "c0ffee01"

    def test_a_new_firing_after_resolution_opens_a_new_incident(
            self, client: FlaskClient, team: dict[str, Any], services: Services) -> None:
        key = integration(client, team, "alertmanager")["key"]
        url = f"/api/v1/integrations/alertmanager?key={key}"

        for status in ("firing", "resolved", "firing"):
            client.post(url, json=alertmanager(status))

        assert sorted(i["status"] for i in incidents(services)) == ["paged", "resolved"]

    def test_the_key_may_come_as_a_bearer_token(
            self, client: FlaskClient, team: dict[str, Any], services: Services) -> None:
        key = integration(client, team, "alertmanager")["key"]

        response = client.post("/api/v1/integrations/alertmanager", json=alertmanager("firing"),
                               headers={"Authorization": f"Bearer {key}"})

        assert response.status_code == 200 and len(incidents(services)) == 1

    def test_every_alert_received_is_an_event(
            self, client: FlaskClient, team: dict[str, Any], services: Services) -> None:
        created = integration(client, team, "alertmanager")
        url = f"/api/v1/integrations/alertmanager?key={created['key']}"

        client.post(url, json=alertmanager("firing"))
        client.post(url, json=alertmanager("firing"))
        client.post(url, json=alertmanager("resolved", fingerprint="never-fired"))

        sources = [services.ledger.load(AlertSource, AlertSource.create_id(created["id"], f))
                   for f in ("c0ffee01", "never-fired")]
        received = [e for s in sources for e in services.ledger.repository.event_store.get(s.id)
                    if isinstance(e, AlertSource.AlertReceived)]
        assert [(e.action, e.opened) for e in received] == [
            ("trigger", True), ("trigger", False), ("resolve", False)]
        listed = client.get("/api/v1/integrations", headers=bearer(team["admin"])).get_json()
        assert listed["items"][0]["alerts"] == 3

    def test_a_triggered_alert_pages_the_primary(
            self, client: FlaskClient, team: dict[str, Any], services: Services,
            smtp: SmtpServer, clock: FakeClock) -> None:
        key = integration(client, team, "alertmanager")["key"]

        client.post(f"/api/v1/integrations/alertmanager?key={key}", json=alertmanager("firing"))
        Worker(services).tick(clock.now)

        [page] = smtp.to(team["primary_email"])
        assert "[P0] Checkout error rate above 5%" in page["Subject"]

    @pytest.mark.parametrize("key", ["", "nonsense", "gli_" + "0" * 32 + "_secret"])
    def test_a_bad_key_is_401_in_the_error_shape_and_appends_nothing(
            self, client: FlaskClient, team: dict[str, Any], services: Services,
            key: str) -> None:
        integration(client, team, "alertmanager")
        before = event_count(services)

        response = client.post(f"/api/v1/integrations/alertmanager?key={key}",
                               json=alertmanager("firing"))

        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_integration_key"
        assert event_count(services) == before

    def test_an_events_v2_key_is_not_an_alertmanager_key(
            self, client: FlaskClient, team: dict[str, Any]) -> None:
        key = integration(client, team, "events_v2")["key"]

        response = client.post(f"/api/v1/integrations/alertmanager?key={key}",
                               json=alertmanager("firing"))

        assert response.status_code == 401

    @pytest.mark.parametrize(("body", "field"), [
        ({"version": "4", "status": "firing"}, "alerts"),
        ({"alerts": [{"status": "burning", "labels": {}}]}, "alerts"),
        ({"alerts": "all of them"}, "alerts"),
        ({"alerts": [{"status": "firing", "labels": {"a": 1}}]}, "alerts"),
    ])
    def test_a_malformed_payload_is_422_naming_the_field_and_appends_nothing(
            self, client: FlaskClient, team: dict[str, Any], services: Services,
            body: dict[str, Any], field: str) -> None:
        key = integration(client, team, "alertmanager")["key"]
        before = event_count(services)

        response = client.post(f"/api/v1/integrations/alertmanager?key={key}", json=body)

        assert response.status_code == 422
        assert field in response.get_json()["error"]["details"]
        assert event_count(services) == before


class TestEventsV2:
    def test_trigger_repeat_acknowledge_and_resolve_follow_the_dedup_key(
            self, client: FlaskClient, team: dict[str, Any], services: Services) -> None:
        key = integration(client, team, "events_v2")["key"]
        url = "/api/v1/integrations/events-v2"

        triggered = client.post(url, json=events_v2(key, "trigger"))
        again = client.post(url, json=events_v2(key, "trigger"))
        after_repeat = incidents(services)
        acknowledged = client.post(url, json=events_v2(key, "acknowledge"))
        status_after_ack = incidents(services)[0]["status"]
        resolved = client.post(url, json=events_v2(key, "resolve"))

        assert [r.status_code for r in (triggered, again, acknowledged, resolved)] == [202] * 4
        body = triggered.get_json()
        assert (body["status"], body["dedup_key"], body["outcome"]) == (
            "success", "db-primary-down", "opened")
        assert again.get_json()["outcome"] == "added_to_timeline"
        [incident] = after_repeat
        assert (incident["severity"], incident["title"]) == ("P1", "Primary database unreachable")
        assert status_after_ack == "acknowledged"
        assert resolved.get_json()["outcome"] == "resolved"
        assert get_incident(services.engine, body["incident_id"])["status"] == "resolved"

    def test_a_trigger_without_dedup_key_gets_one_back(
            self, client: FlaskClient, team: dict[str, Any], services: Services) -> None:
        key = integration(client, team, "events_v2")["key"]
        body = events_v2(key, "trigger")
        del body["dedup_key"]

        response = client.post("/api/v1/integrations/events-v2", json=body)

        assert response.status_code == 202 and len(response.get_json()["dedup_key"]) == 32

    def test_a_wrong_routing_key_is_401(self, client: FlaskClient, team: dict[str, Any],
                                        services: Services) -> None:
        integration(client, team, "events_v2")
        before = event_count(services)

        response = client.post("/api/v1/integrations/events-v2",
                               json=events_v2("R0UT1NGK3Y", "trigger"))

        assert response.status_code == 401 and event_count(services) == before

    @pytest.mark.parametrize(("change", "field"), [
        ({"event_action": "explode"}, "event_action"),
        ({"payload": None}, "payload"),
        ({"payload": {"summary": "x", "source": "y", "severity": "apocalyptic"}}, "payload"),
        ({"routing_key": ""}, "routing_key"),
    ])
    def test_a_malformed_event_is_422_naming_the_field(
            self, client: FlaskClient, team: dict[str, Any], services: Services,
            change: dict[str, Any], field: str) -> None:
        key = integration(client, team, "events_v2")["key"]
        body = {**events_v2(key, "trigger"), **change}
        before = event_count(services)

        response = client.post("/api/v1/integrations/events-v2", json=body)

        assert response.status_code == 422
        assert field in response.get_json()["error"]["details"]
        assert event_count(services) == before

    def test_resolve_needs_the_dedup_key(self, client: FlaskClient, team: dict[str, Any]) -> None:
        key = integration(client, team, "events_v2")["key"]

        response = client.post("/api/v1/integrations/events-v2",
                               json={"routing_key": key, "event_action": "resolve"})

        assert response.status_code == 422
        assert "dedup_key" in response.get_json()["error"]["details"]


def test_two_copies_of_a_first_alert_at_once_open_one_incident(
        client: FlaskClient, team: dict[str, Any], services: Services, database_url: str,
        tmp_path: Any) -> None:
    import threading

    from app.bootstrap import bootstrap
    from app.config import load_settings

    key = integration(client, team, "events_v2")["key"]
    other = bootstrap(load_settings(database_url=database_url, instance_path=tmp_path / "instance",
                                    password_cost="fast"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def send(svc: Services) -> None:
        try:
            barrier.wait()
            outcomes.append(svc.alerts.receive_events_v2(events_v2(key, "trigger"))["outcome"])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(s,)) for s in (services, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()

    assert errors == []
    assert sorted(outcomes) == ["added_to_timeline", "opened"]
    assert len(incidents(services)) == 1
