"""A review lead's journey in a real browser: record a launch, record the first review,
be refused finalising until the open action item carried into it (one linked to the launch; an
unrelated item does not count) has a status update, then finalise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.reviews.queries import list_launches

if TYPE_CHECKING:
    from app.bootstrap import Services

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_member_records_a_review_and_finalises_it(
        page: Any, services: Services, member: dict[str, Any]) -> None:
    page.goto("/")
    page.fill("#email", member["email"])
    page.fill("#password", member["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    page.click("header >> text=Action items & reviews")
    page.click("nav.subnav >> text=Launches")
    page.fill("#name", "New checkout")
    page.fill("#system", "checkout")
    page.fill("#launch_date", "2026-03-02")
    page.click("button:has-text('Record launch')")
    page.wait_for_selector("text=Launch recorded")
    launch = next(x for x in list_launches(services.engine) if x["name"] == "New checkout")
    with services.ledger.acting_as(member["id"]):  # carried into the launch's reviews
        services.actions.create_action_item(title="Add a pool-size alert", owner_id=member["id"],
                                           priority="P1", source_type="launch",
                                           source_id=launch["id"])
        services.actions.create_action_item(title="Unrelated to this launch",
                                            owner_id=member["id"], source_type="incident")
    page.click("#schedule >> text=Tue 2026-03-03")

    page.click("summary:has-text('Enter metrics')")
    page.fill("#uptime_pct", "99.95")
    page.fill("#error_rate_pct", "1.4")
    page.fill("#p95_ms", "870")
    page.fill("#active_users", "640")
    page.fill("#tickets_high", "2")
    page.click("button:has-text('Save metrics')")
    page.wait_for_selector("text=Metrics recorded.")
    assert "missed" in page.inner_text("#metrics")

    page.click("button:has-text('Finalise review')")
    page.wait_for_selector("text=Not finalised")
    assert "Add a pool-size alert" in page.inner_text("#missing-updates")
    assert "Unrelated to this launch" not in page.inner_text("#missing-updates")

    form = page.locator("form[aria-label='Status update for Add a pool-size alert']")
    form.locator("select").select_option("in_progress")
    form.locator("input[name=note]").fill("alert drafted, in review")
    form.locator("button").click()
    page.wait_for_selector("text=Status update recorded.")
    page.click("button:has-text('Finalise review')")
    page.wait_for_selector("text=Review finalised.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "post-launch-review.png"), full_page=True)

    assert "Finalised" in page.inner_text("h1")
    assert "alert drafted, in review" in page.inner_text("#action-items")
    page.click("text=Document")
    assert "Post-Launch Review - 2026-03-03" in page.inner_text("#document h2")
