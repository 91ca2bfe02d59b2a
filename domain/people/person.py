"""People, their function, their system roles and their credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

FUNCTIONS = ("engineering", "product", "security", "devops", "qa", "management", "executive")
ROLES = ("admin", "member", "auditor")
WRITE_ROLES = ("admin", "member")
DEFAULT_TIME_ZONE = "UTC"
"""Everyone reads and enters times in UTC until they choose a zone (``Person.TimeZoneSet``)."""


def may_write(roles: Iterable[str], required: Iterable[str] = ()) -> bool:
    """The one role rule of every command: auditors and people without a write role never
    write; a command that names roles (``"admin"``) needs one of them. ``Ledger.writer``
    enforces it, and pages ask it before they show a form."""
    held, needed = set(roles), set(required)
    return "auditor" not in held and bool(held & set(WRITE_ROLES)) and (
        not needed or bool(held & needed))


class Person(LedgerAggregate):
    """A person known to the ledger."""

    @event("Registered")
    def __init__(self, name: str, email: str, function: str) -> None:
        self.name = name
        self.email = email
        self.function = function
        self.roles: list[str] = []
        self.password_hash: str | None = None
        self.tokens: dict[str, str] = {}
        self.token_expiry: dict[str, datetime | None] = {}
        self.active = True
        self.identities: list[tuple[str, str]] = []
        self.locked_until: datetime | None = None

    def grant_role(self, role: str) -> None:
        """Grant a system role."""
        check_role(role)
        if role in self.roles:
            raise RoleAlreadyHeld(f"{self.name} already has the role {role}", role=role)
        self._grant_role(role)

    @event("RoleGranted")
    def _grant_role(self, role: str) -> None:
        self.roles.append(role)

    def revoke_role(self, role: str) -> None:
        """Revoke a system role."""
        if role not in self.roles:
            raise RoleNotHeld(f"{self.name} does not have the role {role}", role=role)
        self._revoke_role(role)

    @event("RoleRevoked")
    def _revoke_role(self, role: str) -> None:
        self.roles.remove(role)

    def change_role(self, role: str) -> None:
        """Make ``role`` the person's only system role."""
        check_role(role)
        if self.roles == [role]:
            raise RoleAlreadyHeld(f"{self.name} already has the role {role}", role=role)
        self._change_role(role)

    @event("RoleChanged")
    def _change_role(self, role: str) -> None:
        self.roles = [role]

    def deactivate(self) -> None:
        """Withdraw all access: no sign-in, no session, no token works (history stays)."""
        if not self.active:
            raise AlreadyInactive(f"{self.name} is already deactivated", person_id=str(self.id))
        self._deactivate()

    @event("Deactivated")
    def _deactivate(self) -> None:
        self.active = False

    def reactivate(self) -> None:
        """Give a deactivated person their access back (their roles are kept)."""
        if self.active:
            raise AlreadyActive(f"{self.name} is already active", person_id=str(self.id))
        self._reactivate()

    @event("Reactivated")
    def _reactivate(self) -> None:
        self.active = True

    @event("PasswordSet")
    def set_password(self, password_hash: str) -> None:
        """Record a new password hash."""
        self.password_hash = password_hash

    @event("TokenIssued")
    def issue_token(self, token_id: str, token_hash: str, label: str,
                    expires_at: datetime | None = None) -> None:
        """Record a new API token (only its hash is kept), optionally expiring."""
        self.tokens[token_id] = token_hash
        self.token_expiry[token_id] = expires_at

    def revoke_token(self, token_id: str) -> None:
        """Revoke an API token."""
        if token_id not in self.tokens:
            raise TokenNotFound("no such token", token_id=token_id)
        self._revoke_token(token_id)

    @event("TokenRevoked")
    def _revoke_token(self, token_id: str) -> None:
        del self.tokens[token_id]
        self.token_expiry.pop(token_id, None)

    def link_identity(self, issuer: str, subject: str) -> None:
        """Record that this person signs in as ``subject`` at the identity provider ``issuer``."""
        if (issuer, subject) not in self.identities:
            self._link_identity(issuer, subject)

    @event("IdentityLinked")
    def _link_identity(self, issuer: str, subject: str) -> None:
        self.identities = [*getattr(self, "identities", []), (issuer, subject)]

    @event("SignInLocked")
    def lock_sign_in(self, until: datetime, failures: int) -> None:
        """Refuse password sign-in until ``until`` after ``failures`` failed attempts."""
        self.locked_until = until

    def unlock_sign_in(self) -> None:
        """Lift a sign-in lock before it runs out (an admin)."""
        if self.locked_until is None:
            raise NotLocked(f"{self.name}'s sign-in is not locked", person_id=str(self.id))
        self._unlock_sign_in()

    @event("SignInUnlocked")
    def _unlock_sign_in(self) -> None:
        self.locked_until = None

    def set_time_zone(self, time_zone: str) -> bool:
        """Record the IANA time zone the person reads and enters times in (checked by the
        service); returns False, recording nothing, when it is already theirs."""
        if getattr(self, "time_zone", DEFAULT_TIME_ZONE) == time_zone:
            return False
        self._set_time_zone(time_zone)
        return True

    @event("TimeZoneSet")
    def _set_time_zone(self, time_zone: str) -> None:
        self.time_zone = time_zone

    def locked_at(self, moment: datetime) -> bool:
        """Whether password sign-in is locked at ``moment`` (a lock runs out by itself)."""
        until = getattr(self, "locked_until", None)
        return until is not None and moment < until

    def token_valid_at(self, token_id: str, moment: datetime) -> bool:
        """Whether the token exists and has not expired at ``moment``."""
        expires_at = self.token_expiry.get(token_id)
        return token_id in self.tokens and (expires_at is None or moment < expires_at)

    @property
    def can_write(self) -> bool:
        """Whether this person may append events (auditors never may)."""
        return self.active and may_write(self.roles)


class EmailIndex(LedgerAggregate):
    """Claims an email address for one person (makes emails unique by optimistic concurrency)."""

    @staticmethod
    def create_id(email: str) -> UUID:
        """Derive the index id from the normalised email address."""
        return uuid5(NAMESPACE_URL, f"/govledger/email/{email.strip().lower()}")

    @event("Claimed")
    def __init__(self, email: str, person_id: UUID) -> None:
        self.email = email
        self.person_id = person_id


def check_role(role: str) -> None:
    """Refuse an unknown system role."""
    if role not in ROLES:
        raise UnknownRole(f"unknown role {role!r}; expected one of {', '.join(ROLES)}", role=role)


class RoleAlreadyHeld(DomainError):
    """Raised when granting a role the person already has."""

    code = "role_already_held"


class RoleNotHeld(DomainError):
    """Raised when revoking a role the person does not have."""

    code = "role_not_held"


class UnknownRole(DomainError):
    """Raised when a role is not one of the system roles."""

    code = "unknown_role"


class TokenNotFound(DomainError):
    """Raised when revoking a token that does not exist."""

    code = "token_not_found"


class AlreadyInactive(DomainError):
    """Raised when deactivating a person who is already deactivated."""

    code = "already_inactive"


class AlreadyActive(DomainError):
    """Raised when reactivating a person who is active."""

    code = "already_active"


class SelfLockout(DomainError):
    """Raised when admins would deactivate themselves or give up their own admin role."""

    code = "self_lockout"


class NotLocked(DomainError):
    """Raised when unlocking a person whose sign-in is not locked."""

    code = "not_locked"


class EmailTaken(DomainError):
    """Raised when an email address already belongs to another person."""

    code = "email_taken"
