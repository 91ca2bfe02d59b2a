"""Minutes of a realistic meeting, compared with a golden file (ids normalised).

Five members of five functions, one proxy, one tie broken by the chair, one deferral
(time-box), action items and a next meeting. Set UPDATE_GOLDEN=1 to rewrite the file.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.ccb.documents import render_minutes
from tests.support.ccb import Ccb, make_ccb

if TYPE_CHECKING:
    from app.bootstrap import Services

GOLDEN = Path(__file__).resolve().parents[2] / "support" / "golden" / "ccb_minutes.md"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def realistic_meeting(services: Services, clock: Any) -> Ccb:
    """The inaugural meeting of the guide's five roles."""
    ccb = make_ccb(services)
    erin, paul, sara, dev, quinn = ccb.people
    db = ccb.submit(title="Upgrade payments-db to PostgreSQL 16")
    mfa = ccb.submit(title="Enforce 2FA for the admin console")
    onboarding = ccb.submit(by=paul, title="Launch the new onboarding flow")
    meeting = ccb.schedule()
    with ccb.as_(erin):
        ccb.services.ccb.schedule_meeting(ccb.board_id, datetime(2026, 3, 18, 14, tzinfo=timezone.utc))
    ccb.meeting_id = meeting
    for change in (db, mfa, onboarding):
        ccb.add(change)
    ccb.proxy(quinn, dev)
    clock.now = datetime(2026, 3, 4, 14, 0, tzinfo=timezone.utc)
    ccb.open()
    for person in (erin, paul, dev):
        clock.advance(minutes=1)
        ccb.attend(person)
    ccb.attend(sara, "remote")
    clock.advance(minutes=20)
    for person, choice in ((paul, "approve"), (sara, "approve"), (dev, "reject"),
                           (erin, "approve")):
        ccb.vote(person, db, choice)
    ccb.vote(dev, db, "approve", on_behalf_of=quinn)
    ccb.vote(dev, db, "approve")
    clock.advance(minutes=5)
    ccb.decide(db)
    with ccb.as_(erin):
        ccb.services.ccb.raise_meeting_action(meeting, "Book the maintenance window with payments",
                                        dev["id"], "P1", db)
    clock.advance(minutes=30)
    for person, choice in ((paul, "approve"), (sara, "reject"), (erin, "approve")):
        ccb.vote(person, mfa, choice)
    ccb.vote(dev, mfa, "reject", on_behalf_of=quinn)
    ccb.vote(dev, mfa, "abstain")
    clock.advance(minutes=10)
    with ccb.as_(erin):
        ccb.services.ccb.cast_deciding_vote(meeting, mfa, "approve")
        ccb.services.ccb.raise_meeting_action(meeting, "Name the decision log maintainer",
                                        dev["id"], "P2")
    clock.advance(minutes=60)
    with ccb.as_(erin):
        ccb.services.ccb.close_meeting(meeting)
    return ccb


def normalise(text: str) -> str:
    return UUID.sub("<id>", text)


def test_the_minutes_of_a_realistic_meeting_match_the_golden_file(
        services: Services, clock: Any) -> None:
    ccb = realistic_meeting(services, clock)
    services.projections.catch_up()

    text = normalise(render_minutes(services.engine, ccb.meeting_id))

    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_the_minutes_are_the_same_after_a_rebuild(services: Services, clock: Any) -> None:
    ccb = realistic_meeting(services, clock)
    services.projections.catch_up()
    before = render_minutes(services.engine, ccb.meeting_id)

    services.projections.rebuild()

    assert render_minutes(services.engine, ccb.meeting_id) == before
