"""Fixtures of the notification tests: a planned rotation, a real SMTP server, a worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from app.notifications.worker import Worker
from tests.conftest import add_person
from tests.support.receivers import SmtpServer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.bootstrap import Services


@pytest.fixture
def team(services: Services, admin: dict[str, Any]) -> dict[str, Any]:
    """A three-person rotation planned four weeks from the clock's Monday, with a lead."""
    people = [add_person(services, name=n) for n in ("Ana", "Ben", "Cai")]
    lead = add_person(services, name="Lea Lead")
    with services.ledger.acting_as(admin["id"]):
        rotation = services.oncall.create_rotation(name="Platform", timezone="Europe/Berlin",
                                                   roster=[p["id"] for p in people])
        shifts = services.oncall.plan_rotation(rotation["id"], weeks=4)["shifts"]
        services.oncall.change_escalation_policy(rotation["id"], engineering_lead_id=lead["id"])
    emails = {p["id"]: p["email"] for p in [*people, lead]}
    primary, secondary = shifts[0]["primary_id"], shifts[0]["secondary_id"]
    return {"rotation_id": rotation["id"], "people": people, "lead": lead, "admin": admin,
            "primary": primary, "secondary": secondary, "emails": emails,
            "primary_email": emails[primary], "secondary_email": emails[secondary]}


@pytest.fixture
def smtp(services: Services) -> Iterator[SmtpServer]:
    """A real SMTP server on a loopback port; the services send to it."""
    server = SmtpServer().start()
    services.settings.smtp_url = server.url
    services.settings.mail_from = "govledger@example.org"
    yield server
    server.stop()


@pytest.fixture
def worker(services: Services, smtp: SmtpServer) -> Worker:
    """A notification worker over the test services (ticked by hand)."""
    return Worker(services, interval=0.05)


def open_incident(services: Services, team: dict[str, Any], **fields: Any) -> str:
    """Open an incident on the team's rotation as its first member."""
    body = {"title": "Checkout returns 500", "severity": "P1", "category": "api"}
    body.update(fields)
    with services.ledger.acting_as(team["people"][0]["id"]):
        return services.oncall.open_incident(team["rotation_id"], **body)["id"]
