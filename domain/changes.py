"""Change requests: submitted, then scheduled, decided, implemented and closed, or withdrawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventsourcing.domain import event

from domain.base import DomainError, LedgerAggregate

if TYPE_CHECKING:
    from datetime import datetime

CATEGORIES = ("standard", "normal", "emergency")
RISKS = ("low", "medium", "high")
STATUSES = ("submitted", "scheduled", "approved", "rejected", "deferred", "implemented", "closed",
            "withdrawn")
DECIDED = ("approved", "rejected", "implemented", "closed")


class ChangeRequest(LedgerAggregate):
    """A request to change a system, governed by a Change Control Board."""

    @event("Submitted")
    def __init__(
        self,
        requester_id: str,
        board_id: str | None,
        title: str,
        description: str,
        category: str,
        risk: str,
        systems: list[str],
        planned_start: datetime,
        planned_end: datetime,
        rollback_plan: str,
    ) -> None:
        self.requester_id = requester_id
        self.board_id = board_id
        self.title = title
        self.description = description
        self.category = category
        self.risk = risk
        self.systems = list(systems)
        self.planned_start = planned_start
        self.planned_end = planned_end
        self.rollback_plan = rollback_plan
        self.status = "submitted"

    @classmethod
    def submit(cls, **fields: object) -> ChangeRequest:
        """Submit a new change request after checking its rules."""
        check_window(fields["planned_start"], fields["planned_end"])  # type: ignore[arg-type]
        return cls(**fields)  # type: ignore[arg-type]

    def withdraw(self, by: str) -> None:
        """Withdraw the request: only its requester may, and only before a decision."""
        if by != self.requester_id:
            raise NotRequester("only the requester may withdraw a change request",
                               change_request_id=str(self.id))
        if self.status not in ("submitted", "scheduled", "deferred"):
            raise NotWithdrawable(f"a change request that is {self.status} cannot be withdrawn",
                                  change_request_id=str(self.id), status=self.status)
        self._withdraw()

    @event("Withdrawn")
    def _withdraw(self) -> None:
        self.status = "withdrawn"


def check_window(start: datetime, end: datetime) -> None:
    """Refuse a planned window that ends before it starts."""
    if end <= start:
        raise InvalidWindow("the planned window must end after it starts",
                            planned_start=start.isoformat(), planned_end=end.isoformat())


class NotRequester(DomainError):
    """Raised when someone other than the requester tries to withdraw a change request."""

    code = "not_requester"


class NotWithdrawable(DomainError):
    """Raised when a change request is past the point where it can be withdrawn."""

    code = "change_request_not_withdrawable"


class InvalidWindow(DomainError):
    """Raised when a planned window ends before it starts."""

    code = "invalid_planned_window"
