"""Change Control Board rules through the application service, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from domain.errors import DomainError
from app.ccb import queries as q
from projections.ccb.tables import board_charters, decisions
from tests.conftest import event_count
from tests.support.ccb import make_ccb, running_meeting

if TYPE_CHECKING:
    from app.bootstrap import Services


class TestBoardsAndCharters:
    def test_a_board_gets_the_default_charter_with_overrides_and_member_functions(
            self, services: Services) -> None:
        ccb = make_ccb(services, charter={"tie_breaker": "defer", "timebox_minutes": 90})

        board = services.ccb.get_board(ccb.board_id)

        assert board["charter"]["tie_breaker"] == "defer"
        assert board["charter"]["timebox_minutes"] == 90
        assert board["charter"]["quorum_min_members"] == 3
        assert board["charter"]["requester_may_vote"] is False
        assert [m["function"] for m in board["members"]] == [
            "engineering", "product", "security", "devops", "qa"]

    def test_the_charter_in_force_at_a_past_moment_is_derived_from_events(
            self, services: Services, clock: Any) -> None:
        ccb = make_ccb(services)
        created = clock.now
        clock.advance(days=3)
        with ccb.as_(ccb.chair, reason="two functions are enough for small changes"):
            services.ccb.amend_charter(ccb.board_id, {"quorum_min_functions": 2})
        services.projections.catch_up()

        from app.ccb.queries import charter_at

        assert charter_at(services.engine, ccb.board_id, created + timedelta(days=1))[
            "charter"]["quorum_min_functions"] == 3
        later = charter_at(services.engine, ccb.board_id, clock.now)
        assert later["charter"]["quorum_min_functions"] == 2
        assert later["reason"] == "two functions are enough for small changes"
        with services.engine.connect() as conn:
            assert len(list(conn.execute(select(board_charters)))) == 2

    def test_an_amendment_without_a_reason_is_refused(self, services: Services) -> None:
        from domain.errors import InvalidInput

        ccb = make_ccb(services)
        before = event_count(services)

        with ccb.as_(ccb.chair), pytest.raises(InvalidInput) as refused:
            services.ccb.amend_charter(ccb.board_id, {"timebox_minutes": 60})

        assert refused.value.details == {"reason": ["a charter amendment needs a reason"]}

        assert event_count(services) == before


class TestVotingAndDeciding:
    def test_a_majority_approves_and_the_change_request_is_approved_in_the_same_save(
            self, services: Services) -> None:
        ccb = running_meeting(services)
        change = ccb.changes[0]
        for person, choice in zip(ccb.people, ["approve", "approve", "reject", "abstain"]):
            ccb.vote(person, change, choice)

        decision = ccb.decide(change)

        assert decision["outcome"] == "approved"
        assert decision["tally"] == {"approve": 2, "reject": 1, "abstain": 1}
        assert decision["quorum"]["met"] is True
        assert len(decision["quorum"]["functions"]) == 5
        services.projections.catch_up()
        from app.changes.queries import get_change_request

        assert get_change_request(services.engine, change)["status"] == "approved"
        with services.engine.connect() as conn:
            row = conn.execute(select(decisions)).one()
        assert row.outcome == "approved" and row.evidence["meeting_id"] == ccb.meeting_id
        assert len(row.evidence["event_versions"]) == 4 + 5

    def test_a_vote_change_replaces_the_members_vote(self, services: Services) -> None:
        ccb = running_meeting(services)
        change = ccb.changes[0]
        ccb.vote(ccb.people[1], change, "reject")

        result = ccb.vote(ccb.people[1], change, "approve")

        assert result["tally"] == {"approve": 1, "reject": 0, "abstain": 0}

    def test_a_tie_waits_for_the_chairs_casting_vote(self, services: Services) -> None:
        ccb = running_meeting(services)
        change = ccb.changes[0]
        ccb.vote(ccb.people[1], change, "approve")
        ccb.vote(ccb.people[2], change, "reject")
        before = event_count(services)

        with pytest.raises(DomainError) as refused:
            ccb.decide(change)
        assert refused.value.code == "awaiting_casting_vote"
        assert event_count(services) == before

        with ccb.as_(ccb.chair):
            decision = services.ccb.cast_deciding_vote(ccb.meeting_id, change, "approve")
        assert decision["outcome"] == "approved" and decision["tie_break"] == "chair"

    @pytest.mark.parametrize(("tie_breaker", "outcome"),
                             [("status_quo", "rejected"), ("defer", "deferred")])
    def test_other_tie_breakers_decide_at_once(self, services: Services, tie_breaker: str,
                                               outcome: str) -> None:
        ccb = running_meeting(services, charter={"tie_breaker": tie_breaker})
        change = ccb.changes[0]

        decision = ccb.decide(change)

        assert (decision["outcome"], decision["tie_break"]) == (outcome, tie_breaker)

    def test_without_quorum_the_decision_is_refused_and_the_item_stays_open(
            self, services: Services) -> None:
        ccb = running_meeting(services, attend=2)
        change = ccb.changes[0]
        ccb.vote(ccb.people[1], change, "approve")
        before = event_count(services)

        with pytest.raises(DomainError) as refused:
            ccb.decide(change)

        assert refused.value.code == "quorum_not_met"
        assert event_count(services) == before


class TestProxies:
    def test_a_proxy_vote_is_recorded_by_the_holder_on_behalf_of_the_grantor(
            self, services: Services) -> None:
        ccb = running_meeting(services, attend=4)
        grantor, holder = ccb.people[4], ccb.people[1]
        ccb.proxy(grantor, holder)

        ccb.vote(holder, ccb.changes[0], "approve", on_behalf_of=grantor)

        from domain.ccb.meeting import Meeting

        last = services.ledger.history(Meeting, ccb.meeting_id)[-1]
        assert last["type"] == "VoteCast"
        assert (last["actor_id"], last["on_behalf_of"]) == (holder["id"], grantor["id"])
        assert last["data"]["member_id"] == grantor["id"]

    def test_a_grantor_who_attends_makes_the_proxy_lapse(self, services: Services) -> None:
        ccb = running_meeting(services, attend=4)
        grantor, holder = ccb.people[4], ccb.people[1]
        ccb.proxy(grantor, holder)
        ccb.attend(grantor)

        with pytest.raises(DomainError) as refused:
            ccb.vote(holder, ccb.changes[0], "approve", on_behalf_of=grantor)

        assert refused.value.code == "grantor_present"

    def test_chains_are_refused_in_either_order(self, services: Services) -> None:
        ccb = running_meeting(services, attend=0)
        a, b, c = ccb.people[2], ccb.people[3], ccb.people[4]
        ccb.proxy(a, b)

        for grantor, holder in ((b, c), (c, a)):
            with pytest.raises(DomainError) as refused:
                ccb.proxy(grantor, holder)
            assert refused.value.code == "proxy_chain"

    def test_a_revoked_proxy_frees_the_grantor_but_a_used_one_cannot_be_revoked(
            self, services: Services) -> None:
        ccb = running_meeting(services, attend=4)
        grantor, holder = ccb.people[4], ccb.people[1]
        first = ccb.proxy(grantor, holder)
        with ccb.as_(grantor):
            services.ccb.revoke_proxy(ccb.meeting_id, first)
        second = ccb.proxy(grantor, ccb.people[2])
        ccb.vote(ccb.people[2], ccb.changes[0], "reject", on_behalf_of=grantor)

        with ccb.as_(grantor), pytest.raises(DomainError) as refused:
            services.ccb.revoke_proxy(ccb.meeting_id, second)

        assert refused.value.code == "proxy_used"


class TestMeetingsAndEmergencies:
    def test_closing_defers_undecided_items_and_the_next_meeting_takes_them(
            self, services: Services, clock: Any) -> None:
        ccb = running_meeting(services, n_changes=2)
        clock.advance(minutes=130)
        with ccb.as_(ccb.chair):
            closed = services.ccb.close_meeting(ccb.meeting_id)
        assert closed["deferral_reason"] == "timebox" and len(closed["deferred"]) == 2

        ccb.schedule()
        ccb.open()

        services.projections.catch_up()
        state = q.get_meeting(services.engine, ccb.meeting_id)["state"]
        assert [i["change_request_id"] for i in state["items"]] == ccb.changes
        assert {i["carried_over"] for i in state["items"]} == {"timebox"}

    def test_an_emergency_change_is_approved_by_the_chair_and_another_function_then_ratified(
            self, services: Services) -> None:
        ccb = make_ccb(services)
        change = ccb.submit(category="emergency", board_id=ccb.board_id)
        with ccb.as_(ccb.chair):
            first = services.ccb.approve_emergency_change(change)
        with ccb.as_(ccb.people[2]):
            second = services.ccb.approve_emergency_change(change)
        assert first["status"] == "submitted" and second["status"] == "approved"

        ccb.schedule()
        ccb.open()
        for person in ccb.people:
            ccb.attend(person)
        ccb.vote(ccb.people[1], change, "approve")
        ccb.decide(change)

        services.projections.catch_up()
        with services.engine.connect() as conn:
            rows = {r.kind: r for r in conn.execute(select(decisions))}
        assert rows["emergency"].ratification == "ratified"
        assert rows["meeting"].emergency is True

    def test_the_requester_can_never_approve_their_own_emergency_change(
            self, services: Services) -> None:
        ccb = make_ccb(services, requester_on_board=True)
        change = ccb.submit(category="emergency", board_id=ccb.board_id)
        before = event_count(services)

        with ccb.as_(ccb.requester), pytest.raises(DomainError) as refused:
            services.ccb.approve_emergency_change(change)

        assert refused.value.code == "self_approval"
        assert event_count(services) == before

    def test_an_emergency_ratified_in_the_meeting_it_was_on_is_not_put_on_the_next_one(
            self, services: Services) -> None:
        ccb = make_ccb(services)
        change = ccb.submit(category="emergency", board_id=ccb.board_id)
        ccb.schedule()
        ccb.add(change)
        ccb.open()
        for approver in (ccb.chair, ccb.people[2]):
            with ccb.as_(approver):
                services.ccb.approve_emergency_change(change)
        for person in ccb.people:
            ccb.attend(person)
        ccb.vote(ccb.people[1], change, "approve")
        ccb.decide(change)
        with ccb.as_(ccb.chair):
            services.ccb.close_meeting(ccb.meeting_id)

        ccb.schedule()
        ccb.open()

        services.projections.catch_up()
        with services.engine.connect() as conn:
            emergency = conn.execute(select(decisions).where(
                decisions.c.kind == "emergency")).one()
        assert q.get_meeting(services.engine, ccb.meeting_id)["state"]["items"] == []
        assert emergency.ratification == "ratified"
