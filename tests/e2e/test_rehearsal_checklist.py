"""Running a three-step rehearsal from the live checklist page in a real browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STEPS = [("Tag the release", "5"), ("Run migrations", "20"), ("Deploy the canary", "10")]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_member_runs_a_three_step_rehearsal_from_the_checklist(
        page: Any, member: dict[str, Any], clock: Any) -> None:
    page.goto("/")
    page.fill("#email", member["email"])
    page.fill("#password", member["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    page.click("nav >> text=Rehearsals")
    page.click("text=Plan a rehearsal")
    page.fill("#release_version", "7.0.0")
    page.fill("#environment", "staging-eu")
    for n, (name, minutes) in enumerate(STEPS, start=1):
        page.fill(f"#step_name_{n}", name)
        page.fill(f"#step_minutes_{n}", minutes)
    page.click("button:has-text('Plan the rehearsal')")
    page.wait_for_selector("text=Rehearsal planned.")

    # no pre-flight checks recorded: the first start records an override with its reason
    page.fill("#step-1 form:has(button.start) input[name=reason]", "checks run by hand")
    for number in range(1, 4):
        page.click(f"#step-{number} button.start")
        page.wait_for_selector(f"#step-{number}.running")
        running_clock = page.locator(f"#step-{number} .clock")
        page.wait_for_function(
            "el => /^(\\d+h )?(\\d+m )?\\d+s$/.test(el.textContent)",
            arg=running_clock.element_handle())  # the inline script ticks the clock
        clock.advance(minutes=int(STEPS[number - 1][1]) + number)
        page.click(f"#step-{number} button.finish")
        page.wait_for_selector(f"#step-{number}.finished")

    assert page.inner_text("#status") == "Completed"
    rows = page.locator("#checklist tbody tr")
    assert rows.count() == 3
    assert re.search(r"\+1m 00s \(\+20\.0%\)", rows.nth(0).inner_text())
    assert "+3m 00s (+30.0%)" in rows.nth(2).inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rehearsal-checklist.png"), full_page=True)

    page.click("nav.tabs >> text=Report")
    report = page.inner_text("#report")
    for name, _ in STEPS:
        assert name in report
