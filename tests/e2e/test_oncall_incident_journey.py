"""An on-call engineer in a real browser: open an incident from the form, acknowledge it, read
the timeline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import add_person

if TYPE_CHECKING:
    from app.bootstrap import Services

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def rotation(services: Services, admin: dict[str, Any], member: dict[str, Any]) -> str:
    """A planned rotation with the member as one of two people."""
    other = add_person(services, name="Omar Other")
    with services.ledger.acting_as(admin["id"]):
        rid = services.oncall.create_rotation(name="Platform", timezone="Europe/Berlin",
                                              roster=[member["id"], other["id"]])["id"]
        services.oncall.plan_rotation(rid, weeks=4)
    return rid


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_member_opens_an_incident_acknowledges_it_and_reads_the_timeline(
        page: Any, member: dict[str, Any], rotation: str) -> None:
    page.goto("/")
    page.fill("#email", member["email"])
    page.fill("#password", member["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    page.click("header >> text=On-call")
    page.click("text=Open an incident")
    page.fill("#title", "Checkout returns 500")
    page.select_option("#severity", "P1")
    page.select_option("#category", "api")
    page.fill("#affected_users_percent", "20")
    page.click("button:has-text('Open incident')")
    page.wait_for_selector("text=Incident opened")
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("text=Incident acknowledged")

    timeline = page.inner_text("#timeline")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "incident-timeline.png"), full_page=True)

    assert page.inner_text("#status") == "Acknowledged"
    assert "opened" in timeline and "paged" in timeline and "acknowledged" in timeline
    assert "Maria Member" in timeline
