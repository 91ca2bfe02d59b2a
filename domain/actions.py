"""Action items: one tracker for items raised anywhere (reviews, incidents, drills, rehearsals,
CCB meetings), each linked to its source."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from eventsourcing.domain import event

from domain.base import LedgerAggregate

PRIORITIES = ("P0", "P1", "P2")
SOURCES = ("review", "incident", "drill", "rehearsal", "meeting", "manual")
STATUSES = ("open", "in_progress", "blocked", "completed")


def default_due(priority: str, today: date) -> date:
    """P0 is due today, P1 by the end of this working week (Friday), P2 by the end of the month."""
    if priority == "P0":
        return today
    if priority == "P1":
        return today + timedelta(days=max(0, 4 - today.weekday()))
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


class ActionItem(LedgerAggregate):
    """Something someone must do, with an owner, a due date and a source."""

    @event("Raised")
    def __init__(self, title: str, description: str, owner_id: str, due: str, priority: str,
                 source_type: str, source_id: str | None) -> None:
        self.title = title
        self.description = description
        self.owner_id = owner_id
        self.due = due
        self.priority = priority
        self.source_type = source_type
        self.source_id = source_id
        self.status = "open"
