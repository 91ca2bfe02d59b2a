"""Demo data of the Change Control Board: the guide's five roles and an inaugural meeting.

Alice (Engineering Lead) chairs; Carol is the Product Owner, Bob the Security Lead, Erin the
DevOps Lead and Dave the QA Representative. Dave gives Erin his proxy; one tie is broken by the
chair; an emergency hotfix approved out of meeting is ratified; one item runs out of time.

Scenes of the demo story (:mod:`app.demo_timeline`): the board is chartered on day 12; in the
night of day 21 a hotfix is approved out of meeting, that morning the inaugural meeting is
scheduled for day 23, where the time-box runs out; yesterday the bi-weekly series and the
quarter-end freeze were planned, from tomorrow on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from projections.changes.tables import change_requests

if TYPE_CHECKING:
    from app.bootstrap import Services
    from app.demo_timeline import Story


def _change_id(services: Services, title: str) -> str:
    with services.engine.connect() as conn:
        return conn.execute(select(change_requests.c.id).where(
            change_requests.c.title == title)).scalar_one()


def load_ccb(story: Story) -> None:
    """A board with the five roles, an inaugural meeting reviewing four changes, minutes."""
    services, ids = story.services, story.ids
    alice, bob, carol, dave, erin = (ids[n] for n in ("alice", "bob", "carol", "dave", "erin"))
    meeting_start = story.day(23, 10)
    state: dict[str, Any] = {}

    @story.scene(story.day(12, 9))
    def charter() -> None:
        with services.ledger.as_system(reason="CCB charter review (T4.1)"):
            state["board"] = services.ccb.create_board(name="Platform Change Control Board",
                                                 chair_id=alice,
                                                 members=[alice, carol, bob, erin])["id"]

    @story.scene(story.day(20, 9))
    def qa_joins() -> None:  # membership changes over time, as an amendment with a reason
        with services.ledger.as_system(reason="QA joins the board before the first release "
                                              "train"):
            services.ccb.add_board_member(state["board"], dave)

    @story.scene(story.day(21, 3))
    def hotfix() -> None:
        start = story.clock.now.replace(second=0, microsecond=0)
        with services.ledger.acting_as(erin, reason="demo data"):
            state["hotfix"] = services.changes.submit_change_request(
                title="Hotfix: raise the billing-api connection pool limit",
                category="emergency", systems=["billing-api"], risk="high",
                description="Demo change request for the inaugural CCB meeting.",
                rollback_plan="Redeploy the previous configuration.", board_id=state["board"],
                planned_start=start, planned_end=start + timedelta(hours=1))["id"]
        for approver in (alice, bob):
            story.clock.advance(10)
            with services.ledger.acting_as(approver, reason="production outage on billing-api"):
                services.ccb.approve_emergency_change(state["hotfix"])

    @story.scene(story.day(21, 10))
    def agenda() -> None:
        with services.ledger.acting_as(carol, reason="demo data"):
            runners = services.changes.submit_change_request(
                title="Move CI runners to ARM instances", category="normal", systems=["ci"],
                description="Demo change request for the inaugural CCB meeting.",
                risk="medium", rollback_plan="Switch the runner pool back to x86.",
                board_id=state["board"], planned_start=meeting_start + timedelta(days=6),
                planned_end=meeting_start + timedelta(days=6, hours=2))["id"]
        services.projections.catch_up()
        items = (_change_id(services, "Upgrade payments-db to PostgreSQL 16"),
                 _change_id(services, "Enforce 2FA for the admin console"), runners)
        story.clock.advance(30)
        with services.ledger.acting_as(carol, reason="inaugural CCB meeting"):
            state["meeting"] = services.ccb.schedule_meeting(state["board"], meeting_start)["id"]
            for change in items:
                services.ccb.add_agenda_item(state["meeting"], change)
        state["items"] = (*items, state["hotfix"])

    @story.scene(story.day(22, 17))
    def proxy() -> None:
        with services.ledger.acting_as(dave, reason="travelling on the meeting day"):
            services.ccb.give_proxy(state["meeting"], dave, erin)

    story.add(meeting_start, lambda: _inaugural_meeting(
        story, state["meeting"], state["items"], (alice, bob, carol, dave, erin)))

    @story.scene(story.day(29, 16))
    def plans() -> None:
        with services.ledger.acting_as(alice, reason="bi-weekly recurring schedule (T4.1)"):
            services.ccb.schedule_series(state["board"], story.end.date() + timedelta(days=1), 6)
        freeze = story.today + timedelta(days=30)
        with services.ledger.as_system(reason="finance closes the quarter"):
            services.ccb.declare_freeze("Quarter-end freeze", freeze, freeze + timedelta(days=3), [])


def _inaugural_meeting(story: Story, meeting: str, items: tuple[str, str, str, str],
                       people: tuple[str, ...]) -> None:
    services, clock = story.services, story.clock
    opened: datetime = clock.now
    db, mfa, runners, hotfix = items
    alice, bob, carol, dave, erin = people
    with services.ledger.acting_as(alice):
        services.ccb.open_meeting(meeting)
        for person, mode in ((alice, "in_person"), (carol, "in_person"), (erin, "in_person")):
            services.ccb.record_attendance(meeting, person, mode)
        services.ccb.record_attendance(meeting, bob, "remote", "https://meet.example.org/ccb/inaugural")
    votes = [(db, carol, "approve", None), (db, bob, "approve", None),
             (db, erin, "approve", None), (db, erin, "approve", dave),
             (mfa, alice, "approve", None), (mfa, carol, "reject", None),
             (mfa, erin, "reject", None), (mfa, erin, "approve", dave),
             (hotfix, alice, "approve", None), (hotfix, carol, "approve", None),
             (hotfix, bob, "approve", None)]
    for change, voter, choice, grantor in votes:
        clock.advance(6)
        with services.ledger.acting_as(voter):
            services.ccb.cast_vote(meeting, change, choice, grantor)
    with services.ledger.acting_as(alice):
        services.ccb.decide_item(meeting, db)
        services.ccb.raise_meeting_action(meeting, "Book the payments-db maintenance window", erin,
                                    "P1", db)
        clock.advance(10)
        services.ccb.cast_deciding_vote(meeting, mfa, "approve")
        services.ccb.decide_item(meeting, hotfix)
        services.ccb.raise_meeting_action(meeting, "Name the decision log maintainer", erin, "P2")
    clock.move_to(opened + timedelta(minutes=121))  # the runners discussion ran out of time
    with services.ledger.acting_as(alice, reason="time-box reached"):
        services.ccb.close_meeting(meeting)
