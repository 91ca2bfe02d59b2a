"""The meeting page: live quorum with what is missing, the tally, only the actions that apply
now (the reason where one does not), refusals inside the item, and a close that is confirmed
with the items it will defer."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.conftest import csrf_token, event_count, login
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def post(client: FlaskClient, path: str, page: str, **data: Any) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def item_block(html: str, change_id: str) -> str:
    match = re.search(rf'<article class="item" id="{change_id}">(.*?)</article>', html, re.S)
    assert match, f"no agenda item {change_id} on the page"
    return match.group(1)


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]* id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {section_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1)))


def test_the_quorum_panel_says_who_is_present_and_what_is_missing(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, attend=2)  # engineering and product of five functions
    login(client, ccb.chair)

    panel = section(client.get(f"/meetings/{ccb.meeting_id}").get_data(as_text=True),
                    "quorum")

    assert "Quorum: not met" in panel
    assert "Present: Erin Engineering (engineering), Paul Product (product)" in panel
    assert "needs 1 more member (2 of the 3 required are counted)" in panel
    assert "needs 1 more function among those counted (2 of 3: engineering, product)" in panel
    assert "no devops or qa or security representative present" in panel
    assert "Not checked in: Sara Security (security), Dev Ops (devops), Quinn QA (qa)" in panel

    ccb.attend(ccb.people[2])
    panel = section(client.get(f"/meetings/{ccb.meeting_id}").get_data(as_text=True),
                    "quorum")
    assert "Quorum: met" in panel and "Missing" not in panel


def test_without_quorum_the_chair_sees_why_instead_of_decide(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, attend=2)
    ccb.vote(ccb.people[1], ccb.changes[0], "approve")
    login(client, ccb.chair)

    block = item_block(client.get(f"/meetings/{ccb.meeting_id}").get_data(as_text=True),
                       ccb.changes[0])

    assert ">Decide<" not in block and "Cast the deciding vote" not in block
    assert "Cannot be decided yet: quorum is not met — needs 1 more member" in block
    assert "<strong>1</strong> approve · <strong>0</strong> reject" in block


def test_the_deciding_vote_is_offered_only_on_a_real_tie(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, n_changes=3, attend=5)
    zero, tied, ahead = ccb.changes
    paul, sara = ccb.people[1], ccb.people[2]
    ccb.vote(paul, tied, "approve")
    ccb.vote(sara, tied, "reject")
    ccb.vote(paul, ahead, "approve")
    login(client, ccb.chair)
    html = client.get(f"/meetings/{ccb.meeting_id}").get_data(as_text=True)

    assert "Cast the deciding vote" not in item_block(html, zero)
    assert ">Decide<" not in item_block(html, zero)
    assert "No approve or reject votes yet" in item_block(html, zero)
    assert "Cast the deciding vote" in item_block(html, tied)
    assert ">Decide<" not in item_block(html, tied)
    assert "Cast the deciding vote" not in item_block(html, ahead)
    assert ">Decide<" in item_block(html, ahead)


def test_an_absent_member_is_told_to_check_in_instead_of_a_vote_form(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, attend=3)
    login(client, ccb.people[4])

    block = item_block(client.get(f"/meetings/{ccb.meeting_id}").get_data(as_text=True),
                       ccb.changes[0])

    assert 'aria-label="Vote"' not in block
    assert "Check in (Attendance above) to vote." in block


def test_a_refused_vote_shows_its_reason_inside_the_item_and_appends_nothing(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, n_changes=2, attend=3)
    page = f"/meetings/{ccb.meeting_id}"
    first, second = ccb.changes
    login(client, ccb.people[4])  # not checked in
    before = event_count(services)

    response = post(client, f"{page}/items/{second}/votes", page, choice="approve")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page}#{second}")
    html = client.get(page).get_data(as_text=True)
    assert "Refused: Mark yourself present at the meeting first." in item_block(html, second)
    assert "Refused" not in item_block(html, first)
    assert 'class="flash error"' not in html  # not (only) at the top of the page
    assert event_count(services) == before
    assert "Refused" not in client.get(page).get_data(as_text=True)  # shown once


def test_a_refused_decide_says_what_quorum_lacks_next_to_the_item(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, attend=2)
    page = f"/meetings/{ccb.meeting_id}"
    login(client, ccb.chair)
    before = event_count(services)

    post(client, f"{page}/items/{ccb.changes[0]}/decide", page)

    block = item_block(client.get(page).get_data(as_text=True), ccb.changes[0])
    assert "Refused: The meeting does not have quorum yet — needs 1 more member" in block
    assert event_count(services) == before


def test_closing_asks_for_confirmation_listing_the_items_it_will_defer(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services, n_changes=2, attend=5)
    decided, undecided = ccb.changes
    for person in ccb.people[:3]:
        ccb.vote(person, decided, "approve")
    ccb.decide(decided)
    login(client, ccb.chair)

    html = client.get(f"/meetings/{ccb.meeting_id}").get_data(as_text=True)

    confirm = re.search(r'<details class="confirm" id="close-confirm">(.*?)</details>', html,
                        re.S).group(1)
    deferred = re.search(r'<ul id="deferred-items">(.*?)</ul>', confirm, re.S).group(1)
    assert "Change number 2" in deferred and "Change number 1" not in deferred
    assert "defers 1 undecided item to the board's next meeting" in confirm
    assert "Close the meeting and defer 1" in confirm
