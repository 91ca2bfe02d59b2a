"""Change requests: submitted, then scheduled, decided, implemented and closed, or withdrawn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

CATEGORIES = ("standard", "normal", "emergency")
RISKS = ("low", "medium", "high")
STATUSES = ("submitted", "scheduled", "approved", "rejected", "deferred", "implemented", "closed",
            "withdrawn")
DECIDED = ("approved", "rejected", "implemented", "closed")
SCHEDULABLE = ("submitted", "deferred")
"""Statuses in which a request waits for an agenda (an emergency approval goes on one too)."""
RATIFICATIONS = ("pending", "ratified", "rejected", "overdue")
"""States of an emergency approval: ``pending`` until the board's next meeting, then ``ratified``
or ``rejected`` there, or ``overdue`` when that meeting passes without ratifying it."""
AWAITING_RATIFICATION = ("pending", "overdue")
"""Ratification states that still wait for the board (and are flagged as unratified)."""


def resolve_board(category: str, board_id: str | None, boards: Sequence[str]) -> str | None:
    """The board a new change request belongs to: a named board must exist; an emergency
    change names its board when there is more than one, and defaults to the only one."""
    if board_id is not None:
        if board_id not in boards:
            raise UnknownBoard(f"no board with id {board_id} (board_id)",
                               board_id=["Choose a board from the list: there is no board "
                                         f"with id {board_id}."])
        return board_id
    if category != "emergency" or not boards:
        return None
    if len(boards) == 1:
        return boards[0]
    raise BoardRequired(f"an emergency change must name its board: there are {len(boards)} "
                        "boards (board_id)", boards=list(boards))


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
        self.approvals: list[dict[str, Any]] = []
        self.ratification: str | None = None

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

    # -- the board (T4.1) -------------------------------------------------------------------------

    @property
    def awaiting_ratification(self) -> bool:
        """Whether an emergency approval still waits for the board's ratification."""
        return is_unratified(self.ratification)

    @property
    def schedulable(self) -> bool:
        """Whether the request may go on an agenda now."""
        return self.category != "standard" and (
            self.awaiting_ratification or self.status in SCHEDULABLE)

    @property
    def decidable(self) -> bool:
        """Whether the request waits for a board decision."""
        return self.status == "scheduled" or self.awaiting_ratification

    def schedule(self, meeting_id: str, board_id: str) -> None:
        """Put the request on a meeting's agenda (an emergency approval: for ratification)."""
        if self.board_id not in (None, board_id):
            raise OtherBoard("the change request belongs to another board",
                             change_request_id=str(self.id), board_id=self.board_id)
        if self.category == "standard":
            raise StandardChange("standard changes are pre-approved by charter: logged, not "
                                 "voted", change_request_id=str(self.id))
        if self.awaiting_ratification:
            self._schedule_ratification(meeting_id=meeting_id, board_id=board_id)
            return
        if self.status not in SCHEDULABLE:
            raise NotSchedulable(f"a change request that is {self.status} cannot go on an "
                                 "agenda", change_request_id=str(self.id), status=self.status)
        self._schedule(meeting_id=meeting_id, board_id=board_id)

    @event("Scheduled")
    def _schedule(self, meeting_id: str, board_id: str) -> None:
        self.board_id = board_id
        self.status = "scheduled"

    @event("ScheduledForRatification")
    def _schedule_ratification(self, meeting_id: str, board_id: str) -> None:
        self.board_id = board_id

    def check_decidable(self) -> None:
        """Refuse a board decision on a request that is not waiting for one."""
        if not self.decidable:
            raise NotDecidable(f"a change request that is {self.status} cannot be decided",
                               change_request_id=str(self.id), status=self.status)

    def record_decision(self, meeting_id: str, outcome: str) -> None:
        """Record the board's decision (approved, rejected or deferred) on this request."""
        self.check_decidable()
        if self.awaiting_ratification:
            {"approved": self._ratify, "rejected": self._reject,
             "deferred": self._defer_ratification}[outcome](meeting_id=meeting_id)
            return
        {"approved": self._approve, "rejected": self._reject,
         "deferred": self._defer}[outcome](meeting_id=meeting_id)

    @event("Approved")
    def _approve(self, meeting_id: str) -> None:
        self.status = "approved"

    @event("Rejected")
    def _reject(self, meeting_id: str) -> None:
        self.status = "rejected"
        if self.awaiting_ratification:
            self.ratification = ratification_after("rejected")

    @event("Deferred")
    def _defer(self, meeting_id: str) -> None:
        self.status = "deferred"

    @event("Ratified")
    def _ratify(self, meeting_id: str) -> None:
        self.ratification = ratification_after("approved")

    @event("RatificationDeferred")
    def _defer_ratification(self, meeting_id: str) -> None:
        self.ratification = ratification_after("deferred")

    def approve_emergency(self, approver_id: str, function: str, capacity: str) -> bool:
        """Record one out-of-meeting approval of an emergency change; True once it is approved.

        ``capacity`` is ``chair``, ``delegate`` or ``member``. The change is approved once the
        chair (or delegate) and an approver of another function have approved.
        """
        self.check_emergency_approver(approver_id)
        if self.status not in ("submitted", "scheduled", "deferred"):
            raise AlreadyDecidedChange(f"the change request is already {self.status}",
                                       change_request_id=str(self.id), status=self.status)
        if any(a["approver_id"] == approver_id for a in self.approvals):
            raise AlreadyApproved("this person already approved the change",
                                  approver_id=approver_id)
        self._give_emergency_approval(approver_id=approver_id, function=function,
                                      capacity=capacity)
        if emergency_approval_complete(self.approvals):
            self._approve_emergency(approvals=list(self.approvals), board_id=self.board_id)
            return True
        return False

    def check_emergency_approver(self, approver_id: str) -> None:
        """Only emergency changes are approved outside a meeting, never by their requester."""
        if self.category != "emergency":
            raise NotEmergency("only emergency changes are approved outside a meeting",
                               change_request_id=str(self.id), category=self.category)
        if approver_id == self.requester_id:
            raise SelfApproval("the requester can never approve their own change",
                               change_request_id=str(self.id))
        if self.board_id is None:
            raise NoBoard("the emergency change names no board to approve it",
                          change_request_id=str(self.id))

    @event("EmergencyApprovalGiven")
    def _give_emergency_approval(self, approver_id: str, function: str, capacity: str) -> None:
        self.approvals.append({"approver_id": approver_id, "function": function,
                               "capacity": capacity, "version": self.version + 1})

    @event("EmergencyApproved")
    def _approve_emergency(self, approvals: list[dict[str, Any]], board_id: str | None) -> None:
        self.status = "approved"
        self.ratification = "pending"


def emergency_approval_complete(approvals: list[dict[str, Any]]) -> bool:
    """The chair (or delegate) plus at least one approver of a different function."""
    leads = [a for a in approvals if a["capacity"] in ("chair", "delegate")]
    return any(a["function"] != lead["function"] and a["approver_id"] != lead["approver_id"]
               for lead in leads for a in approvals)


def ratification_after(outcome: str) -> str:
    """What the board's outcome on an emergency change awaiting ratification makes of it.

    Approved → ``ratified``; rejected → ``rejected``; deferred (by the tie-breaker, or still
    undecided when the meeting closed) → ``overdue``: DOMAIN.md wants the change ratified at the
    board's next meeting, so once a meeting it was on passes without it, it is flagged.
    """
    return {"approved": "ratified", "rejected": "rejected"}.get(outcome, "overdue")


def is_unratified(ratification: str | None) -> bool:
    """Whether an emergency approval still waits for ratification (pending or overdue)."""
    return ratification in AWAITING_RATIFICATION


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


class OtherBoard(DomainError):
    """Raised when a change request of one board is put on another board's agenda."""

    code = "other_board"


class StandardChange(DomainError):
    """Raised when a standard (pre-approved) change is put to a vote."""

    code = "standard_change"


class NotSchedulable(DomainError):
    """Raised when a change request cannot go on an agenda in its current status."""

    code = "not_schedulable"


class NotDecidable(DomainError):
    """Raised when the board decides a change request that is not waiting for a decision."""

    code = "change_request_not_decidable"


class NotEmergency(DomainError):
    """Raised when approving a non-emergency change outside a meeting."""

    code = "not_emergency"


class NoBoard(DomainError):
    """Raised when an emergency change names no board whose chair could approve it."""

    code = "no_board"


class SelfApproval(DomainError):
    """Raised when the requester approves their own change."""

    code = "self_approval"


class AlreadyDecidedChange(DomainError):
    """Raised when approving a change request that is already decided."""

    code = "already_decided"


class AlreadyApproved(DomainError):
    """Raised when the same person approves an emergency change twice."""

    code = "already_approved"


class InvalidWindow(DomainError):
    """Raised when a planned window ends before it starts."""

    code = "invalid_planned_window"


class UnknownBoard(InvalidInput):
    """Raised when a change request names a board that does not exist (422 naming
    ``board_id``: a reference in the input that points at nothing)."""

    code = "unknown_board"


class BoardRequired(DomainError):
    """Raised when an emergency change names no board while there is more than one."""

    code = "board_required"
