"""Post-launch reviews: a launch proposes its review schedule (daily, weekly, monthly); each
review records metrics against targets, status updates of open action items, new issues,
backlog, feedback and the next focus, and is finalised once every open item has an update."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import event

from domain.base import LedgerAggregate, current_context
from domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Container

KINDS = ("daily", "weekly", "monthly")
REVIEW_STATUSES = ("scheduled", "in_progress", "finalised", "cancelled")
SEVERITIES = ("P0", "P1", "P2")
TICKET_SEVERITIES = ("critical", "high", "medium", "low")
DAILY_REVIEWS = 5
MONTHLY_REVIEWS = 3
FRIDAY, MONDAY = 4, 0
DEFAULT_TARGETS = {"uptime_min": "99.9", "error_rate_max": "1", "p95_max_ms": 1000}
"""Uptime at least 99.9 %, error rate below 1 %, p95 response below 1000 ms."""


# -- cadence --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProposedReview:
    """One review the cadence proposes."""

    day: date
    kind: str


def add_month(day: date) -> date:
    """The same day next month (the month's last day when it is shorter)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def working_days_after(day: date, count: int) -> list[date]:
    """The next ``count`` Monday-to-Friday days after ``day``."""
    days: list[date] = []
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def first_monday(year: int, month: int) -> date:
    """The first Monday of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(MONDAY - first.weekday()) % 7)


def first_mondays_after(day: date, count: int) -> list[date]:
    """The first Mondays of the ``count`` months whose first Monday comes after ``day``."""
    mondays, cursor = [], day.replace(day=1)
    while len(mondays) < count:
        candidate = first_monday(cursor.year, cursor.month)
        if candidate > day:
            mondays.append(candidate)
        cursor = add_month(cursor)
    return mondays


def propose_schedule(launch_day: date, months: int = MONTHLY_REVIEWS) -> list[ProposedReview]:
    """The review cadence after a launch, in date order, without duplicates.

    Daily on the first 5 working days after the launch day; weekly on the Fridays after the
    daily reviews until one month after the launch; then monthly on the first Monday of each
    month after that first month. Public holidays are not known here (move those reviews).
    """
    daily = working_days_after(launch_day, DAILY_REVIEWS)
    month_end = add_month(launch_day)
    weekly, friday = [], daily[-1] + timedelta(days=(FRIDAY - daily[-1].weekday()) % 7 or 7)
    while friday <= month_end:
        weekly.append(friday)
        friday += timedelta(days=7)
    monthly = first_mondays_after(month_end, months)
    return ([ProposedReview(d, "daily") for d in daily]
            + [ProposedReview(d, "weekly") for d in weekly]
            + [ProposedReview(d, "monthly") for d in monthly])


# -- targets --------------------------------------------------------------------------------------

def check_targets(targets: dict[str, Any]) -> dict[str, Any]:
    """Return targets as stored (decimal strings and an int), refusing impossible values."""
    uptime, error_rate = Decimal(str(targets["uptime_min"])), Decimal(
        str(targets["error_rate_max"]))
    p95 = int(targets["p95_max_ms"])
    if not (0 < uptime <= 100 and 0 < error_rate <= 100 and p95 > 0):
        raise InvalidTargets("targets must be percentages in (0, 100] and a positive p95",
                             **{k: str(v) for k, v in targets.items()})
    return {"uptime_min": str(uptime), "error_rate_max": str(error_rate), "p95_max_ms": p95}


def compare_metrics(metrics: dict[str, Any], targets: dict[str, Any]) -> list[dict[str, Any]]:
    """Each measured value next to its target, and whether it meets it (None when missing)."""
    rows = [
        ("uptime_pct", "Uptime", "%", f"≥ {targets['uptime_min']}%",
         lambda v: v >= Decimal(str(targets["uptime_min"]))),
        ("error_rate_pct", "Error Rate", "%", f"< {targets['error_rate_max']}%",
         lambda v: v < Decimal(str(targets["error_rate_max"]))),
        ("p95_ms", "Response Time p95", "ms", f"< {targets['p95_max_ms']}ms",
         lambda v: v < Decimal(str(targets["p95_max_ms"]))),
    ]
    out = []
    for key, label, unit, target, meets in rows:
        value = metrics.get(key)
        out.append({"key": key, "label": label, "unit": unit, "value": value, "target": target,
                    "met": None if value is None else bool(meets(Decimal(str(value))))})
    return out


# -- aggregates -----------------------------------------------------------------------------------

class Launch(LedgerAggregate):
    """A production launch, with the targets its reviews are measured against."""

    @event("Launched")
    def __init__(self, name: str, system: str, launch_date: str, description: str,
                 owner_id: str, targets: dict[str, Any]) -> None:
        self.name = name
        self.system = system
        self.launch_date = launch_date
        self.description = description
        self.owner_id = owner_id
        self.targets = dict(targets)
        self.review_days: list[str] = []
        self.review_seqs: dict[str, int] = {}

    def schedule_reviews(self, reviews: list[dict[str, Any]]) -> None:
        """Record the reviews scheduled for this launch (id, seq, day, kind each)."""
        self._schedule_reviews(reviews=[dict(r) for r in reviews])

    @event("ReviewsScheduled")
    def _schedule_reviews(self, reviews: list[dict[str, Any]]) -> None:
        self.review_days += [r["day"] for r in reviews]
        self.review_seqs.update({r["id"]: r["seq"] for r in reviews})

    def carried_sources(self, review_seq: int) -> set[tuple[str, str]]:
        """The sources whose open items a review of this launch must update: the launch's
        earlier reviews (by sequence) and items linked to the launch itself."""
        return {("review", rid) for rid, seq in self.review_seqs.items() if seq < review_seq} | {
            ("launch", str(self.id))}

    def propose_more_monthly_reviews(self, count: int) -> list[ProposedReview]:
        """The next ``count`` monthly reviews after the last one scheduled."""
        last = max(date.fromisoformat(d) for d in self.review_days)
        return [ProposedReview(d, "monthly") for d in first_mondays_after(last, count)]

    def change_targets(self, targets: dict[str, Any]) -> None:
        """Set new targets for this launch's reviews."""
        checked = check_targets({**self.targets, **targets})
        if checked == self.targets:
            raise TargetsUnchanged("these are already the launch's targets")
        self._change_targets(targets=checked)

    @event("TargetsChanged")
    def _change_targets(self, targets: dict[str, Any]) -> None:
        self.targets = dict(targets)


class Review(LedgerAggregate):
    """One post-launch review: scheduled, recorded, then finalised (or cancelled)."""

    @event("Scheduled")
    def __init__(self, launch_id: str, seq: int, kind: str, scheduled_for: str) -> None:
        self.launch_id = launch_id
        self.seq = seq
        self.kind = kind
        self.scheduled_for = scheduled_for
        self.status = "scheduled"
        self.updated_items: dict[str, str] = {}
        self.raised_items: list[str] = []

    # -- schedule -------------------------------------------------------------------------------

    def move(self, day: date) -> None:
        """Move the review to another day."""
        self.check_editable()
        if day.isoformat() == self.scheduled_for:
            raise ReviewNotMoved("the review is already on that day", day=self.scheduled_for)
        self._move(scheduled_for=day.isoformat(), previous=self.scheduled_for)

    @event("Moved")
    def _move(self, scheduled_for: str, previous: str) -> None:
        self.scheduled_for = scheduled_for

    def cancel(self) -> None:
        """Cancel the review (a reason is required)."""
        self.check_editable()
        if not (current_context().reason or "").strip():
            raise CancelReasonRequired("say why the review is cancelled")
        self._cancel()

    @event("Cancelled")
    def _cancel(self) -> None:
        self.status = "cancelled"

    # -- content --------------------------------------------------------------------------------

    def record_metrics(self, metrics: dict[str, Any], source: str) -> None:
        """Record the period's metrics (entered in a form or posted by monitoring)."""
        self.check_editable()
        self._record_metrics(
            uptime_pct=_decimal(metrics.get("uptime_pct")),
            error_rate_pct=_decimal(metrics.get("error_rate_pct")),
            p95_ms=_int(metrics.get("p95_ms")), active_users=_int(metrics.get("active_users")),
            tickets={k: int(v) for k, v in (metrics.get("tickets") or {}).items()},
            source=source)

    @event("MetricsRecorded")
    def _record_metrics(self, uptime_pct: Decimal | None, error_rate_pct: Decimal | None,
                        p95_ms: int | None, active_users: int | None, tickets: dict[str, int],
                        source: str) -> None:
        self.status = "in_progress"

    def record_status_update(self, item_id: str, status: str, note: str) -> None:
        """Note that an action item received a status update in this review."""
        self.check_editable()
        self._record_status_update(item_id=item_id, status=status, note=note)

    @event("StatusUpdateRecorded")
    def _record_status_update(self, item_id: str, status: str, note: str) -> None:
        self.updated_items[item_id] = status
        self.status = "in_progress"

    def note_issue(self, item_id: str, title: str) -> None:
        """Note a new issue raised in this review (an action item sourced here)."""
        self.check_editable()
        self._note_issue(item_id=item_id, title=title)

    @event("IssueRaised")
    def _note_issue(self, item_id: str, title: str) -> None:
        self.raised_items.append(item_id)
        self.status = "in_progress"

    def record_notes(self, backlog: list[str], positive: list[str], negative: list[str],
                     next_review_date: date | None, focus_areas: list[str]) -> None:
        """Record the backlog, feedback themes and the next review's date and focus."""
        self.check_editable()
        self._record_notes(backlog=list(backlog), positive=list(positive),
                           negative=list(negative),
                           next_review_date=next_review_date.isoformat()
                           if next_review_date else None, focus_areas=list(focus_areas))

    @event("NotesRecorded")
    def _record_notes(self, backlog: list[str], positive: list[str], negative: list[str],
                      next_review_date: str | None, focus_areas: list[str]) -> None:
        self.status = "in_progress"

    # -- finalising -----------------------------------------------------------------------------

    def missing_updates(self, open_items: dict[str, str]) -> list[dict[str, str]]:
        """Open items (id → title) with no status update in this review, except new ones."""
        return [{"id": item_id, "title": title} for item_id, title in sorted(
            open_items.items(), key=lambda kv: (kv[1], kv[0]))
            if needs_status_update(item_id, self.updated_items, self.raised_items)]

    def finalise(self, open_items: dict[str, str], incidents: list[dict[str, Any]],
                 targets: dict[str, Any]) -> None:
        """Finalise: refused while an open action item has no status update in this review."""
        self.check_editable()
        missing = self.missing_updates(open_items)
        if missing:
            raise MissingStatusUpdates(
                f"{len(missing)} open action item(s) have no status update in this review",
                review_id=str(self.id), items=missing)
        self._finalise(incidents=list(incidents), targets=dict(targets))

    @event("Finalised")
    def _finalise(self, incidents: list[dict[str, Any]], targets: dict[str, Any]) -> None:
        self.status = "finalised"

    def add_addendum(self, text: str) -> None:
        """Correct or complete a finalised review (it is never edited)."""
        if self.status != "finalised":
            raise NotFinalised("addenda are for finalised reviews; edit the review instead",
                               review_id=str(self.id), status=self.status)
        self._add_addendum(text=text)

    @event("AddendumAdded")
    def _add_addendum(self, text: str) -> None:
        pass

    def check_editable(self) -> None:
        """Refuse changes to a finalised or cancelled review."""
        if self.status == "finalised":
            raise ReviewFinalised("a finalised review is immutable; add an addendum instead",
                                  review_id=str(self.id))
        if self.status == "cancelled":
            raise ReviewCancelled("the review was cancelled", review_id=str(self.id))


def needs_status_update(item_id: str, updated: Container[str], raised: Container[str]) -> bool:
    """Whether an open action item still needs a status update in a review before it can be
    finalised: it has none there yet (``updated``) and was not raised there (``raised``)."""
    return item_id not in updated and item_id not in raised


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class InvalidTargets(DomainError):
    """Raised when targets are not sensible percentages and durations."""

    code = "invalid_targets"


class TargetsUnchanged(DomainError):
    """Raised when targets are set to the values they already have."""

    code = "targets_unchanged"


class ReviewNotMoved(DomainError):
    """Raised when a review is moved to the day it is already on."""

    code = "review_not_moved"


class CancelReasonRequired(DomainError):
    """Raised when a review is cancelled without a reason."""

    code = "reason_required"


class ReviewFinalised(DomainError):
    """Raised when a finalised review is changed."""

    code = "review_finalised"


class ReviewCancelled(DomainError):
    """Raised when a cancelled review is changed."""

    code = "review_cancelled"


class NotFinalised(DomainError):
    """Raised when an addendum is added to a review that is not finalised."""

    code = "review_not_finalised"


class MissingStatusUpdates(DomainError):
    """Raised when a review is finalised while open action items have no status update in it."""

    code = "missing_status_updates"
