"""The change calendar: freeze (blackout) windows declared and lifted by events, with reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

if TYPE_CHECKING:
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
        return [f for f in self.freezes.values() if f["start"] < end and start < f["end"]
                and (not f["systems"] or set(f["systems"]) & set(systems))]

    def check_window(self, category: str, start: datetime, end: datetime,
                     systems: list[str]) -> None:
        """Refuse a non-emergency change whose window overlaps a freeze on its systems."""
        hits = self.overlapping(start, end, systems)
        if hits and category != "emergency":
            raise FreezeWindow("the planned window overlaps a freeze window (only emergency "
                               "changes may proceed)",
                               freezes=[{"id": f["id"], "title": f["title"]} for f in hits])


class FreezeWindow(DomainError):
    """Raised when a non-emergency change's window overlaps a freeze window."""

    code = "freeze_window"


class InvalidFreeze(DomainError):
    """Raised when a freeze window ends before it starts."""

    code = "invalid_freeze_window"


class NoSuchFreeze(DomainError):
    """Raised when lifting an unknown freeze window."""

    code = "no_such_freeze"
