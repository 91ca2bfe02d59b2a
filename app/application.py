"""The one ledger application: every area's commands over one event store and one log.

Each area adds a mixin of use cases (``app/<area>.py``, subclassing ``LedgerCore``) to the bases
below. Every command loads aggregates, checks the actor, calls the aggregate and saves once.
"""

from __future__ import annotations

from app.audit.service import AuditCommands
from app.ccb.service import BoardCommands
from app.changes.service import ChangeRequestCommands
from app.ledger import SYSTEM_ACTOR, LedgerCore, event_to_dict, parse_id
from app.oncall.service import OnCallCommands
from app.people.service import PeopleCommands
from app.rehearsals.service import RehearsalCommands
from app.reviews.action_items import ActionItemCommands
from app.reviews.service import ReviewCommands

__all__ = ["SYSTEM_ACTOR", "Ledger", "LedgerCore", "event_to_dict", "parse_id"]


class Ledger(PeopleCommands, ChangeRequestCommands, ActionItemCommands, ReviewCommands,
             RehearsalCommands, OnCallCommands,
             BoardCommands, AuditCommands):
    """Governance Ledger's application service."""

    name = "ledger"
