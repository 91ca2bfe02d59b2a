"""The demo story: every area's demo data, loaded once, as one chronological story.

Every area's demo is a set of scenes on one timeline (:mod:`app.demo_timeline`): the team joins
about a month ago and the story runs day by day up to yesterday, so the log is in time order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from app.ccb.demo import load_ccb
from app.changes.demo import load_change_requests
from app.demo_timeline import Story
from app.oncall.demo import load_oncall
from app.people.demo import PEOPLE, load_people
from app.programme.demo import load_programme
from app.rehearsals.demo import load_rehearsals
from app.reviews.demo import load_reviews
from domain.base import now, using_clock

if TYPE_CHECKING:
    from app.bootstrap import Services


def load_demo(services: Services) -> bool:
    """Load the demo data of every area once; returns False if it is already there."""
    if services.people.person_id_by_email(PEOPLE[0][1]) is not None:
        return False
    story = Story(services, {}, now())
    with using_clock(lambda: story.day(0, 8)):
        story.ids.update(load_people(services))
    services.projections.catch_up()
    for step in DEMO_STEPS:
        step(story)
    story.run()
    return True


DEMO_STEPS: list[Callable[[Story], None]] = [
    load_change_requests, load_reviews, load_rehearsals, load_oncall, load_ccb,
    load_programme]
"""Every area's demo loader: each adds its scenes to the story (called in this order, after the
people exist; scenes at the same moment play in that order)."""
