"""Review due: the owner of a launch is reminded the day before each scheduled review, once
per review and date (moving the review earns a new reminder; a cancelled one none)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from app.notifications.worker import Worker
from app.reviews.queries import launch_reviews

if TYPE_CHECKING:
    from app.bootstrap import Services
    from tests.conftest import FakeClock
    from tests.support.receivers import SmtpServer


def day_before(day: Any) -> datetime:
    return datetime.combine(day - timedelta(days=1), time(9), tzinfo=timezone.utc)


class TestReviewDue:
    def test_the_launch_owner_is_reminded_the_day_before_once_and_again_when_it_moves(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            clock: FakeClock) -> None:
        owner, other = team["lead"], team["people"][0]
        with services.ledger.acting_as(owner["id"]):
            launch = services.reviews.record_launch(name="Search v2", system="search",
                                                   launch_date=clock.now.date())
        services.projections.catch_up()
        first, second = launch_reviews(services.engine, launch["id"])[:2]
        worker = Worker(services)

        worker.tick(day_before(first["scheduled_for"]))
        worker.tick(day_before(first["scheduled_for"]) + timedelta(hours=3))
        Worker(services).tick(day_before(first["scheduled_for"]) + timedelta(hours=4))
        once = [m["Subject"] for m in smtp.to(owner["email"])]
        with services.ledger.acting_as(owner["id"], reason="merged into the weekly one"):
            services.reviews.cancel_review(second["id"])
        worker.tick(day_before(second["scheduled_for"]))
        moved_to = first["scheduled_for"] + timedelta(days=14)
        with services.ledger.acting_as(owner["id"], reason="the team is away that week"):
            services.reviews.move_review(first["id"], moved_to)
        worker.tick(day_before(moved_to))
        worker.tick(day_before(moved_to) + timedelta(hours=1))

        due = "Post-launch review due tomorrow: Search v2"
        assert once == [due]
        messages = smtp.to(owner["email"])
        assert [m["Subject"] for m in messages] == [due, due]
        assert f"scheduled for {moved_to}" in messages[1].get_body(("plain",)).get_content()
        assert f"/reviews/{first['id']}" in messages[1].get_body(("plain",)).get_content()
        assert smtp.to(other["email"]) == []
