"""The change calendar: freeze (blackout) windows declared and lifted by events, with reasons.

Which freezes touch a change (:func:`freeze_overlaps`, :func:`freeze_in_force`) and which
changes may proceed inside one (:func:`exempt_from_freezes`) are pure functions, shared by the
calendar aggregate and the calendar and deployment-gate queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime


class ChangeCalendar(LedgerAggregate):
    """The one change calendar of the ledger (a singleton aggregate)."""

    @staticmethod
    def create_id() -> UUID:
        """The calendar's fixed id."""
        return uuid5(NAMESPACE_URL, "/govledger/change-calendar")

    @event("Started")
    def __init__(self) -> None:
        self.freezes: dict[str, dict[str, Any]] = {}

    def declare_freeze(self, title: str, start: datetime, end: datetime,
                       systems: list[str]) -> str:
        """Declare a freeze window (all systems when ``systems`` is empty); returns its id."""
        if end <= start:
            raise InvalidFreeze("a freeze window must end after it starts",
                                start=start.isoformat(), end=end.isoformat())
        freeze_id = str(uuid4())
        self._declare(freeze_id=freeze_id, title=title, start=start, end=end,
                      systems=sorted(set(systems)))
        return freeze_id

    @event("FreezeDeclared")
    def _declare(self, freeze_id: str, title: str, start: datetime, end: datetime,
                 systems: list[str]) -> None:
        self.freezes[freeze_id] = {"id": freeze_id, "title": title, "start": start,
                                   "end": end, "systems": list(systems)}

    def lift_freeze(self, freeze_id: str) -> None:
        """Lift a freeze window."""
        if freeze_id not in self.freezes:
            raise NoSuchFreeze("no such freeze window", freeze_id=freeze_id)
        self._lift(freeze_id=freeze_id)

    @event("FreezeLifted")
    def _lift(self, freeze_id: str) -> None:
        del self.freezes[freeze_id]

    def overlapping(self, start: datetime, end: datetime,
                    systems: list[str]) -> list[dict[str, Any]]:
        """Freeze windows overlapping ``[start, end)`` that cover any of ``systems``."""
        return [f for f in self.freezes.values() if freeze_overlaps(f, start, end, systems)]

    def check_window(self, category: str, start: datetime, end: datetime,
                     systems: list[str]) -> None:
        """Refuse a non-emergency change whose window overlaps a freeze on its systems."""
        hits = self.overlapping(start, end, systems)
        if hits and not exempt_from_freezes(category):
            raise FreezeWindow("the planned window overlaps a freeze window (only emergency "
                               "changes may proceed)",
                               freezes=[{"id": f["id"], "title": f["title"]} for f in hits])


def freeze_covers(freeze: Mapping[str, Any], systems: Iterable[str]) -> bool:
    """Whether a freeze applies to any of ``systems`` (a freeze naming none covers all)."""
    return not freeze["systems"] or bool(set(freeze["systems"]) & set(systems))


def freeze_overlaps(freeze: Mapping[str, Any], start: datetime, end: datetime,
                    systems: Iterable[str]) -> bool:
    """Whether a freeze overlaps the window ``[start, end)`` on any of ``systems``."""
    return freeze["start"] < end and start < freeze["end"] and freeze_covers(freeze, systems)


def freeze_in_force(freeze: Mapping[str, Any], at: datetime, systems: Iterable[str]) -> bool:
    """Whether a freeze is in force at ``at`` for any of ``systems``."""
    return freeze["start"] <= at < freeze["end"] and freeze_covers(freeze, systems)


def exempt_from_freezes(category: str) -> bool:
    """Only emergency changes may proceed inside a freeze window."""
    return category == "emergency"


class FreezeWindow(DomainError):
    """Raised when a non-emergency change's window overlaps a freeze window."""

    code = "freeze_window"


class InvalidFreeze(DomainError):
    """Raised when a freeze window ends before it starts."""

    code = "invalid_freeze_window"


class NoSuchFreeze(DomainError):
    """Raised when lifting an unknown freeze window."""

    code = "no_such_freeze"
