"""A person's notification preferences: which kinds of email they do not want.

Paging (``incident.paged``, ``incident.escalated``) cannot be switched off by someone on call:
muting it is refused while the person is on a rotation's roster, and a page is sent whatever
the preferences say (the person paged is on call).
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

PAGING_KINDS = ("incident.paged", "incident.escalated")
EMAIL_KINDS = (*PAGING_KINDS, "action_item.assigned", "action_item.due_tomorrow",
               "action_item.overdue", "swap.requested", "swap.accepted",
               "meeting.votes_waiting", "change.awaiting_second_approval",
               "review.due_tomorrow")
"""The kinds of email the ledger sends people."""


class Preferences(LedgerAggregate):
    """One person's choices (the id is derived from the person)."""

    @staticmethod
    def create_id(person_id: str) -> UUID:
        """Derive the id from the person's id."""
        return uuid5(NAMESPACE_URL, f"/govledger/preferences/{person_id}")

    @event("Started")
    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        self.muted: list[str] = []

    def mute(self, kinds: list[str], on_call: bool) -> None:
        """Replace the muted kinds; paging cannot be muted by someone on call."""
        unknown = sorted(set(kinds) - set(EMAIL_KINDS))
        if unknown:
            raise UnknownKind(f"unknown notification kinds: {', '.join(unknown)}",
                              unknown=unknown, allowed=list(EMAIL_KINDS))
        paging = sorted(set(kinds) & set(PAGING_KINDS))
        if paging and on_call:
            raise PagingRequired("paging cannot be switched off while you are on a rotation",
                                 kinds=paging)
        self._muted(muted=sorted(set(kinds)))

    @event("Changed")
    def _muted(self, muted: list[str]) -> None:
        self.muted = list(muted)


class UnknownKind(DomainError):
    """Raised when muting a kind of notification the ledger does not send."""

    code = "unknown_notification_kind"


class PagingRequired(DomainError):
    """Raised when someone on call tries to switch paging off."""

    code = "paging_required"
