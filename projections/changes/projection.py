"""Projection of change requests into ``rm_change_requests``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


from domain.changes.change_request import ChangeRequest
from projections.base import Projection, handles
from projections.changes.tables import change_requests

if TYPE_CHECKING:
    from projections.base import Writer


class ChangeRequestProjection(Projection):
    """Keeps the change request list in step with ChangeRequest events."""

    name = "change_requests"
    tables = (change_requests,)

    @handles(ChangeRequest.Submitted)
    def submitted(self, w: Writer, e: Any) -> None:
        w.insert(change_requests,
            id=str(e.originator_id), requester_id=e.requester_id, board_id=e.board_id,
            title=e.title, description=e.description, category=e.category, risk=e.risk,
            systems=list(e.systems), planned_start=e.planned_start,
            planned_end=e.planned_end, rollback_plan=e.rollback_plan,
            status="submitted", submitted_at=e.timestamp,
            updated_at=e.timestamp, version=e.originator_version)

    @handles(ChangeRequest.Withdrawn)
    def withdrawn(self, w: Writer, e: Any) -> None:
        self.set_status(w, e, "withdrawn")

    @handles(ChangeRequest.Scheduled)
    def scheduled(self, w: Writer, e: Any) -> None:
        self.set_status(w, e, "scheduled", board_id=e.board_id)

    @handles(ChangeRequest.ScheduledForRatification)
    def scheduled_for_ratification(self, w: Writer, e: Any) -> None:
        self.set_status(w, e, None, board_id=e.board_id)

    @handles(ChangeRequest.Approved, ChangeRequest.EmergencyApproved)
    def approved(self, w: Writer, e: Any) -> None:
        self.set_status(w, e, "approved")

    @handles(ChangeRequest.Rejected)
    def rejected(self, w: Writer, e: Any) -> None:
        self.set_status(w, e, "rejected")

    @handles(ChangeRequest.Deferred)
    def deferred(self, w: Writer, e: Any) -> None:
        self.set_status(w, e, "deferred")

    @handles(ChangeRequest.EmergencyApprovalGiven, ChangeRequest.Ratified,
             ChangeRequest.RatificationDeferred)
    def touched(self, w: Writer, e: Any) -> None:
        self.set_status(w, e, None)

    @staticmethod
    def set_status(w: Writer, e: Any, status: str | None, **values: Any) -> None:
        """Record a new status (None: unchanged) and the event that set it."""
        if status is not None:
            values["status"] = status
        w.update(change_requests, str(e.originator_id), updated_at=e.timestamp,
                 version=e.originator_version, **values)
