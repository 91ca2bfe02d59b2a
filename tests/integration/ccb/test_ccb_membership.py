"""CCB membership over time (issue 16): members join, leave or change function as amendments with
a reason; attendance, proxies, votes and quorum use the membership in force at the moment each is
recorded; "who sat on the board at T" is a query (API and the board page). Both backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.errors import DomainError, InvalidInput, PermissionDenied
from tests.conftest import add_person, bearer, csrf_token, event_count, login
from tests.support.ccb import Ccb, make_ccb, running_meeting

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


def call(client: FlaskClient, person: dict[str, Any], method: str, url: str,
         json: dict[str, Any] | None = None) -> Any:
    return client.open(f"/api/v1{url}", method=method, json=json, headers=bearer(person))


def leave(ccb: Ccb, person: dict[str, Any], reason: str = "moved to another team") -> None:
    with ccb.as_(ccb.admin, reason=reason):
        ccb.services.ccb.remove_board_member(ccb.board_id, person["id"])


def join(ccb: Ccb, person: dict[str, Any], function: str | None = None,
         reason: str = "new security lead") -> None:
    with ccb.as_(ccb.admin, reason=reason):
        ccb.services.ccb.add_board_member(ccb.board_id, person["id"], function)


class TestRulesUseTheMembershipInForce:
    def test_a_member_who_left_cannot_vote_afterwards_and_the_refusal_names_the_rule(
            self, services: Services) -> None:
        ccb = running_meeting(services)
        change = ccb.changes[0]
        ccb.vote(ccb.people[3], change, "approve")  # before leaving: counted

        leave(ccb, ccb.people[3])

        with pytest.raises(DomainError) as refused:
            ccb.vote(ccb.people[3], change, "reject")
        assert refused.value.code == "member_left" and refused.value.status == 409

    def test_quorum_at_the_decision_no_longer_counts_a_member_who_left_since_checking_in(
            self, services: Services) -> None:
        ccb = running_meeting(services, attend=3)  # engineering, product, security: quorum
        change = ccb.changes[0]
        ccb.vote(ccb.people[1], change, "approve")
        leave(ccb, ccb.people[2])  # security leaves mid-meeting: two members, two functions

        with pytest.raises(DomainError) as refused:
            ccb.decide(change)
        assert refused.value.code == "quorum_not_met"
        assert refused.value.details["present"] == [ccb.people[0]["id"], ccb.people[1]["id"]]

    def test_a_new_member_attends_votes_and_completes_quorum(self, services: Services) -> None:
        ccb = running_meeting(services, attend=2)  # two functions only: no quorum
        newcomer = add_person(services, "member", "security", name="Nina Newcomer")
        with pytest.raises(DomainError) as refused:
            ccb.attend(newcomer)
        assert refused.value.code == "not_a_member"

        join(ccb, newcomer)
        ccb.attend(newcomer)
        ccb.vote(newcomer, ccb.changes[0], "approve")
        decision = ccb.decide(ccb.changes[0])

        assert decision["outcome"] == "approved"
        assert newcomer["id"] in decision["quorum"]["present"]
        assert "security" in decision["quorum"]["functions"]

    def test_a_function_change_counts_from_that_moment_for_quorum(
            self, services: Services) -> None:
        ccb = running_meeting(services, attend=3)
        with ccb.as_(ccb.admin, reason="Sara now represents product"):
            ccb.services.ccb.change_member_function(ccb.board_id, ccb.people[2]["id"],
                                                    "product")
        ccb.vote(ccb.people[1], ccb.changes[0], "approve")

        with pytest.raises(DomainError) as refused:
            ccb.decide(ccb.changes[0])
        assert refused.value.code == "quorum_not_met"
        assert refused.value.details["functions"] == ["engineering", "product"]

    def test_a_member_who_left_cannot_give_hold_or_use_a_proxy(self, services: Services) -> None:
        ccb = running_meeting(services, attend=2)
        used_later = ccb.proxy(ccb.people[4], ccb.people[1])
        assert used_later
        leave(ccb, ccb.people[4])
        leave(ccb, ccb.people[3], reason="left the company")

        for grantor, holder in ((ccb.people[3], ccb.people[0]), (ccb.people[2], ccb.people[3])):
            with pytest.raises(DomainError) as refused:
                ccb.proxy(grantor, holder)
            assert refused.value.code == "member_left"
        with pytest.raises(DomainError) as refused:  # the proxy given before leaving
            ccb.vote(ccb.people[1], ccb.changes[0], "approve", on_behalf_of=ccb.people[4])
        assert refused.value.code == "member_left"

    def test_the_chair_cannot_leave_and_amendments_need_an_admin_and_a_reason(
            self, services: Services) -> None:
        ccb = make_ccb(services)
        before = event_count(services)
        with pytest.raises(DomainError) as refused:
            leave(ccb, ccb.chair)
        assert refused.value.code == "chair_cannot_leave"
        with pytest.raises(InvalidInput) as missing:
            with ccb.as_(ccb.admin):
                services.ccb.remove_board_member(ccb.board_id, ccb.people[3]["id"])
        assert "reason" in missing.value.details
        with pytest.raises(PermissionDenied):
            with ccb.as_(ccb.chair, reason="I say so"):
                services.ccb.remove_board_member(ccb.board_id, ccb.people[3]["id"])
        with pytest.raises(DomainError) as twice:
            join(ccb, ccb.people[3])
        assert twice.value.code == "already_a_member"
        assert event_count(services) == before


class TestWhoSatOnTheBoardAtT:
    def test_the_api_answers_for_any_moment_with_functions(self, client: FlaskClient,
                                                          services: Services,
                                                          clock: FakeClock) -> None:
        ccb = make_ccb(services)
        founded = clock()
        clock.advance(hours=1)
        newcomer = add_person(services, "member", "qa", name="Nina Newcomer")
        response = call(client, ccb.admin, "POST", f"/boards/{ccb.board_id}/members",
                        {"person_id": newcomer["id"], "function": "security",
                         "reason": "second security voice"})
        assert response.status_code == 201, response.get_json()
        joined = clock()
        clock.advance(hours=1)
        response = call(client, ccb.admin, "POST",
                        f"/boards/{ccb.board_id}/members/{ccb.people[4]['id']}/leave",
                        {"reason": "QA merged into engineering"})
        assert response.status_code == 200, response.get_json()
        clock.advance(hours=1)

        def seated(at: Any) -> dict[str, str]:
            moment = at.isoformat().replace("+00:00", "Z")
            answer = call(client, ccb.people[1], "GET",
                          f"/boards/{ccb.board_id}/members?at={moment}")
            assert answer.status_code == 200, answer.get_json()
            return {m["person_id"]: m["function"] for m in answer.get_json()["items"]}

        assert seated(founded) == {p["id"]: f for p, f in zip(
            ccb.people, ["engineering", "product", "security", "devops", "qa"])}
        assert newcomer["id"] in seated(joined) and ccb.people[4]["id"] in seated(joined)
        now = seated(clock.advance(minutes=1))
        assert now[newcomer["id"]] == "security" and ccb.people[4]["id"] not in now
        history = call(client, ccb.people[1], "GET",
                       f"/boards/{ccb.board_id}/membership").get_json()["items"]
        assert [(h["change"], h["reason"]) for h in history[-2:]] == [
            ("joined", "second security voice"), ("left", "QA merged into engineering")]
        board = call(client, ccb.people[1], "GET", f"/boards/{ccb.board_id}").get_json()
        assert {m["person_id"] for m in board["members"]} == set(now)

    def test_a_departed_members_vote_through_the_api_is_a_409_naming_the_rule(
            self, client: FlaskClient, services: Services) -> None:
        ccb = running_meeting(services)
        call(client, ccb.admin, "POST",
             f"/boards/{ccb.board_id}/members/{ccb.people[3]['id']}/leave",
             {"reason": "left the company"})
        before = event_count(services)

        response = call(client, ccb.people[3], "POST",
                        f"/meetings/{ccb.meeting_id}/items/{ccb.changes[0]}/votes",
                        {"choice": "approve"})

        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "member_left"
        assert event_count(services) == before

    def test_bad_membership_input_is_a_4xx_naming_the_field_and_appends_nothing(
            self, client: FlaskClient, services: Services) -> None:
        ccb = make_ccb(services)
        before = event_count(services)
        url = f"/boards/{ccb.board_id}/members"

        no_reason = call(client, ccb.admin, "POST", url, {"person_id": ccb.admin["id"]})
        bad_function = call(client, ccb.admin, "POST", url, {
            "person_id": ccb.admin["id"], "function": "wizard", "reason": "because"})
        not_admin = call(client, ccb.chair, "POST", url, {
            "person_id": ccb.admin["id"], "reason": "because"})
        bad_at = call(client, ccb.chair, "GET", f"{url}?at=yesterday")

        assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["error"][
            "details"]
        assert bad_function.status_code == 422 and "function" in bad_function.get_json()[
            "error"]["details"]
        assert not_admin.status_code == 403
        assert bad_at.status_code == 422
        assert event_count(services) == before

    def test_the_board_page_shows_the_history_with_reasons_and_the_forms_change_it(
            self, client: FlaskClient, services: Services, clock: FakeClock) -> None:
        ccb = make_ccb(services)
        newcomer = add_person(services, "member", "qa", name="Nina Newcomer")
        page = f"/boards/{ccb.board_id}?tab=membership"
        login(client, ccb.admin)
        clock.advance(hours=1)

        added = client.post(f"/boards/{ccb.board_id}/members", data={
            "csrf_token": csrf_token(client, page), "person_id": newcomer["id"],
            "function": "", "reason": "QA needs a second voice"})
        changed = client.post(f"/boards/{ccb.board_id}/members/{ccb.people[2]['id']}/function",
                              data={"csrf_token": csrf_token(client, page),
                                    "function": "devops", "reason": "Sara moved to platform"})
        refused = client.post(f"/boards/{ccb.board_id}/members/{ccb.people[3]['id']}/leave",
                              data={"csrf_token": csrf_token(client, page)})

        assert added.status_code == 302 and changed.status_code == 302
        assert refused.status_code == 302  # back to the tab with the field named in a flash
        html = client.get(refused.headers["Location"]).get_data(as_text=True)
        assert "reason" in html
        html = client.get(page).get_data(as_text=True)
        assert "QA needs a second voice" in html and "Sara moved to platform" in html
        assert "security → devops" in html and "Nina Newcomer" in html
        assert "founding member" in html
        seated = client.get(f"{page}&members_at=2000-01-01T00:00").get_data(as_text=True)
        assert 'id="members-at-error"' in seated
        board = services.ccb.get_board(ccb.board_id)
        assert {m["person_id"]: m["function"] for m in board["members"]}[newcomer["id"]] == "qa"
