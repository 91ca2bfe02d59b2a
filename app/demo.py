"""Demo data: a small team and a handful of change requests, loaded once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Callable

from app.reviews_demo import load_reviews
from domain.base import now

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
    ledger = services.ledger
    if ledger._person_id_by_email(PEOPLE[0][1]) is not None:  # noqa: SLF001
        return False
    ids = load_people(services)
    for step in DEMO_STEPS:
        step(services, ids)
        services.projections.catch_up()
    return True


def load_people(services: Services) -> dict[str, str]:
    """The demo team; returns their ids by first name (lower case)."""
    ledger = services.ledger
    ids: dict[str, str] = {}
    with ledger.as_system(reason="demo data"):
        for name, email, function, role in PEOPLE:
            ids[email.split("@")[0]] = ledger.register_person(
                name=name, email=email, function=function, role=role,
                password=DEMO_PASSWORD)["id"]
    return ids


def load_change_requests(services: Services, ids: dict[str, str]) -> None:
    """A handful of change requests, one withdrawn."""
    ledger = services.ledger
    start = now().replace(minute=0, second=0, microsecond=0)
    created: dict[str, str] = {}
    for who, title, category, risk, systems, days, rollback in CHANGES:
        with ledger.acting_as(ids[who], reason="demo data"):
            created[title] = ledger.submit_change_request(
                title=title, description=f"{title}. Demo change request.", category=category,
                risk=risk, systems=systems, planned_start=start + timedelta(days=days, hours=2),
                planned_end=start + timedelta(days=days, hours=4),
                rollback_plan=rollback)["id"]
    with ledger.acting_as(ids["carol"], reason="postponed to next quarter"):
        ledger.withdraw_change_request(created["Launch the new onboarding flow"])


DEMO_STEPS: list[Callable[[Services, dict[str, str]], None]] = [load_change_requests]
"""Each area appends its demo loader here (called in order, after the people exist)."""
DEMO_STEPS.append(load_reviews)

from app.rehearsal_demo import load_rehearsals  # noqa: E402

DEMO_STEPS.append(load_rehearsals)

from app.oncall_demo import load_oncall  # noqa: E402

DEMO_STEPS.append(load_oncall)

from app.ccb_demo import load_ccb  # noqa: E402

DEMO_STEPS.append(load_ccb)
