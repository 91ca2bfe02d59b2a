"""A team member's journey in a real browser: sign in, submit, list, history, withdraw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_member_submits_a_change_request_and_reads_its_history(
        page: Any, member: dict[str, Any]) -> None:
    page.goto("/")
    page.fill("#email", member["email"])
    page.fill("#password", member["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    page.click("text=Submit a change request")
    page.fill("#title", "Resize the search cluster")
    page.fill("#description", "Add two data nodes ahead of the sale.")
    page.select_option("#risk", "high")
    page.fill("#systems", "search, api")
    page.fill("#planned_start", "2026-05-04T22:00")
    page.fill("#planned_end", "2026-05-04T23:30")
    page.fill("#rollback_plan", "Drain and remove the new nodes.")
    page.click("button:has-text('Submit')")
    page.wait_for_selector("text=Change request submitted.")

    page.click("text=Change requests")
    row = page.locator("table.list tr", has_text="Resize the search cluster")
    assert row.count() == 1
    assert "High" in row.inner_text()

    row.locator("a").click()
    page.fill("#reason", "postponed after the sale")
    page.click("button:has-text('Withdraw')")
    page.wait_for_selector("#history")
    history = page.inner_text("#history")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "change-request-history.png"), full_page=True)

    assert "Change request submitted" in history and "Withdrawn" in history
    assert "postponed after the sale" in history
    assert "Maria Member" in history
