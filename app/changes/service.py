"""Change request commands."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.ledger import SYSTEM_ACTOR, LedgerCore
from domain.base import current_context
from domain.changes.change_request import ChangeRequest


class ChangeRequestCommands(LedgerCore):
    """Use cases of the change request lifecycle outside the board."""

    def submit_change_request(self, **fields: Any) -> dict[str, Any]:
        """Submit a change request as the acting person."""
        actor = self._writer()
        requester = str(actor.id) if actor is not None else SYSTEM_ACTOR
        board_id = fields.pop("board_id", None)
        self.check_change_window(  # type: ignore[attr-defined]  # the board area's freeze check
            fields["category"], fields["planned_start"], fields["planned_end"], fields["systems"])
        change = ChangeRequest.submit(requester_id=requester,
                                      board_id=str(board_id) if board_id else None, **fields)
        self.save(change)
        return {"id": str(change.id), "status": change.status, "requester_id": requester}

    def withdraw_change_request(self, change_id: UUID | str) -> dict[str, Any]:
        """Withdraw a change request (requester only, before a decision)."""
        self._writer()
        change = self._get(ChangeRequest, change_id)
        change.withdraw(by=current_context().actor_id)
        self.save(change)
        return {"id": str(change.id), "status": change.status}

