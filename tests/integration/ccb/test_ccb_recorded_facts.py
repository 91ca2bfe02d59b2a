"""The CCB read models copy the facts the domain records; they never recompute a rule.

A close records the quorum, tallies and evidence of the items it defers, an arrival the proxies
it lapses, and the change request owns its ratification state (``overdue`` included). Events
stored before those facts were recorded (release 0.1) rebuild into the same read models through
the same domain functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.ccb import queries as q
from domain.ccb.board import Board
from domain.ccb.meeting import Meeting
from domain.changes.change_request import ChangeRequest
from projections.tables import metadata
from tests.support.ccb import make_ccb, running_meeting
from tests.support.legacy import forget_recorded_facts

if TYPE_CHECKING:
    from app.bootstrap import Services
    from tests.support.ccb import Ccb


def last_event(services: Services, meeting_id: str, kind: str) -> dict[str, Any]:
    return [e for e in services.ledger.history(Meeting, meeting_id) if e["type"] == kind][-1]


def read_models(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, table by table, in primary-key order."""
    with services.engine.connect() as conn:
        return {t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
                for t in metadata.sorted_tables if t.name.startswith("rm_")}


def emergency_change(ccb: Ccb) -> str:
    """An emergency change approved out of meeting by the chair and the security member."""
    change = ccb.submit(title="Hotfix the login outage", category="emergency",
                        board_id=ccb.board_id)
    for approver in (ccb.chair, ccb.people[2]):
        with ccb.as_(approver):
            ccb.services.ccb.approve_emergency_change(change)
    return change


def ratification(services: Services, change: str) -> tuple[str | None, str | None, bool]:
    """The ratification as the change request holds it, as the decision log shows it, and
    whether the log flags it as unratified."""
    services.projections.catch_up()
    row = next(d for d in q.list_decisions(services.engine)
               if d["kind"] == "emergency" and d["change_request_id"] == change)
    held = services.ledger.load(ChangeRequest, change).ratification  # noqa: SLF001
    return held, row["ratification"], row["unratified"]


class TestAClose:
    def test_records_the_quorum_tallies_and_evidence_the_decision_log_copies(
            self, services: Services) -> None:
        ccb = running_meeting(services, n_changes=2, attend=2)
        first, second = ccb.changes
        ccb.vote(ccb.people[1], first, "approve")
        ccb.vote(ccb.people[0], first, "reject")

        with ccb.as_(ccb.chair):
            services.ccb.close_meeting(ccb.meeting_id)
        services.projections.catch_up()

        closed = last_event(services, ccb.meeting_id, "Closed")["data"]
        meeting = services.ledger.load(Meeting, ccb.meeting_id)
        board = services.ledger.load(Board, ccb.board_id)
        assert closed["quorum"] == meeting.quorum(board)
        assert closed["quorum"]["met"] is False and closed["quorum"]["counted"] == 2
        assert closed["tallies"] == {first: {"approve": 1, "reject": 1, "abstain": 0},
                                     second: {"approve": 0, "reject": 0, "abstain": 0}}
        rows = {r["change_request_id"]: r for r in q.list_decisions(services.engine)}
        for change in (first, second):
            assert rows[change]["tally"] == closed["tallies"][change] == meeting.tally(change)
            assert rows[change]["quorum"] == closed["quorum"]
            assert rows[change]["evidence"]["event_versions"] == closed["evidence_versions"][
                change]


class TestAnArrival:
    def test_records_the_proxies_it_lapses_and_the_read_model_copies_them(
            self, services: Services) -> None:
        ccb = running_meeting(services, attend=3)
        late = ccb.people[4]
        proxy = ccb.proxy(late, ccb.people[0])

        ccb.attend(late)
        services.projections.catch_up()

        assert last_event(services, ccb.meeting_id, "AttendanceRecorded")["data"][
            "lapsed_proxies"] == [proxy]
        meeting = services.ledger.load(Meeting, ccb.meeting_id)
        state = q.get_meeting(services.engine, ccb.meeting_id)["state"]
        assert meeting.proxies[proxy]["status"] == "lapsed"
        assert [p["status"] for p in state["proxies"]] == ["lapsed"]


class TestRatification:
    def test_an_emergency_change_not_ratified_at_the_meeting_it_was_on_is_overdue_until_the_next(
            self, services: Services) -> None:
        ccb = make_ccb(services)
        change = emergency_change(ccb)
        assert ratification(services, change) == ("pending", "pending", True)

        ccb.schedule()
        ccb.open()
        with ccb.as_(ccb.chair):
            services.ccb.close_meeting(ccb.meeting_id)
        assert ratification(services, change) == ("overdue", "overdue", True)

        ccb.schedule()
        ccb.open()
        for person in ccb.people[:3]:
            ccb.attend(person)
            ccb.vote(person, change, "approve")
        ccb.decide(change)
        assert ratification(services, change) == ("ratified", "ratified", False)

    def test_a_ratification_deferred_by_the_charter_tie_breaker_is_overdue_too(
            self, services: Services) -> None:
        ccb = make_ccb(services, charter={"tie_breaker": "defer"})
        change = emergency_change(ccb)
        ccb.schedule()
        ccb.open()
        for person in ccb.people[:4]:
            ccb.attend(person)
        for person, choice in zip(ccb.people[:2], ("approve", "reject")):
            ccb.vote(person, change, choice)

        assert ccb.decide(change)["outcome"] == "deferred"

        assert ratification(services, change) == ("overdue", "overdue", True)


def test_events_stored_without_the_recorded_facts_rebuild_the_same_read_models_and_aggregates(
        services: Services) -> None:
    """Release 0.1 stored closes and arrivals without these facts: the projection and the
    aggregate fall back on the same domain functions, so nothing may differ."""
    ccb = make_ccb(services)
    change = emergency_change(ccb)
    for n in range(2):
        ccb.submit(title=f"Change number {n + 1}")
    ccb.schedule()
    for normal in ccb.changes[1:]:
        ccb.add(normal)
    ccb.open()
    for person in ccb.people[:3]:
        ccb.attend(person)
    lapsing = ccb.proxy(ccb.people[3], ccb.people[0])
    used = ccb.proxy(ccb.people[4], ccb.people[1])
    ccb.vote(ccb.people[1], ccb.changes[1], "approve", on_behalf_of=ccb.people[4])
    ccb.attend(ccb.people[3])
    ccb.attend(ccb.people[4])
    ccb.vote(ccb.people[2], ccb.changes[2], "reject")
    with ccb.as_(ccb.chair):
        services.ccb.close_meeting(ccb.meeting_id)
    services.projections.catch_up()
    recorded = read_models(services)
    meeting = services.ledger.load(Meeting, ccb.meeting_id)
    assert [meeting.proxies[p]["status"] for p in (lapsing, used)] == ["lapsed", "used"]
    assert ratification(services, change)[:2] == ("overdue", "overdue")

    assert forget_recorded_facts(services) == 1 + 5
    services.projections.rebuild()

    assert read_models(services) == recorded
    closed = last_event(services, ccb.meeting_id, "Closed")["data"]
    assert "quorum" not in closed and "tallies" not in closed
    again = services.ledger.load(Meeting, ccb.meeting_id)
    assert again.proxies == meeting.proxies and again.items == meeting.items


def test_a_late_arrival_stored_without_its_lapsed_proxies_still_lapses_them(
        services: Services) -> None:
    ccb = running_meeting(services, attend=3)
    proxy = ccb.proxy(ccb.people[4], ccb.people[0])
    ccb.attend(ccb.people[4])

    forget_recorded_facts(services)
    services.projections.rebuild()

    meeting = services.ledger.load(Meeting, ccb.meeting_id)
    state = q.get_meeting(services.engine, ccb.meeting_id)["state"]
    assert meeting.proxies[proxy]["status"] == "lapsed"
    assert [p["status"] for p in state["proxies"]] == ["lapsed"]
