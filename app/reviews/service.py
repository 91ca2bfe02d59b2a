"""Launch and post-launch review commands."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from app.ledger import SYSTEM_ACTOR
from domain.reviews.action_item import ActionItem
from domain.reviews.review import (
    DEFAULT_TARGETS,
    MONTHLY_REVIEWS,
    Launch,
    ProposedReview,
    Review,
    check_targets,
    propose_schedule,
)

if TYPE_CHECKING:
    from app.ledger import Ledger
    from app.reviews.action_items import ActionItemService


class ReviewService:
    """Use cases of launches and their reviews (uses the action item tracker's commands)."""

    def __init__(self, ledger: Ledger, actions: ActionItemService) -> None:
        self.ledger = ledger
        self.actions = actions

    def record_launch(self, name: str, system: str, launch_date: date, description: str = "",
                      targets: dict[str, Any] | None = None,
                      months: int = MONTHLY_REVIEWS) -> dict[str, Any]:
        """Record a production launch and schedule its reviews from the cadence."""
        actor = self.ledger.writer()
        launch = Launch(name=name, system=system, launch_date=launch_date.isoformat(),
                        description=description,
                        owner_id=str(actor.id) if actor is not None else SYSTEM_ACTOR,
                        targets=check_targets({**DEFAULT_TARGETS, **(targets or {})}))
        reviews = _schedule(launch, propose_schedule(launch_date, months))
        self.ledger.save(launch, *reviews)
        return {"id": str(launch.id), "review_ids": [str(r.id) for r in reviews]}

    def extend_review_schedule(self, launch_id: UUID | str, months: int = 3) -> dict[str, Any]:
        """Schedule the next monthly reviews (first Mondays) after the last scheduled one."""
        self.ledger.writer()
        launch = self.ledger.load(Launch, launch_id)
        reviews = _schedule(launch, launch.propose_more_monthly_reviews(months))
        self.ledger.save(launch, *reviews)
        return {"id": str(launch.id), "review_ids": [str(r.id) for r in reviews]}

    def change_launch_targets(self, launch_id: UUID | str, **targets: Any) -> dict[str, Any]:
        """Change the targets the launch's reviews are measured against."""
        self.ledger.writer()
        launch = self.ledger.load(Launch, launch_id)
        launch.change_targets({k: v for k, v in targets.items() if v is not None})
        self.ledger.save(launch)
        return {"id": str(launch.id), "targets": launch.targets}

    def move_review(self, review_id: UUID | str, day: date) -> dict[str, Any]:
        """Move a review to another day."""
        return self._on_review(review_id, lambda r: r.move(day))

    def cancel_review(self, review_id: UUID | str) -> dict[str, Any]:
        """Cancel a review (reason from the command context)."""
        return self._on_review(review_id, lambda r: r.cancel())

    def record_review_metrics(self, review_id: UUID | str, source: str = "form",
                              **metrics: Any) -> dict[str, Any]:
        """Record the review period's metrics (from the form, or posted by monitoring)."""
        return self._on_review(review_id, lambda r: r.record_metrics(metrics, source))

    def record_review_notes(self, review_id: UUID | str, **notes: Any) -> dict[str, Any]:
        """Record backlog, feedback themes, next review date and focus areas."""
        return self._on_review(review_id, lambda r: r.record_notes(**notes))

    def add_review_addendum(self, review_id: UUID | str, text: str) -> dict[str, Any]:
        """Add a correction to a finalised review."""
        return self._on_review(review_id, lambda r: r.add_addendum(text))

    def record_review_status_update(self, review_id: UUID | str, item_id: UUID | str,
                                    status: str, note: str = "") -> dict[str, Any]:
        """Update an action item in a review: the item and the review record it together."""
        self.ledger.writer()
        review = self.ledger.load(Review, review_id)
        item = self.ledger.load(ActionItem, item_id)
        review.check_editable()
        item.update_status(status, note, review_id=str(review.id))
        review.record_status_update(str(item.id), status, note.strip())
        self.ledger.save(review, item)
        return {"id": str(review.id), "item_id": str(item.id), "status": item.status}

    def raise_review_issue(self, review_id: UUID | str, title: str, owner_id: str,
                           priority: str = "P2", due: date | None = None,
                           description: str = "",
                           due_reason: str | None = None) -> dict[str, Any]:
        """Raise a new issue found in a review as an action item sourced from it."""
        self.ledger.writer()
        review = self.ledger.load(Review, review_id)
        review.check_editable()
        item = self.actions.raise_action_item(
            title=title, owner_id=owner_id, priority=priority, due=due, source_type="review",
            source_id=str(review.id), description=description, save=False,
            due_reason=due_reason)
        review.note_issue(str(item.id), title)
        self.ledger.save(review, item)
        return {"id": str(review.id), "item_id": str(item.id), "due": item.due}

    def finalise_review(self, review_id: UUID | str,
                        incidents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Finalise a review with the period's incidents; refused while open items carried
        into it (raised by the launch's earlier reviews or linked to the launch) lack an update
        in it (``missing_status_updates``)."""
        self.ledger.writer()
        review = self.ledger.load(Review, review_id)
        launch = self.ledger.load(Launch, review.launch_id)
        review.check_editable()
        review.finalise(self.actions.open_action_items(launch.carried_sources(review.seq)),
                        incidents or [], launch.targets)
        self.ledger.save(review)
        return {"id": str(review.id), "status": review.status}

    def _on_review(self, review_id: UUID | str, change: Any) -> dict[str, Any]:
        self.ledger.writer()
        review = self.ledger.load(Review, review_id)
        change(review)
        self.ledger.save(review)
        return {"id": str(review.id), "status": review.status,
                "scheduled_for": review.scheduled_for}


def _schedule(launch: Launch, proposed: list[ProposedReview]) -> list[Review]:
    """Create the proposed reviews and record them on the launch."""
    start = len(launch.review_days) + 1
    reviews = [Review(launch_id=str(launch.id), seq=n, kind=p.kind,
                      scheduled_for=p.day.isoformat()) for n, p in enumerate(proposed, start)]
    launch.schedule_reviews([{"id": str(r.id), "seq": r.seq, "day": r.scheduled_for,
                              "kind": r.kind} for r in reviews])
    return reviews
