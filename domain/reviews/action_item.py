"""Action items: one tracker for items raised anywhere (reviews, incidents, drills, rehearsals,
CCB meetings), each linked to its source; follow-up policies say how fast items must close."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from eventsourcing.domain import event

from domain.base import LedgerAggregate, current_context, now
from domain.errors import DomainError

PRIORITIES = ("P0", "P1", "P2")
SOURCES = ("review", "incident", "drill", "rehearsal", "meeting", "manual", "launch")
"""Where an item comes from; ``launch`` links it to a launch (its source id is the launch's id)."""
STATUSES = ("open", "in_progress", "blocked", "completed")
OPEN_STATUSES = ("open", "in_progress", "blocked")


def default_due(priority: str, today: date) -> date:
    """P0 is due today, P1 by the end of this working week (Friday), P2 by the end of the month."""
    if priority == "P0":
        return today
    if priority == "P1":
        return today + timedelta(days=max(0, 4 - today.weekday()))
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


WINDOW_RULES = {"P0": "a P0 item is due today",
                "P1": "a P1 item is due by the end of the current week (Sunday)",
                "P2": "a P2 item is due by the end of the current month"}
"""The priority's due-date window, in words (named by the refusal)."""


def due_window_end(priority: str, today: date) -> date:
    """The latest due date the priority allows: P0 today, P1 this week's Sunday, P2 the last
    day of this month."""
    if priority == "P0":
        return today
    if priority == "P1":
        return today + timedelta(days=6 - today.weekday())
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def beyond_window(priority: str, due: date, today: date) -> bool:
    """Whether ``due`` is later than the priority's window allows, judged on ``today``."""
    return due > due_window_end(priority, today)


def check_due_window(priority: str, due: date, today: date, due_reason: str | None) -> bool:
    """Refuse a due date beyond the priority's window unless a reason is given; returns
    whether the date is beyond the window (recorded on the item)."""
    beyond = beyond_window(priority, due, today)
    if beyond and not (due_reason or "").strip():
        raise DueBeyondPriorityWindow(
            f"{WINDOW_RULES[priority]} (by {due_window_end(priority, today).isoformat()}); a "
            f"later date needs a due_reason", priority=priority, due=due.isoformat(),
            window_end=due_window_end(priority, today).isoformat(), rule=WINDOW_RULES[priority])
    return beyond


def is_overdue(due: date, status: str, today: date) -> bool:
    """An item is overdue when it is not completed and its due date has passed."""
    return status != "completed" and due < today


class ActionItem(LedgerAggregate):
    """Something someone must do, with an owner, a due date and a source."""

    @event("Raised")
    def __init__(self, title: str, description: str, owner_id: str, due: str, priority: str,
                 source_type: str, source_id: str | None, due_reason: str | None = None,
                 beyond_window: bool | None = None) -> None:
        self.title = title
        self.description = description
        self.owner_id = owner_id
        self.due = due
        self.priority = priority
        self.source_type = source_type
        self.source_id = source_id
        self.status = "open"
        self.due_reason = due_reason

    @classmethod
    def raise_item(cls, *, due: date, today: date, priority: str,
                   due_reason: str | None = None, **fields: str | None) -> ActionItem:
        """Raise an item after checking its due date against the priority's window (a later
        date needs ``due_reason``; the item records that it is beyond its window)."""
        beyond = check_due_window(priority, due, today, due_reason)
        return cls(due=due.isoformat(), priority=priority, beyond_window=beyond,
                   due_reason=(due_reason or "").strip() or None, **fields)  # type: ignore[arg-type]

    @property
    def is_open(self) -> bool:
        """Whether the item still needs work."""
        return self.status != "completed"

    def update_status(self, status: str, note: str = "", review_id: str | None = None) -> None:
        """Record a status update (the status may stay the same: a progress note)."""
        self.check_not_completed()
        if status not in STATUSES:
            raise InvalidStatus(f"unknown status {status}", status=status,
                                allowed=list(STATUSES))
        if status == "blocked" and not note.strip():
            raise BlockedReasonRequired("say why the item is blocked",
                                        action_item_id=str(self.id))
        self._update_status(status=status, note=note.strip(), review_id=review_id)

    @event("StatusUpdated")
    def _update_status(self, status: str, note: str, review_id: str | None) -> None:
        self.status = status

    def reassign(self, owner_id: str) -> None:
        """Give the item to someone else (a reason is required)."""
        self.check_not_completed()
        check_reason("reassigning an action item")
        if owner_id == self.owner_id:
            raise SameOwner("the item already belongs to this person", owner_id=owner_id)
        self._reassign(owner_id=owner_id, previous_owner_id=self.owner_id)

    @event("Reassigned")
    def _reassign(self, owner_id: str, previous_owner_id: str) -> None:
        self.owner_id = owner_id

    def change_due(self, due: date) -> None:
        """Move the due date (a reason is required)."""
        self.check_not_completed()
        check_reason("changing a due date")
        if due.isoformat() == self.due:
            raise SameDueDate("the item is already due on that date", due=self.due)
        self._change_due(due=due.isoformat(), previous_due=self.due,
                         beyond_window=beyond_window(self.priority, due, now().date()))

    @event("DueDateChanged")
    def _change_due(self, due: str, previous_due: str, beyond_window: bool | None = None) -> None:
        self.due = due

    def check_not_completed(self) -> None:
        """Refuse changes to a completed item."""
        if self.status == "completed":
            raise ItemCompleted("a completed action item cannot be changed",
                                action_item_id=str(self.id))


class FollowUpPolicy(LedgerAggregate):
    """A rule such as "P0 items from incidents are completed within 2 days"."""

    @event("PolicyDefined")
    def __init__(self, name: str, source_type: str | None, priority: str | None,
                 within_days: int) -> None:
        self.name = name
        self.source_type = source_type
        self.priority = priority
        self.within_days = within_days
        self.active = True

    def retire(self) -> None:
        """Stop applying the policy."""
        if not self.active:
            raise PolicyRetired("the policy is already retired", policy_id=str(self.id))
        self._retire()

    @event("PolicyRetired")
    def _retire(self) -> None:
        self.active = False


def policy_violation(policy: dict[str, object], item: dict[str, object],
                     at: datetime) -> str | None:
    """Return why ``item`` breaks ``policy`` at time ``at`` (None when it does not apply or holds).

    An item is late when it was completed after its deadline, or is still open past it.
    """
    if policy["source_type"] and item["source_type"] != policy["source_type"]:
        return None
    if policy["priority"] and item["priority"] != policy["priority"]:
        return None
    deadline = item["raised_at"] + timedelta(days=int(policy["within_days"]))  # type: ignore[operator]
    completed = item.get("completed_at")
    if completed is not None and completed > deadline:  # type: ignore[operator]
        return "completed late"
    if completed is None and at > deadline:
        return "open past the deadline"
    return None


def check_reason(what: str) -> None:
    """Refuse a command whose context carries no reason."""
    if not (current_context().reason or "").strip():
        raise ReasonRequired(f"give a reason for {what}")


class DueBeyondPriorityWindow(DomainError):
    """Raised when a due date is later than the priority's window and no reason is given."""

    code = "due_beyond_priority_window"


class InvalidStatus(DomainError):
    """Raised when a status is not one of the tracker's statuses."""

    code = "invalid_status"


class BlockedReasonRequired(DomainError):
    """Raised when an item is marked blocked without saying why."""

    code = "blocked_reason_required"


class ReasonRequired(DomainError):
    """Raised when a reassignment or due-date change has no reason."""

    code = "reason_required"


class SameOwner(DomainError):
    """Raised when an item is reassigned to its current owner."""

    code = "same_owner"


class SameDueDate(DomainError):
    """Raised when a due date is changed to the date it already has."""

    code = "same_due_date"


class ItemCompleted(DomainError):
    """Raised when a completed item is changed."""

    code = "action_item_completed"


class PolicyRetired(DomainError):
    """Raised when a retired policy is retired again."""

    code = "policy_retired"
