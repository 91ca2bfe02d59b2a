"""Board membership over time, on the aggregate alone: join, leave, change function."""

from __future__ import annotations

import pytest

from domain.ccb.board import DEFAULT_CHARTER, Board
from domain.ccb.meeting import quorum_snapshot
from domain.errors import DomainError

MEMBERS = {"eng": "engineering", "pro": "product", "sec": "security", "ops": "devops"}


def board() -> Board:
    return Board.create(name="CCB", chair_id="eng", members=dict(MEMBERS),
                        charter={**DEFAULT_CHARTER, "chair_delegate_id": "pro"})


def test_a_member_who_left_is_refused_with_member_left_and_may_rejoin() -> None:
    b = board()
    b.remove_member("ops")

    with pytest.raises(DomainError) as refused:
        b.check_member("ops")
    assert refused.value.code == "member_left" and "left the board" in refused.value.message
    with pytest.raises(DomainError) as stranger:
        b.check_member("nobody")
    assert stranger.value.code == "not_a_member"

    b.add_member("ops", "qa")
    b.check_member("ops")
    assert b.members["ops"] == "qa" and "ops" not in b.former_members


@pytest.mark.parametrize(("person", "code"), [("eng", "chair_cannot_leave"),
                                              ("pro", "delegate_cannot_leave"),
                                              ("nobody", "not_a_member")])
def test_who_cannot_leave(person: str, code: str) -> None:
    b = board()
    with pytest.raises(DomainError) as refused:
        b.remove_member(person)
    assert refused.value.code == code
    assert b.version == 1


def test_a_function_change_is_an_event_with_the_previous_function() -> None:
    b = board()
    b.change_member_function("sec", "qa")
    event = b.collect_events()[-1]

    assert type(event).__name__ == "MemberFunctionChanged"
    assert (event.person_id, event.function, event.previous) == ("sec", "qa", "security")
    with pytest.raises(DomainError) as same:
        b.change_member_function("sec", "qa")
    assert same.value.code == "nothing_to_amend"


def test_quorum_counts_only_members_in_force_with_their_function_now() -> None:
    attendance = {"eng": "engineering", "pro": "product", "sec": "security"}
    proxies = [{"id": "p", "grantor_id": "ops", "holder_id": "eng", "status": "active"}]
    charter = {**DEFAULT_CHARTER, "proxies_count_toward_quorum": True}

    before = quorum_snapshot(attendance, proxies, MEMBERS, charter)
    left = {k: v for k, v in MEMBERS.items() if k not in ("sec", "ops")}
    after = quorum_snapshot(attendance, proxies, {**left, "pro": "engineering"}, charter)

    assert before["met"] and before["counted"] == 4 and before["proxies"]
    assert after["present"] == ["eng", "pro"] and after["proxies"] == []
    assert after["functions"] == ["engineering"] and not after["met"]
