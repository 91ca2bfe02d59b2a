"""Domain rules of change requests, with no database and no web."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.base import command_context, using_clock
from domain.changes.change_request import (
    ChangeRequest,
    InvalidWindow,
    NotRequester,
    NotWithdrawable,
)

START = datetime(2026, 4, 1, 10, tzinfo=timezone.utc)


def make_change(requester: str = "alice", **overrides: object) -> ChangeRequest:
    fields = {"requester_id": requester, "board_id": None, "title": "Upgrade db",
              "description": "d", "category": "normal", "risk": "low", "systems": ["db"],
              "planned_start": START, "planned_end": START + timedelta(hours=2),
              "rollback_plan": "restore"}
    fields.update(overrides)
    return ChangeRequest.submit(**fields)


class TestSubmitChangeRequest:
    def test_a_new_change_request_is_submitted(self) -> None:
        change = make_change()

        assert change.status == "submitted"
        assert [type(e).__name__ for e in change.collect_events()] == ["Submitted"]

    def test_a_window_that_ends_before_it_starts_is_refused(self) -> None:
        with pytest.raises(InvalidWindow) as info:
            make_change(planned_end=START - timedelta(minutes=1))

        assert info.value.code == "invalid_planned_window"

    def test_events_carry_actor_reason_request_and_clock_time(self) -> None:
        fixed = datetime(2030, 5, 6, 7, 8, tzinfo=timezone.utc)

        with using_clock(lambda: fixed), command_context(
                actor_id="alice", reason="because", request_id="req-1"):
            change = make_change()

        event = change.collect_events()[0]
        assert (event.actor_id, event.reason, event.request_id) == ("alice", "because", "req-1")
        assert event.timestamp == fixed
        assert event.on_behalf_of is None


class TestWithdrawChangeRequest:
    def test_the_requester_can_withdraw_before_a_decision(self) -> None:
        change = make_change("alice")

        change.withdraw(by="alice")

        assert change.status == "withdrawn"

    def test_someone_else_cannot_withdraw(self) -> None:
        change = make_change("alice")

        with pytest.raises(NotRequester):
            change.withdraw(by="bob")

        assert change.status == "submitted"
        assert len(change.collect_events()) == 1

    @pytest.mark.parametrize("status", ["approved", "rejected", "implemented", "closed",
                                        "withdrawn"])
    def test_a_decided_or_withdrawn_change_cannot_be_withdrawn(self, status: str) -> None:
        change = make_change("alice")
        change.status = status

        with pytest.raises(NotWithdrawable) as info:
            change.withdraw(by="alice")

        assert info.value.details["status"] == status
