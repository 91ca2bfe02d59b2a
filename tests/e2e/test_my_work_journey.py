"""My work and the meeting page in a real browser: what waits for a member (a vote, a page, an
overdue action item) with working links; a refused vote explained next to its item; a close
confirmed with the items it defers."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.test_ccb_meeting_journey import sign_in
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from app.bootstrap import Services
    from tests.conftest import FakeClock

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_member_sees_a_pending_vote_a_page_and_an_overdue_item_and_follows_each_link(
        page: Any, services: Services, clock: FakeClock) -> None:
    ccb = running_meeting(services, attend=5)
    with ccb.as_(ccb.admin):
        rotation = services.oncall.create_rotation(name="Platform", timezone="Europe/Berlin",
                                                   roster=ccb.ids())
        first = services.oncall.plan_rotation(rotation["id"], weeks=4)["shifts"][0]
    me = next(p for p in ccb.people if p["id"] == first["primary_id"])
    with ccb.as_(ccb.admin):
        incident = services.oncall.open_incident(rotation["id"], title="Checkout returns 500",
                                                 severity="P1", category="api")["id"]
        item = services.actions.create_action_item(
            title="Rotate the leaked key", owner_id=me["id"], priority="P1",
            due=clock.now.date() + timedelta(days=1))["id"]
    clock.advance(days=3)

    sign_in(page, me)
    page.goto("/")

    vote = page.locator("#tasks-vote li a", has_text="Vote on Change number 1")
    paged = page.locator("#tasks-incident li a",
                         has_text="Acknowledge P1 incident: Checkout returns 500")
    overdue = page.locator("#tasks-action_item li.overdue a",
                           has_text="P1 action item: Rotate the leaked key")
    assert vote.count() == 1 and paged.count() == 1 and overdue.count() == 1
    assert page.locator("#tasks-action_item li.overdue .badge.overdue").count() == 1
    total = int(page.inner_text("#nav-my-work .count"))
    assert total == len(page.locator("#my-work li.task").all()) and total >= 3

    vote.click()
    page.wait_for_url(f"**/meetings/{ccb.meeting_id}#{ccb.changes[0]}")
    assert page.locator(f"[id='{ccb.changes[0]}'] form[aria-label='Vote']").is_visible()
    page.goto("/")
    page.locator("#tasks-incident li a").first.click()
    page.wait_for_url(f"**/oncall/incidents/{incident}")
    page.goto("/")
    page.locator("#tasks-action_item li a").first.click()
    page.wait_for_url(f"**/action-items/{item}")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_refused_vote_shows_its_reason_next_to_the_item(
        page: Any, services: Services) -> None:
    ccb = running_meeting(services, n_changes=2, attend=5)
    first, second = ccb.changes
    for person in ccb.people[:3]:
        ccb.vote(person, second, "approve")
    quinn = ccb.people[4]
    sign_in(page, quinn)
    page.goto(f"/meetings/{ccb.meeting_id}")
    form = page.locator(f"[id='{second}'] form[aria-label='Vote']")
    assert form.is_visible()

    ccb.decide(second)  # the chair decides while Quinn's page still offers the vote
    form.locator("select[name=choice]").select_option("reject")
    form.locator("button").click()

    refusal = page.locator(f"[id='{second}'] .item-refusal")
    refusal.wait_for()
    assert "Refused: This item has already been decided." in refusal.inner_text()
    assert refusal.is_visible() and refusal.get_attribute("role") == "alert"
    assert page.locator(f"[id='{first}'] .item-refusal").count() == 0
    assert page.url.endswith(f"#{second}")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_closing_asks_first_and_lists_the_items_it_will_defer(
        page: Any, services: Services) -> None:
    ccb = running_meeting(services, n_changes=3, attend=5)
    decided = ccb.changes[0]
    for person in ccb.people[:3]:
        ccb.vote(person, decided, "approve")
    ccb.decide(decided)
    sign_in(page, ccb.chair)
    page.goto(f"/meetings/{ccb.meeting_id}")

    confirm = page.locator("#close-confirm button:has-text('Close the meeting')")
    assert not confirm.is_visible()  # a first click only opens the confirmation
    page.click("#close-confirm summary")
    listed = page.locator("#deferred-items li").all_inner_texts()
    assert listed == ["Change number 2", "Change number 3"]
    assert confirm.inner_text() == "Close the meeting and defer 2"
    confirm.click()

    page.wait_for_selector("#meeting-status:has-text('closed')")
    for change_id in ccb.changes[1:]:
        assert "Deferred to the next meeting" in page.inner_text(f"[id='{change_id}']")
