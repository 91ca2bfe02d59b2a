"""An auditor's journey in a real browser: verify the ledger, look at the past, come back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.changes.schemas import ChangeRequestInputSchema
from tests.conftest import valid_change

if TYPE_CHECKING:
    from app.bootstrap import Services
    from tests.conftest import FakeClock

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_auditor_verifies_the_ledger_and_views_it_as_of_a_past_moment(
        page: Any, services: Services, member: dict[str, Any], auditor: dict[str, Any],
        clock: FakeClock) -> None:
    past = clock.now + timedelta(minutes=30)
    clock.advance(hours=1)
    with services.ledger.acting_as(member["id"]):
        services.changes.submit_change_request(**ChangeRequestInputSchema().load(
            valid_change(title="Rotate the vault keys")))
    services.audit.seal(force=True)

    page.goto("/")
    page.fill("#email", auditor["email"])
    page.fill("#password", auditor["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.click("nav >> text=Audit")
    page.click("button:has-text('Verify the whole ledger')")
    page.wait_for_selector("text=Intact.")

    page.click("nav >> text=Change requests")
    assert page.locator("table.list", has_text="Rotate the vault keys").count() == 1
    page.fill("input[name=as_of]", past.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("button:has-text('View as of')")
    page.wait_for_selector("#as-of-banner")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "as-of-view.png"), full_page=True)
    assert "Rotate the vault keys" not in page.inner_text("main")

    page.click("#as-of-banner >> text=Back to now")
    page.wait_for_selector("text=Rotate the vault keys")
    assert page.locator("#as-of-banner").count() == 0
