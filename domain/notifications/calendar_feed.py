"""A person's private calendar feed: a secret URL calendar apps subscribe to without a session.

The token (``glc_<person id>_<secret>``) is shown once when issued; only its SHA-256 is kept
(``token_hash``, redacted in history). Issuing a new one replaces the old; revoking ends it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError


class CalendarFeed(LedgerAggregate):
    """The one active feed token of a person (the id is derived from the person)."""

    @staticmethod
    def create_id(person_id: str) -> UUID:
        """Derive the id from the person's id."""
        return uuid5(NAMESPACE_URL, f"/govledger/calendar-feed/{person_id}")

    @event("Started")
    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        self.token_hash: str | None = None

    def issue(self, token_hash: str) -> None:
        """Make ``token_hash`` the feed's token (any earlier one stops working)."""
        self._issued(token_hash=token_hash)

    @event("TokenIssued")
    def _issued(self, token_hash: str) -> None:
        self.token_hash = token_hash

    def revoke(self) -> None:
        """End the feed's token."""
        if self.token_hash is None:
            raise NoFeedToken("there is no calendar feed to revoke", person_id=self.person_id)
        self._revoked()

    @event("TokenRevoked")
    def _revoked(self) -> None:
        self.token_hash = None


class NoFeedToken(DomainError):
    """Raised when revoking a calendar feed that has no token."""

    code = "no_calendar_feed"
