"""Demo data of the Change Control Board: the guide's five roles and an inaugural meeting.

Alice (Engineering Lead) chairs; Carol is the Product Owner, Bob the Security Lead, Erin the
DevOps Lead and Dave the QA Representative. Dave gives Erin his proxy; one tie is broken by the
chair; an emergency hotfix approved out of meeting is ratified; one item runs out of time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from domain.base import now
from projections.tables import change_requests

if TYPE_CHECKING:
    from app.bootstrap import Services


def _change_id(services: Services, title: str) -> str:
    with services.engine.connect() as conn:
        return conn.execute(select(change_requests.c.id).where(
            change_requests.c.title == title)).scalar_one()


def load_ccb(services: Services, ids: dict[str, str]) -> None:
    """A board with the five roles, an inaugural meeting reviewing four changes, minutes."""
    ledger = services.ledger
    alice, bob, carol, dave, erin = (ids[n] for n in ("alice", "bob", "carol", "dave", "erin"))
    with ledger.as_system(reason="CCB charter review (T4.1)"):
        board = ledger.create_board(name="Platform Change Control Board", chair_id=alice,
                                    members=[alice, carol, bob, erin, dave])["id"]
    start = now().replace(minute=0, second=0, microsecond=0)
    plan = {"description": "Demo change request for the inaugural CCB meeting.",
            "risk": "medium", "planned_start": start + timedelta(days=6, hours=2),
            "planned_end": start + timedelta(days=6, hours=4)}
    with ledger.acting_as(erin, reason="demo data"):
        hotfix = ledger.submit_change_request(
            title="Hotfix: raise the billing-api connection pool limit", category="emergency",
            systems=["billing-api"], rollback_plan="Redeploy the previous configuration.",
            board_id=board, **{**plan, "risk": "high", "planned_start": start,
                               "planned_end": start + timedelta(hours=1)})["id"]
    with ledger.acting_as(carol, reason="demo data"):
        runners = ledger.submit_change_request(
            title="Move CI runners to ARM instances", category="normal", systems=["ci"],
            rollback_plan="Switch the runner pool back to x86.", board_id=board, **plan)["id"]
    for approver in (alice, bob):
        with ledger.acting_as(approver, reason="production outage on billing-api"):
            ledger.approve_emergency_change(hotfix)
    services.projections.catch_up()
    db = _change_id(services, "Upgrade payments-db to PostgreSQL 16")
    mfa = _change_id(services, "Enforce 2FA for the admin console")
    _inaugural_meeting(services, board, start, (db, mfa, runners, hotfix),
                       (alice, bob, carol, dave, erin))


def _inaugural_meeting(services: Services, board: str, start: object,
                       items: tuple[str, str, str, str], people: tuple[str, ...]) -> None:
    ledger = services.ledger
    db, mfa, runners, hotfix = items
    alice, bob, carol, dave, erin = people
    with ledger.acting_as(carol, reason="inaugural CCB meeting"):
        meeting = ledger.schedule_meeting(board, start)["id"]  # type: ignore[arg-type]
        for change in (db, mfa, runners):
            ledger.add_agenda_item(meeting, change)
    with ledger.acting_as(dave, reason="travelling on the meeting day"):
        ledger.give_proxy(meeting, dave, erin)
    with ledger.acting_as(alice):
        ledger.open_meeting(meeting)
        for person, mode in ((alice, "in_person"), (carol, "in_person"), (erin, "in_person")):
            ledger.record_attendance(meeting, person, mode)
        ledger.record_attendance(meeting, bob, "remote", "https://meet.example.org/ccb/inaugural")
    votes = [(db, carol, "approve", None), (db, bob, "approve", None),
             (db, erin, "approve", None), (db, erin, "approve", dave),
             (mfa, alice, "approve", None), (mfa, carol, "reject", None),
             (mfa, erin, "reject", None), (mfa, erin, "approve", dave),
             (hotfix, alice, "approve", None), (hotfix, carol, "approve", None),
             (hotfix, bob, "approve", None)]
    for change, voter, choice, grantor in votes:
        with ledger.acting_as(voter):
            ledger.cast_vote(meeting, change, choice, grantor)
    with ledger.acting_as(alice):
        ledger.decide_item(meeting, db)
        ledger.raise_meeting_action(meeting, "Book the payments-db maintenance window", erin,
                                    "P1", db)
        ledger.cast_deciding_vote(meeting, mfa, "approve")
        ledger.decide_item(meeting, hotfix)
        ledger.raise_meeting_action(meeting, "Name the decision log maintainer", erin, "P2")
    with ledger.acting_as(alice, reason="time-box reached"):
        ledger.close_meeting(meeting)
    with ledger.acting_as(alice, reason="bi-weekly recurring schedule (T4.1)"):
        ledger.schedule_series(board, (start + timedelta(days=1)).date(), 6)  # type: ignore[operator]
    with ledger.as_system(reason="finance closes the quarter"):
        ledger.declare_freeze("Quarter-end freeze", start + timedelta(days=30),  # type: ignore[operator]
                              start + timedelta(days=33), [])  # type: ignore[operator]
