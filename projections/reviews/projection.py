"""Projection of launches and post-launch reviews into ``rm_launches``, ``rm_reviews`` and
``rm_review_addenda``. Metric values are kept as decimal strings (exact, as recorded)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from domain.reviews.review import Launch, Review
from projections.base import Projection, handles

if TYPE_CHECKING:
    from projections.base import Writer
from projections.reviews.tables import launches, review_addenda, reviews


def _dec(value: Any) -> str | None:
    return None if value is None else str(value)


class ReviewProjection(Projection):
    """Keeps launches and reviews in step with Launch and Review events."""

    name = "reviews"
    tables = (launches, reviews, review_addenda)

    @handles(Launch.Launched)
    def launched(self, w: Writer, e: Any) -> None:
        w.insert(launches, id=str(e.originator_id), name=e.name, system=e.system,
                 launch_date=date.fromisoformat(e.launch_date), description=e.description,
                 owner_id=e.owner_id, targets=dict(e.targets), recorded_at=e.timestamp,
                 updated_at=e.timestamp)

    @handles(Launch.TargetsChanged)
    def targets_changed(self, w: Writer, e: Any) -> None:
        w.execute(update(launches).where(launches.c.id == str(e.originator_id))
                  .values(targets=dict(e.targets), updated_at=e.timestamp))

    @handles(Review.Scheduled)
    def scheduled(self, w: Writer, e: Any) -> None:
        day = date.fromisoformat(e.scheduled_for)
        w.insert(reviews, id=str(e.originator_id), launch_id=e.launch_id, seq=e.seq,
                 kind=e.kind, scheduled_for=day, originally_scheduled_for=day,
                 status="scheduled", backlog=[], positive=[], negative=[], focus_areas=[],
                 updated_at=e.timestamp, version=e.originator_version)

    @handles(Review.Moved)
    def moved(self, w: Writer, e: Any) -> None:
        self._set(w, e, scheduled_for=date.fromisoformat(e.scheduled_for), move_reason=e.reason)

    @handles(Review.Cancelled)
    def cancelled(self, w: Writer, e: Any) -> None:
        self._set(w, e, status="cancelled", cancel_reason=e.reason)

    @handles(Review.MetricsRecorded)
    def metrics(self, w: Writer, e: Any) -> None:
        self._set(w, e, status="in_progress", uptime_pct=_dec(e.uptime_pct),
                  error_rate_pct=_dec(e.error_rate_pct), p95_ms=e.p95_ms,
                  active_users=e.active_users, tickets=dict(e.tickets),
                  metrics_source=e.source, metrics_at=e.timestamp)

    @handles(Review.StatusUpdateRecorded, Review.IssueRaised)
    def touched(self, w: Writer, e: Any) -> None:
        self._set(w, e, status="in_progress")

    @handles(Review.NotesRecorded)
    def notes(self, w: Writer, e: Any) -> None:
        self._set(w, e, status="in_progress", backlog=list(e.backlog),
                  positive=list(e.positive), negative=list(e.negative),
                  next_review_date=date.fromisoformat(e.next_review_date)
                  if e.next_review_date else None, focus_areas=list(e.focus_areas))

    @handles(Review.Finalised)
    def finalised(self, w: Writer, e: Any) -> None:
        self._set(w, e, status="finalised", incidents=list(e.incidents),
                  targets=dict(e.targets), finalised_at=e.timestamp, finalised_by=e.actor_id)

    @handles(Review.AddendumAdded)
    def addendum(self, w: Writer, e: Any) -> None:
        self._set(w, e)
        w.insert(review_addenda, review_id=str(e.originator_id), version=e.originator_version,
                 text=e.text, actor_id=e.actor_id, at=e.timestamp)

    @staticmethod
    def _set(w: Writer, e: Any, **values: Any) -> None:
        w.update(reviews, str(e.originator_id), updated_at=e.timestamp,
                 version=e.originator_version, **values)
