"""Demo data: a small team and a handful of change requests, loaded once.

Every area's demo is a set of scenes on one timeline (:mod:`app.demo_timeline`): the team joins
about a month ago and the story runs day by day up to yesterday, so the log is in time order.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Callable

from app.demo_timeline import Story
from app.reviews.demo import load_reviews
from domain.base import now, using_clock

if TYPE_CHECKING:
    from app.bootstrap import Services

DEMO_PASSWORD = "demo-password-123"

PEOPLE = [
    ("Alice Martin", "alice@example.org", "engineering", "member"),
    ("Bob Chen", "bob@example.org", "security", "member"),
    ("Carol Diaz", "carol@example.org", "product", "member"),
    ("Dave Okafor", "dave@example.org", "qa", "member"),
    ("Erin Novak", "erin@example.org", "devops", "member"),
    ("Frank Auditor", "frank@example.org", "management", "auditor"),
]

CHANGES = [
    ("alice", "Upgrade payments-db to PostgreSQL 16", "normal", "high", ["payments-db"], 3,
     "Restore the pre-upgrade snapshot and repoint the pooler."),
    ("erin", "Rotate TLS certificates on the edge proxies", "standard", "low", ["edge-proxy"], 2,
     ""),
    ("bob", "Enforce 2FA for the admin console", "normal", "medium", ["admin-console", "auth"],
     5, "Disable the enforcement flag."),
    ("carol", "Launch the new onboarding flow", "normal", "medium", ["web-app", "billing-api"],
     8, "Switch the feature flag off."),
    ("alice", "Hotfix: connection pool exhaustion on billing-api", "emergency", "high",
     ["billing-api"], 0, "Redeploy the previous image."),
]


def load_demo(services: Services) -> bool:
    """Load the demo data of every area once; returns False if it is already there."""
    if services.people.person_id_by_email(PEOPLE[0][1]) is not None:  # noqa: SLF001
        return False
    story = Story(services, {}, now())
    with using_clock(lambda: story.day(0, 8)):
        story.ids.update(load_people(services))
    services.projections.catch_up()
    for step in DEMO_STEPS:
        step(story)
    story.run()
    return True


def load_people(services: Services) -> dict[str, str]:
    """The demo team; returns their ids by first name (lower case)."""
    ids: dict[str, str] = {}
    with services.ledger.as_system(reason="demo data"):
        for name, email, function, role in PEOPLE:
            ids[email.split("@")[0]] = services.people.register_person(
                name=name, email=email, function=function, role=role,
                password=DEMO_PASSWORD)["id"]
    return ids


def load_change_requests(story: Story) -> None:
    """A handful of change requests submitted on the second day, one withdrawn the next."""
    services, ids = story.services, story.ids
    created: dict[str, str] = {}

    def submit(who: str, title: str, category: str, risk: str, systems: list[str], days: int,
               rollback: str) -> None:
        start = story.clock.now.replace(minute=0, second=0, microsecond=0)
        with services.ledger.acting_as(ids[who], reason="demo data"):
            created[title] = services.changes.submit_change_request(
                title=title, description=f"{title}. Demo change request.", category=category,
                risk=risk, systems=systems, planned_start=start + timedelta(days=days, hours=2),
                planned_end=start + timedelta(days=days, hours=4),
                rollback_plan=rollback)["id"]

    for n, change in enumerate(CHANGES):
        story.add(story.day(1, 10, 20 * n), lambda change=change: submit(*change))

    @story.scene(story.day(2, 15))
    def withdraw() -> None:
        with services.ledger.acting_as(ids["carol"], reason="postponed to next quarter"):
            services.changes.withdraw_change_request(created["Launch the new onboarding flow"])


DEMO_STEPS: list[Callable[[Story], None]] = [load_change_requests]
"""Each area appends its demo loader here: it adds its scenes to the story (called in order,
after the people exist; scenes at the same moment play in that order)."""
DEMO_STEPS.append(load_reviews)

from app.rehearsals.demo import load_rehearsals  # noqa: E402

DEMO_STEPS.append(load_rehearsals)

from app.oncall.demo import load_oncall  # noqa: E402

DEMO_STEPS.append(load_oncall)

from app.ccb.demo import load_ccb  # noqa: E402

DEMO_STEPS.append(load_ccb)
