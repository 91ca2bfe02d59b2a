"""Webhooks: registered by admins, deliveries signed with the secret, retried on failure."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from app.notifications.channels import verify
from app.notifications.worker import Worker
from tests.conftest import bearer, event_count
from tests.integration.notifications.conftest import open_incident
from tests.support.receivers import WebhookReceiver

if TYPE_CHECKING:
    from collections.abc import Iterator

    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock

SECRET = "a-long-shared-secret-0123456789"


@pytest.fixture
def receiver(services: Services) -> Iterator[WebhookReceiver]:
    """A loopback receiver; the services may target private addresses (as the test asks)."""
    services.settings.webhook_allow_private = True
    server = WebhookReceiver().start()
    yield server
    server.stop()


def register(client: FlaskClient, admin: dict[str, Any], url: str, events: list[str],
             **extra: Any) -> Any:
    return client.post("/api/v1/webhooks", headers=bearer(admin),
                       json={"url": url, "events": events, "secret": SECRET, **extra})


class TestRegistration:
    def test_loopback_and_private_targets_are_refused_by_default(
            self, client: FlaskClient, team: dict[str, Any], services: Services) -> None:
        before = event_count(services)
        answers = [register(client, team["admin"], url, ["*"]) for url in (
            "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/hook",
            "http://169.254.169.254/latest/meta-data", "http://[::1]/hook")]

        assert [a.status_code for a in answers] == [422] * 5
        assert all("url" in a.get_json()["error"]["details"] for a in answers)
        assert event_count(services) == before

    @pytest.mark.parametrize(("body", "field"), [
        ({"events": ["incident.exploded"]}, "events"),
        ({"events": []}, "events"),
        ({"secret": "short"}, "secret"),
        ({"url": "ftp://example.org/x"}, "url"),
        ({"format": "xml"}, "format"),
    ])
    def test_bad_registrations_are_422_naming_the_field(
            self, client: FlaskClient, team: dict[str, Any], receiver: WebhookReceiver,
            body: dict[str, Any], field: str) -> None:
        response = client.post("/api/v1/webhooks", headers=bearer(team["admin"]), json={
            "url": receiver.url, "events": ["*"], "secret": SECRET, **body})

        assert response.status_code == 422
        assert field in response.get_json()["error"]["details"]

    def test_only_admins_register_webhooks_and_the_secret_is_never_shown(
            self, client: FlaskClient, team: dict[str, Any], receiver: WebhookReceiver,
            services: Services) -> None:
        refused = register(client, team["people"][0], receiver.url, ["*"])
        created = register(client, team["admin"], receiver.url, ["incident.opened"])
        listed = client.get("/api/v1/webhooks", headers=bearer(team["admin"]))

        member_list = client.get("/api/v1/webhooks", headers=bearer(team["people"][0]))

        assert refused.status_code == 403 and created.status_code == 201
        assert member_list.status_code == 403
        assert SECRET not in created.get_data(as_text=True) + listed.get_data(as_text=True)
        from domain.notifications.webhook import Webhook

        assert SECRET not in str(services.ledger.history(Webhook, created.get_json()["id"]))

    def test_the_event_names_are_an_enum_in_the_openapi_document(
            self, client: FlaskClient) -> None:
        document = client.get("/api/v1/openapi.json").get_json()

        events = document["components"]["schemas"]["WebhookInput"]["properties"]["events"]
        assert {"*", "incident.opened", "incident.escalated", "action_item.assigned"} <= set(
            events["items"]["enum"])


class TestDeliveries:
    def test_deliveries_are_signed_with_the_secret_and_carry_a_timestamp(
            self, client: FlaskClient, team: dict[str, Any], receiver: WebhookReceiver,
            services: Services, clock: FakeClock) -> None:
        register(client, team["admin"], receiver.url, ["incident.opened", "incident.paged"])
        incident_id = open_incident(services, team)

        Worker(services).tick(clock.now)

        assert [r["headers"]["X-Govledger-Event"] for r in receiver.requests] == [
            "incident.opened", "incident.paged"]
        for request in receiver.requests:
            signature = request["headers"]["X-Govledger-Signature"]
            assert signature.startswith("sha256=")
            assert verify(SECRET, request["body"], signature)
            assert not verify("the-wrong-secret-0123456789", request["body"], signature)
            assert int(request["headers"]["X-Govledger-Timestamp"]) == int(clock.now.timestamp())
        opened = json.loads(receiver.requests[0]["body"])
        assert opened["event"] == "incident.opened"
        assert opened["subject"] == {"type": "incident", "id": incident_id,
                                     "title": "[P1] Checkout returns 500"}
        assert opened["record"]["severity"] == "P1"
        assert opened["link"].endswith(f"/oncall/incidents/{incident_id}")

    def test_a_500_from_the_receiver_is_retried_and_the_attempts_are_listed(
            self, client: FlaskClient, team: dict[str, Any], receiver: WebhookReceiver,
            services: Services, clock: FakeClock) -> None:
        receiver.statuses = [500]
        hook = register(client, team["admin"], receiver.url, ["incident.opened"]).get_json()
        open_incident(services, team)
        worker = Worker(services)

        worker.tick(clock.now)
        worker.tick(clock.now + timedelta(minutes=2))
        deliveries = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                                headers=bearer(team["admin"])).get_json()["items"]

        assert len(receiver.requests) == 2
        assert receiver.requests[0]["body"] != b"" and all(
            verify(SECRET, r["body"], r["headers"]["X-Govledger-Signature"])
            for r in receiver.requests)
        [delivery] = deliveries
        assert delivery["status"] == "delivered" and delivery["attempts"] == 2
        assert [a["outcome"] for a in delivery["attempt_log"]] == ["failed", "delivered"]
        assert "HTTP 500" in delivery["attempt_log"][0]["detail"]

    def test_only_the_subscribed_events_are_delivered(
            self, client: FlaskClient, team: dict[str, Any], receiver: WebhookReceiver,
            services: Services, clock: FakeClock) -> None:
        register(client, team["admin"], receiver.url, ["incident.escalated"])
        open_incident(services, team)
        worker = Worker(services)

        worker.tick(clock.now)
        before = len(receiver.requests)
        worker.tick(clock.now + timedelta(minutes=15))

        assert before == 0
        [escalated] = receiver.bodies()
        assert escalated["event"] == "incident.escalated"
        assert escalated["record"]["trigger"] == "not_acknowledged"

    def test_a_slack_compatible_webhook_gets_a_text_body(
            self, client: FlaskClient, team: dict[str, Any], receiver: WebhookReceiver,
            services: Services, clock: FakeClock) -> None:
        register(client, team["admin"], receiver.url, ["incident.opened"], format="slack")
        open_incident(services, team)

        Worker(services).tick(clock.now)

        [body] = receiver.bodies()
        assert list(body) == ["text"] and "Checkout returns 500" in body["text"]

    def test_a_removed_webhook_gets_nothing_more(
            self, client: FlaskClient, team: dict[str, Any], receiver: WebhookReceiver,
            services: Services, clock: FakeClock) -> None:
        hook = register(client, team["admin"], receiver.url, ["*"]).get_json()
        removed = client.delete(f"/api/v1/webhooks/{hook['id']}", headers=bearer(team["admin"]))
        open_incident(services, team)

        Worker(services).tick(clock.now)

        assert removed.status_code == 200 and removed.get_json()["active"] is False
        assert receiver.requests == []
