"""A board meeting run in a real browser: attendance, a proxy, votes, decision, minutes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from app.bootstrap import Services

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def sign_in(page: Any, person: dict[str, Any]) -> None:
    page.goto("/auth/login")
    page.fill("#email", person["email"])
    page.fill("#password", person["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def sign_out(page: Any) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/auth/login**")


def check_in(page: Any) -> None:
    page.click("form[aria-label='Check in'] button")
    page.wait_for_selector("text=Attendance recorded.")


def vote(page: Any, change_id: str, choice: str, on_behalf_of: str = "") -> None:
    form = page.locator(f"[id='{change_id}'] form[aria-label='Vote']")
    form.locator("select[name=choice]").select_option(choice)
    form.locator("select[name=on_behalf_of]").select_option(on_behalf_of)
    form.locator("button").click()
    page.wait_for_selector("text=Vote recorded.")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_members_run_a_meeting_with_a_proxy_and_the_chair_decides_and_reads_the_minutes(
        page: Any, services: Services) -> None:
    ccb = running_meeting(services, attend=0)
    chair, paul, sara, quinn = ccb.people[0], ccb.people[1], ccb.people[2], ccb.people[4]
    change, meeting = ccb.changes[0], f"/meetings/{ccb.meeting_id}"

    sign_in(page, quinn)
    page.goto(meeting)
    page.select_option("#holder_id", paul["id"])
    page.click("form[aria-label='Give a proxy'] button")
    page.wait_for_selector("text=Proxy given.")
    sign_out(page)

    sign_in(page, paul)
    page.goto(meeting)
    check_in(page)
    vote(page, change, "approve")
    vote(page, change, "reject", on_behalf_of=quinn["id"])
    sign_out(page)

    sign_in(page, sara)
    page.goto(meeting)
    check_in(page)
    vote(page, change, "approve")
    sign_out(page)

    sign_in(page, chair)
    page.click("text=Boards")
    page.click("text=Platform CCB")
    page.click("#meetings table a")
    check_in(page)
    page.click(f"[id='{change}'] button:has-text('Decide')")
    page.wait_for_selector("text=Outcome: approved.")
    page.click("#close-confirm summary")
    page.click("#close-confirm button:has-text('Close the meeting')")
    page.wait_for_selector("#meeting-status:has-text('closed')")
    page.click("a:has-text('Minutes')")
    minutes = page.inner_text("#minutes")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ccb-minutes.png"), full_page=True)

    assert "APPROVED" in minutes
    assert "Quinn QA (qa): Reject (by proxy: Paul Product for Quinn QA)" in minutes
    assert "2 approve, 1 reject, 0 abstain" in minutes
