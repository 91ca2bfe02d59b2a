"""The CCB's pure rules (quorum, tally, lapsing, casting vote, ratification), with no database.

These functions are the one home of each rule: the Meeting and ChangeRequest aggregates use them,
and so do the projection (for events stored before the facts were recorded) and the pages.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.ccb.board import DEFAULT_CHARTER, Board
from domain.ccb.meeting import (
    Meeting,
    casting_vote_needed,
    deferral_evidence,
    lapsing_proxies,
    quorum_snapshot,
    tally_of,
)
from domain.changes.change_request import is_unratified, ratification_after

MEMBERS = {"eng": "engineering", "pro": "product", "sec": "security", "ops": "devops",
           "qa": "qa"}


def proxy(grantor: str, holder: str, status: str = "active", pid: str = "") -> dict[str, Any]:
    return {"id": pid or f"{grantor}>{holder}", "grantor_id": grantor, "holder_id": holder,
            "status": status}


def charter(**changes: Any) -> dict[str, Any]:
    return {**DEFAULT_CHARTER, **changes}


class TestQuorumSnapshot:
    def test_three_members_of_three_functions_make_quorum(self) -> None:
        snapshot = quorum_snapshot({"eng": "engineering", "pro": "product", "sec": "security"},
                                   [], MEMBERS, charter())

        assert snapshot["met"] is True
        assert snapshot["present"] == ["eng", "pro", "sec"]
        assert snapshot["functions"] == ["engineering", "product", "security"]
        assert (snapshot["counted"], snapshot["required_members"],
                snapshot["required_functions"]) == (3, 3, 3)

    def test_three_members_of_two_functions_do_not(self) -> None:
        snapshot = quorum_snapshot({"eng": "engineering", "pro": "product", "sec": "product"},
                                   [], {**MEMBERS, "sec": "product"}, charter())

        assert snapshot["met"] is False and snapshot["functions"] == ["engineering", "product"]

    def test_someone_present_who_is_not_a_member_is_not_counted(self) -> None:
        snapshot = quorum_snapshot({"eng": "engineering", "pro": "product", "guest": "qa"},
                                   [], MEMBERS, charter())

        assert snapshot["present"] == ["eng", "pro"] and snapshot["met"] is False

    @pytest.mark.parametrize(("count", "met"), [(False, False), (True, True)])
    def test_a_held_proxy_counts_with_its_grantors_function_only_when_the_charter_says_so(
            self, count: bool, met: bool) -> None:
        snapshot = quorum_snapshot({"eng": "engineering", "pro": "product"},
                                   [proxy("sec", "eng")], MEMBERS,
                                   charter(proxies_count_toward_quorum=count))

        assert snapshot["proxies"] == [{"grantor_id": "sec", "holder_id": "eng"}]
        assert snapshot["met"] is met
        assert snapshot["counted"] == (3 if count else 2)

    @pytest.mark.parametrize("held", [
        proxy("sec", "eng", "lapsed"), proxy("sec", "eng", "revoked"), proxy("sec", "ops"),
        proxy("pro", "eng")])
    def test_a_proxy_is_not_held_when_dead_or_its_holder_is_away_or_its_grantor_is_here(
            self, held: dict[str, Any]) -> None:
        snapshot = quorum_snapshot({"eng": "engineering", "pro": "product"}, [held], MEMBERS,
                                   charter(proxies_count_toward_quorum=True))

        assert snapshot["proxies"] == [] and snapshot["counted"] == 2

    def test_a_used_proxy_is_still_held(self) -> None:
        snapshot = quorum_snapshot({"eng": "engineering"}, [proxy("sec", "eng", "used")],
                                   MEMBERS, charter())

        assert snapshot["proxies"] == [{"grantor_id": "sec", "holder_id": "eng"}]


class TestTheMeetingUsesTheSameRules:
    def test_the_aggregates_quorum_and_tally_are_the_pure_functions_of_its_state(self) -> None:
        board = Board.create(name="CCB", chair_id="eng", members=MEMBERS,
                             charter=charter(proxies_count_toward_quorum=True))
        meeting = Meeting(board_id=str(board.id), scheduled_start=None,  # type: ignore[arg-type]
                          scheduled_end=None)  # type: ignore[arg-type]
        meeting.open(board, "eng", is_admin=False)
        meeting.add_item("cr-1", "someone", emergency=False)
        holder = meeting.give_proxy(board, "sec", "pro")
        lapsing = meeting.give_proxy(board, "ops", "eng")
        for person in ("eng", "pro", "ops"):
            meeting.record_attendance(board, person, "in_person", MEMBERS[person], None,
                                      person, is_admin=False)
        meeting.cast_vote(board, "cr-1", "eng", "approve")
        meeting.cast_vote(board, "cr-1", "pro", "reject", on_behalf_of="sec")

        assert meeting.quorum(board) == quorum_snapshot(
            {p: a["function"] for p, a in meeting.attendance.items()}, meeting.proxies.values(),
            board.members, board.charter)
        assert meeting.quorum(board)["proxies"] == [{"grantor_id": "sec", "holder_id": "pro"}]
        assert meeting.proxies[lapsing]["status"] == "lapsed"
        assert meeting.proxies[holder]["status"] == "used"
        assert meeting.tally("cr-1") == {"approve": 1, "reject": 1, "abstain": 0}

    def test_a_close_records_what_it_defers_with_the_facts_of_each_deferral(self) -> None:
        board = Board.create(name="CCB", chair_id="eng", members=MEMBERS, charter=charter())
        meeting = Meeting(board_id=str(board.id), scheduled_start=None,  # type: ignore[arg-type]
                          scheduled_end=None)  # type: ignore[arg-type]
        meeting.open(board, "eng", is_admin=False)
        meeting.add_item("cr-1", "someone", emergency=False)
        meeting.record_attendance(board, "eng", "remote", "engineering", "https://rec", "eng",
                                  is_admin=False)
        meeting.cast_vote(board, "cr-1", "eng", "abstain")

        meeting.close(board, "eng", is_admin=False)

        closed = meeting.collect_events()[-1]
        assert isinstance(closed, Meeting.Closed)
        assert closed.deferred == ["cr-1"]
        assert closed.quorum == meeting.quorum(board) and closed.quorum["met"] is False
        assert closed.tallies == {"cr-1": {"approve": 0, "reject": 0, "abstain": 1}}
        assert closed.evidence_versions == {"cr-1": [3, 4, 5, 6]}


class TestSmallRules:
    def test_votes_are_counted_by_choice(self) -> None:
        assert tally_of([{"choice": "approve"}, {"choice": "approve"},
                         {"choice": "abstain"}]) == {"approve": 2, "reject": 0, "abstain": 1}
        assert tally_of([]) == {"approve": 0, "reject": 0, "abstain": 0}

    @pytest.mark.parametrize(("tie_breaker", "tally", "needed"), [
        ("chair", {"approve": 1, "reject": 1, "abstain": 0}, True),
        ("chair", {"approve": 0, "reject": 0, "abstain": 2}, True),
        ("chair", {"approve": 2, "reject": 1, "abstain": 0}, False),
        ("status_quo", {"approve": 1, "reject": 1, "abstain": 0}, False),
        ("defer", {"approve": 1, "reject": 1, "abstain": 0}, False)])
    def test_a_casting_vote_is_needed_on_a_tie_the_charter_gives_the_chair(
            self, tie_breaker: str, tally: dict[str, int], needed: bool) -> None:
        assert casting_vote_needed(charter(tie_breaker=tie_breaker), tally) is needed

    def test_an_arrival_lapses_only_the_active_proxies_the_arriving_member_gave(self) -> None:
        proxies = [proxy("sec", "eng", pid="a"), proxy("sec", "pro", "revoked", pid="b"),
                   proxy("ops", "sec", pid="c"), proxy("sec", "qa", "used", pid="d")]

        assert lapsing_proxies(proxies, "sec") == ["a"]
        assert lapsing_proxies(proxies, "qa") == []

    def test_a_deferral_rests_on_its_votes_the_check_ins_its_addition_and_the_close(
            self) -> None:
        assert deferral_evidence([7, 5], [3, 2], 4, 9) == [2, 3, 4, 5, 7, 9]
        assert deferral_evidence([], [], 4, 4) == [4]

    @pytest.mark.parametrize(("outcome", "after"), [
        ("approved", "ratified"), ("rejected", "rejected"), ("deferred", "overdue")])
    def test_the_boards_outcome_settles_an_emergency_approval_or_makes_it_overdue(
            self, outcome: str, after: str) -> None:
        assert ratification_after(outcome) == after

    @pytest.mark.parametrize(("state", "unratified"), [
        ("pending", True), ("overdue", True), ("ratified", False), ("rejected", False),
        (None, False)])
    def test_pending_and_overdue_approvals_are_unratified(
            self, state: str | None, unratified: bool) -> None:
        assert is_unratified(state) is unratified
