"""Projection of action items into ``rm_action_items`` (one row per item),
``rm_action_item_updates`` (one row per change) and ``rm_follow_up_policies``.

Overdue is not stored: it depends on the clock, so queries derive it when they run.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from domain.reviews.action_item import ActionItem, FollowUpPolicy
from projections.base import Projection, handles

if TYPE_CHECKING:
    from projections.base import Writer
from projections.reviews.tables import (
    action_item_updates,
    action_items,
    follow_up_policies,
)


class ActionItemProjection(Projection):
    """Keeps the action item tracker in step with ActionItem and FollowUpPolicy events."""

    name = "action_items"
    tables = (action_items, action_item_updates, follow_up_policies)

    @handles(ActionItem.Raised)
    def raised(self, w: Writer, e: Any) -> None:
        w.insert(action_items, id=str(e.originator_id), title=e.title,
                 description=e.description, owner_id=e.owner_id,
                 due=date.fromisoformat(e.due), priority=e.priority, status="open",
                 source_type=e.source_type, source_id=e.source_id, raised_by=e.actor_id,
                 raised_at=e.timestamp, updated_at=e.timestamp, status_note="",
                 completed_at=None, version=e.originator_version,
                 beyond_window=getattr(e, "beyond_window", None),
                 due_reason=getattr(e, "due_reason", None))

    @handles(ActionItem.StatusUpdated)
    def status_updated(self, w: Writer, e: Any) -> None:
        values: dict[str, Any] = {"status": e.status, "status_note": e.note}
        if e.status == "completed":
            values["completed_at"] = e.timestamp
        self._change(w, e, "status", values, status=e.status, note=e.note,
                     review_id=e.review_id)

    @handles(ActionItem.Reassigned)
    def reassigned(self, w: Writer, e: Any) -> None:
        self._change(w, e, "reassigned", {"owner_id": e.owner_id}, owner_id=e.owner_id)

    @handles(ActionItem.DueDateChanged)
    def due_changed(self, w: Writer, e: Any) -> None:
        due = date.fromisoformat(e.due)
        window = {} if e.beyond_window is None else {
            "beyond_window": e.beyond_window, "due_reason": e.reason if e.beyond_window else None}
        self._change(w, e, "due_date", {"due": due, **window}, due=due)

    @staticmethod
    def _change(w: Writer, e: Any, kind: str, values: dict[str, Any], **row: Any) -> None:
        item_id = str(e.originator_id)
        w.update(action_items, item_id, updated_at=e.timestamp, version=e.originator_version,
                 **values)
        w.insert(action_item_updates, item_id=item_id, version=e.originator_version, kind=kind,
                 status=row.get("status"), note=row.get("note", ""),
                 review_id=row.get("review_id"), owner_id=row.get("owner_id"),
                 due=row.get("due"), actor_id=e.actor_id, reason=e.reason, at=e.timestamp)

    @handles(FollowUpPolicy.PolicyDefined)
    def policy_defined(self, w: Writer, e: Any) -> None:
        w.insert(follow_up_policies, id=str(e.originator_id), name=e.name,
                 source_type=e.source_type, priority=e.priority, within_days=e.within_days,
                 active=True, defined_at=e.timestamp)

    @handles(FollowUpPolicy.PolicyRetired)
    def policy_retired(self, w: Writer, e: Any) -> None:
        w.execute(update(follow_up_policies)
                  .where(follow_up_policies.c.id == str(e.originator_id)).values(active=False))
