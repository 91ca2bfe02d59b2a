"""Change request commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from app.ledger import SYSTEM_ACTOR
from domain.base import current_context
from domain.changes.change_request import ChangeRequest, resolve_board

if TYPE_CHECKING:
    from app.ccb.service import CcbService
    from app.ledger import Ledger


class ChangeService:
    """Use cases of the change request lifecycle outside the board."""

    def __init__(self, ledger: Ledger, ccb: CcbService) -> None:
        self.ledger = ledger
        self.ccb = ccb

    def submit_change_request(self, **fields: Any) -> dict[str, Any]:
        """Submit a change request as the acting person."""
        actor = self.ledger.writer()
        requester = str(actor.id) if actor is not None else SYSTEM_ACTOR
        named = str(fields.pop("board_id", None) or "") or None
        # the boards matter only for a named board or an emergency change (their default)
        boards = self.ccb.board_ids() if named or fields["category"] == "emergency" else ()
        board_id = resolve_board(fields["category"], named, boards)
        self.ccb.check_change_window(
            fields["category"], fields["planned_start"], fields["planned_end"], fields["systems"])
        change = ChangeRequest.submit(requester_id=requester, board_id=board_id, **fields)
        self.ledger.save(change)
        return {"id": str(change.id), "status": change.status, "requester_id": requester}

    def withdraw_change_request(self, change_id: UUID | str) -> dict[str, Any]:
        """Withdraw a change request (requester only, before a decision)."""
        self.ledger.writer()
        change = self.ledger.load(ChangeRequest, change_id)
        change.withdraw(by=current_context().actor_id)
        self.ledger.save(change)
        return {"id": str(change.id), "status": change.status}

