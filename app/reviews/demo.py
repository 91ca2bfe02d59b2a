"""Demo data of the tracker and post-launch reviews: action items from several sources, a
follow-up policy, and a launch whose first-week daily reviews and first two weekly reviews are
recorded and finalised, with metrics that improve over time.

Scenes of the demo story (:mod:`app.demo_timeline`): the policy is defined on day 4, each action
item is raised after the event it comes from, and every review is recorded on its own day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from domain.reviews.action_item import ActionItem
from domain.reviews.review import propose_schedule

if TYPE_CHECKING:
    from app.bootstrap import Services
    from app.demo_timeline import Story

ITEMS = [
    # day raised, who, owner, title, priority, source, source id,
    # days overdue today (None: default due), status
    (9, "erin", "alice", "Add a connection-pool saturation alert", "P0", "incident", "INC-1042",
     3, "in_progress"),
    (9, "erin", "erin", "Write the runbook for payment-provider timeouts", "P1", "incident",
     "INC-1042", None, "completed"),
    (10, "dave", "dave", "Automate the failover drill's data check", "P2", "drill", "DRILL-07",
     None, "open"),
    (6, "bob", "bob", "Rotate the rehearsal environment's secrets", "P1", "rehearsal",
     "REH-2026-11", 1, "blocked"),
    (12, "carol", "carol", "Publish the CCB decision summary to stakeholders", "P2", "meeting",
     "CCB-2026-47", None, "completed"),
    (12, "alice", "erin", "Tag every production alert with its runbook", "P2", "meeting",
     "CCB-2026-47", None, "open"),
]

# uptime %, error rate %, p95 ms, active users, tickets,
# issues raised (title, owner, priority, due in days from the review), titles completed in it
REVIEWS: list[tuple[Any, ...]] = [
    ("99.62", "1.8", 1350, 420, {"critical": 1, "high": 3, "medium": 5},
     [("Cache the product catalogue", "alice", "P1", 2),
      ("Add retries to the address lookup", "erin", "P1", 3)], []),
    ("99.71", "1.5", 1220, 510, {"high": 2, "medium": 4, "low": 2}, [], []),
    ("99.80", "1.2", 1080, 580, {"high": 2, "medium": 3},
     [("Retry payment calls once", "erin", "P0", 0)], ["Add retries to the address lookup"]),
    ("99.86", "0.9", 990, 640, {"medium": 3, "low": 2}, [], []),
    ("99.91", "0.8", 930, 700, {"medium": 2, "low": 1}, [], ["Retry payment calls once"]),
    ("99.94", "0.6", 840, 820, {"medium": 1, "low": 2},
     [("Trim the checkout bundle", "carol", "P2", 10)], ["Cache the product catalogue"]),
    ("99.97", "0.4", 760, 910, {"low": 2}, [("Alert on the error budget burn rate", "bob",
                                            "P1", 4)], ["Add a connection-pool saturation alert"]),
]

FEEDBACK = [(["Checkout is faster"], ["Coupon field is confusing"]),
            (["Mobile flow praised"], ["Payment errors at night"])]


def demo_launch_day(today: date) -> date:
    """A launch day whose daily reviews and exactly two weekly reviews are before today."""
    for back in range(14, 60):
        day = today - timedelta(days=back)
        past_weekly = [r for r in propose_schedule(day) if r.kind == "weekly" and r.day < today]
        if len(past_weekly) == 2:
            return day
    return today - timedelta(days=21)


def load_reviews(story: Story) -> None:
    """Action items from several sources, a follow-up policy and a reviewed launch."""
    services, ids = story.services, story.ids
    today = story.end.date()

    @story.scene(story.day(4, 9, 30))
    def policy() -> None:
        with services.ledger.as_system(reason="demo data"):
            services.actions.define_follow_up_policy(
                name="P0 items from incidents completed within 2 days",
                source_type="incident", priority="P0", within_days=2)

    for n, row in enumerate(ITEMS):
        story.add(story.day(row[0], 11, 10 * n), lambda row=row: _item(services, ids, today, row))
    _launch(story, today)


def _item(services: Services, ids: dict[str, str], today: date, row: tuple[Any, ...]) -> None:
    _, who, owner, title, priority, source, source_id, overdue, status = row
    with services.ledger.acting_as(ids[who], reason="demo data"):
        item = services.actions.create_action_item(
            title=title, owner_id=ids[owner], priority=priority, source_type=source,
            source_id=source_id, description=f"Raised from {source} {source_id}.",
            due=today - timedelta(days=overdue) if overdue else None,
            due_reason="agreed at triage: waits for the vendor" if overdue else None)
        if status != "open":
            services.actions.update_action_item_status(
                item["id"], status, "waiting for the vendor's new credentials"
                if status == "blocked" else "demo progress")


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _launch(story: Story, today: date) -> None:
    services, ids = story.services, story.ids
    launch_day = demo_launch_day(today)
    review_ids: list[str] = []

    @story.scene(_at(launch_day, 8))
    def launch() -> None:
        with services.ledger.acting_as(ids["carol"], reason="demo data"):
            review_ids.extend(services.reviews.record_launch(
                name="New checkout", system="checkout", launch_date=launch_day,
                description="The redesigned checkout flow, rolled out to every customer.",
            )["review_ids"])

    days = [p.day for p in propose_schedule(launch_day)]
    for n, (day, row) in enumerate(zip(days, REVIEWS)):
        story.add(_at(day, 16), lambda n=n, day=day, row=row: _review(
            services, ids, review_ids[n], day, row, FEEDBACK[n % 2]))


def _review(services: Services, ids: dict[str, str], review_id: str, day: date,
            row: tuple[Any, ...], feedback: tuple[list[str], list[str]]) -> None:
    uptime, errors, p95, users, tickets, issues, completed = row
    with services.ledger.acting_as(ids["alice"], reason="demo data"):
        services.reviews.record_review_metrics(review_id, source="monitoring", uptime_pct=uptime,
                                     error_rate_pct=errors, p95_ms=p95, active_users=users,
                                     tickets=tickets)
        for item_id, title in services.actions.open_action_items().items():  # noqa: SLF001
            status = services.ledger.load(ActionItem, item_id).status  # noqa: SLF001
            if title in completed:
                status, note = "completed", "done and verified in production"
            else:
                note = "still blocked on the vendor" if status == "blocked" else "on track"
            services.reviews.record_review_status_update(review_id, item_id, status, note)
        for title, owner, priority, due_in in issues:
            services.reviews.raise_review_issue(review_id, title=title, owner_id=ids[owner],
                                      priority=priority, due=day + timedelta(days=due_in),
                                      due_reason="agreed in the review")
        services.reviews.record_review_notes(review_id, backlog=["Cache the catalogue",
                                                        "Load-test the payment retries"],
                                   positive=feedback[0], negative=feedback[1],
                                   next_review_date=None,
                                   focus_areas=["p95 latency", "error budget"])
        services.reviews.finalise_review(review_id, [])
