"""Who gets what on the board's side: votes waiting when a meeting opens, and an emergency
change waiting for its second approver — each person once, whatever the worker re-reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.notifications.worker import Worker
from tests.support.ccb import make_ccb

if TYPE_CHECKING:
    from app.bootstrap import Services
    from tests.conftest import FakeClock
    from tests.support.receivers import SmtpServer


def subjects(smtp: SmtpServer, email: str) -> list[str]:
    return [m["Subject"] for m in smtp.to(email)]


class TestVotesWaitingWhenAMeetingOpens:
    def test_each_member_is_told_once_how_many_votes_wait_not_counting_their_own_change(
            self, services: Services, smtp: SmtpServer, clock: FakeClock) -> None:
        ccb = make_ccb(services, requester_on_board=True)
        ccb.submit(by=ccb.people[1], title="Paul's own change")
        ccb.submit(by=ccb.people[2], title="Sara's own change")
        ccb.schedule()
        for change_id in ccb.changes:
            ccb.add(change_id)
        with ccb.as_(ccb.admin):
            services.notifications.set_preferences(ccb.people[4]["id"],
                                                   ["meeting.votes_waiting"], on_call=False)
        ccb.open()

        Worker(services).tick(clock.now)
        Worker(services).tick(clock.now)  # a second worker, and a second round: nothing more

        two, one = "The meeting is open: 2 votes wait for you", (
            "The meeting is open: 1 vote waits for you")
        got = [subjects(smtp, p["email"]) for p in ccb.people]
        # the chair, the two requesters (one vote each: not on their own), a member, and the
        # member who muted the kind
        assert got == [[two], [one], [one], [two], []]
        assert subjects(smtp, ccb.admin["email"]) == []
        [message] = smtp.to(ccb.people[0]["email"])
        assert f"/meetings/{ccb.meeting_id}" in message.get_body(("plain",)).get_content()


class TestEmergencyChangeAwaitingASecondApprover:
    def test_the_first_approval_tells_the_other_members_once_and_the_second_tells_no_one(
            self, services: Services, smtp: SmtpServer, clock: FakeClock) -> None:
        ccb = make_ccb(services)
        change_id = ccb.submit(category="emergency", title="Hotfix the payment gateway")
        security = ccb.people[2]
        worker = Worker(services)

        with ccb.as_(security):
            services.ccb.approve_emergency_change(change_id)
        worker.tick(clock.now)
        worker.tick(clock.now)
        with ccb.as_(ccb.chair):
            approved = services.ccb.approve_emergency_change(change_id)
        worker.tick(clock.now)
        Worker(services).tick(clock.now)

        asked = "Emergency change awaits a second approver: Hotfix the payment gateway"
        got = [subjects(smtp, p["email"]) for p in ccb.people]
        # the chair and the members of the board other than the first approver, once each
        assert got == [[asked], [asked], [], [asked], [asked]]
        assert subjects(smtp, ccb.requester["email"]) == []
        assert approved["status"] == "approved"
        [message] = smtp.to(ccb.chair["email"])
        text = message.get_body(("plain",)).get_content()
        assert f"/changes/{change_id}" in text and "(security, member)" in text
