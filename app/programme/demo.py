"""Programme demo data: the Track 4 programme created on the story's first morning from the
guide, owners named, activities started and completed as the other areas' scenes happen, time
logged (more than the timeboxes, as the guide warned), one sign-off of the team's confidence
(one function only: partly met) and a risk being mitigated."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.demo_timeline import Story

OWNERS = {"t41-scheduling": "carol", "t41-first-meeting": "alice", "t41-decision-log": "erin",
          "t42-staging": "erin", "t42-planning": "alice", "t42-dry-run": "alice",
          "t42-lessons": "carol", "t43-tool": "erin", "t43-runbook-review": "alice",
          "t43-training": "alice", "t43-practice": "alice", "t44-template": "carol",
          "t44-daily": "alice"}

WORK = [  # (day, hour, person, activity, hours worked, complete?)
    (0, 10, "erin", "t43-tool", 2.5, True),
    (0, 11, "alice", "t43-runbook-review", 3, True),
    (1, 9, "erin", "t42-staging", 4.5, True),
    (1, 14, "alice", "t42-planning", 2, True),
    (3, 9, "alice", "t43-training", 3.5, True),
    (5, 8, "alice", "t42-dry-run", 4, True),
    (6, 10, "carol", "t42-lessons", 2.5, True),
    (8, 13, "alice", "t43-practice", 1.5, True),
    (12, 8, "erin", "t41-decision-log", 1, True),
    (13, 9, "carol", "t41-scheduling", 1.5, True),
    (23, 9, "alice", "t41-first-meeting", 2.5, True),
    (24, 9, "dave", "t41-minutes", 1, False),
    (26, 16, "alice", "t42-runbook-updates", 1, False),
]
"""What the team did, when: each row starts the activity, logs the hours, maybe completes it."""


def load_programme(story: Story) -> None:
    """The programme's scenes on the story's timeline."""
    services, ids = story.services, story.ids

    @story.scene(story.day(0, 8, 30))
    def create() -> None:
        with services.ledger.as_system(reason="demo: Track 4 kickoff"):
            services.programme.create_programme("Phase 3 Track 4: Operational Governance")
            for activity, person in OWNERS.items():
                services.programme.edit_activity(activity, owner_id=ids[person])
            services.programme.edit_activity("t44-weekly", timebox_hours=10)
            services.programme.update_risk("tool-costs", owner_id=ids["erin"],
                                           status="mitigating")

    for day, hour, person, activity, hours, complete in WORK:
        story.add(story.day(day, hour), lambda p=person, a=activity, h=hours, c=complete:
                  _work(story, p, a, h, c))

    @story.scene(story.day(27, 11))
    def confidence() -> None:
        with services.ledger.acting_as(ids["alice"], reason="demo: after the Go rehearsal"):
            services.programme.sign_off("t42.confidence", "2.3.1 rehearsal went clean on the "
                                        "second run; I would ship it.")


def _work(story: Story, person: str, activity: str, hours: float, complete: bool) -> None:
    services = story.services
    with services.ledger.acting_as(story.ids[person], reason="demo"):
        services.programme.start_activity(activity)
        services.programme.log_time(activity, hours, story.clock.now.date(),
                                    "demo: the work itself")
        if complete:
            story.clock.advance(hours * 60)
            services.programme.complete_activity(activity)
    story.clock.move_to(story.clock.now + timedelta(minutes=1))
