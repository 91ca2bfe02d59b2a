"""Action item commands (raised from any area)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.core import LedgerCore
from domain.actions import ActionItem, default_due
from domain.base import now
from domain.people import Person


class ActionItemCommands(LedgerCore):
    """Use cases of the action item tracker."""

    def raise_action_item(self, title: str, owner_id: str, priority: str = "P2",
                          due: date | None = None, source_type: str = "manual",
                          source_id: str | None = None, description: str = "",
                          save: bool = True) -> ActionItem:
        """Raise an action item; its due date defaults from the priority and the clock.

        Areas that raise items as part of a bigger command pass ``save=False`` and save the
        returned aggregate together with their own (one save per use case).
        """
        self._writer()
        self._get(Person, owner_id)
        item = ActionItem(title=title, description=description, owner_id=str(owner_id),
                          due=(due or default_due(priority, now().date())).isoformat(),
                          priority=priority, source_type=source_type,
                          source_id=str(source_id) if source_id else None)
        if save:
            self.save(item)
        return item

    def create_action_item(self, **fields: Any) -> dict[str, Any]:
        """Raise an action item and return its id and status."""
        item = self.raise_action_item(**fields)
        return {"id": str(item.id), "status": item.status, "due": item.due}
