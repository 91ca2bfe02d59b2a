"""Demo change requests: five requests of every category, one later withdrawn."""

from __future__ import annotations

from datetime import timedelta

from app.demo_timeline import Story

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
