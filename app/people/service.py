"""People commands: registration, roles, passwords, tokens and authentication."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from app.ledger import SYSTEM_ACTOR, Ledger
from domain.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied

if TYPE_CHECKING:
    from datetime import datetime

    from argon2 import PasswordHasher
from app.people.security import mint_token, parse_token, secret_matches, verify_password
from app.people.time_zones import valid_time_zone
from domain.base import command_context, current_context, now
from domain.people.person import (
    DEFAULT_TIME_ZONE,
    EmailIndex,
    EmailTaken,
    Person,
    SelfLockout,
    check_role,
)


class PeopleService:
    """Use cases about people and their credentials."""

    def __init__(self, ledger: Ledger, hasher: PasswordHasher) -> None:
        self.ledger = ledger
        self.hasher = hasher
        self._dummy: str | None = None

    def register_person(self, name: str, email: str, function: str, role: str,
                        password: str | None = None) -> dict[str, Any]:
        """Register a person with one system role (admins only); returns id and a new token."""
        self.ledger.writer("admin")
        check_role(role)
        email = email.strip().lower()
        if self.person_id_by_email(email) is not None:
            raise EmailTaken(f"{email} already belongs to someone", email=email)
        person = Person(name=name, email=email, function=function)
        person.grant_role(role)
        if password:
            person.set_password(self.hasher.hash(password))
        token = mint_token(person.id)
        person.issue_token(token.token_id, token.token_hash, "created with the account")
        try:
            self.ledger.save(person, EmailIndex(email=email, person_id=person.id))
        except IntegrityError:
            raise EmailTaken(f"{email} already belongs to someone", email=email) from None
        return {"id": str(person.id), "token": token.token}

    def grant_role(self, person_id: UUID, role: str) -> None:
        """Grant a system role (admins only)."""
        self.ledger.writer("admin")
        person = self.ledger.load(Person, person_id)
        person.grant_role(role)
        self.ledger.save(person)

    def revoke_role(self, person_id: UUID, role: str) -> None:
        """Revoke a system role (admins only)."""
        self.ledger.writer("admin")
        person = self.ledger.load(Person, person_id)
        person.revoke_role(role)
        self.ledger.save(person)

    def set_password(self, person_id: UUID, password: str) -> None:
        """Set a password: admins for anyone, everyone else for themselves."""
        actor = self._writer_or_self(person_id)
        person = actor if actor is not None and actor.id == person_id else self.ledger.load(
            Person, person_id)
        person.set_password(self.hasher.hash(password))
        self.ledger.save(person)

    def change_own_password(self, current_password: str, new_password: str) -> None:
        """Change the acting person's password; the current one must be given and right."""
        actor = self._acting_self()
        if not verify_password(self.hasher, actor.password_hash, current_password):
            raise InvalidInput.field("current_password", "the current password is not right")
        actor.set_password(self.hasher.hash(new_password))
        self.ledger.save(actor)

    def change_role(self, person_id: UUID | str, role: str) -> None:
        """Make ``role`` the person's only system role (admins only; not their own admin role)."""
        actor = self.ledger.writer("admin")
        person = self.ledger.load(Person, person_id)
        if actor is not None and actor.id == person.id and role != "admin":
            raise SelfLockout("you may not give up your own admin role")
        person.change_role(role)
        self.ledger.save(person)

    def deactivate_person(self, person_id: UUID | str) -> None:
        """Withdraw all of a person's access at once (admins only; not themselves)."""
        actor = self.ledger.writer("admin")
        person = self.ledger.load(Person, person_id)
        if actor is not None and actor.id == person.id:
            raise SelfLockout("you may not deactivate yourself")
        person.deactivate()
        self.ledger.save(person)

    def reactivate_person(self, person_id: UUID | str) -> None:
        """Give a deactivated person their access back (admins only)."""
        self.ledger.writer("admin")
        person = self.ledger.load(Person, person_id)
        person.reactivate()
        self.ledger.save(person)

    def issue_token(self, person_id: UUID | str, label: str = "",
                    expires_at: datetime | None = None) -> str:
        """Issue a new API token for a person (admins, or the person unless read-only):
        returns it once."""
        self._writer_or_self(person_id, read_only_too=False)
        person = self.ledger.load(Person, person_id)
        token = mint_token(person.id)
        person.issue_token(token.token_id, token.token_hash, label, expires_at)
        self.ledger.save(person)
        return token.token

    def revoke_token(self, person_id: UUID | str, token_id: str) -> None:
        """Revoke one of a person's API tokens (admins, or the person)."""
        self._writer_or_self(person_id)
        person = self.ledger.load(Person, person_id)
        person.revoke_token(token_id)
        self.ledger.save(person)

    def set_own_time_zone(self, time_zone: str) -> dict[str, Any]:
        """Choose the IANA time zone (``Europe/Berlin``) the acting person's pages show times in
        and read typed times in; any signed-in person, auditors too (it changes no record)."""
        zone = valid_time_zone(time_zone)
        actor = self._acting_self()
        if actor.set_time_zone(zone):
            self.ledger.save(actor)
        return self.get_person(actor.id)

    def _writer_or_self(self, person_id: UUID | str, read_only_too: bool = True,
                        ) -> Person | None:
        """The acting person when they act on their own credentials (auditors too, when
        ``read_only_too``: withdrawing their own tokens and changing their own password are
        theirs to do), else an admin writer."""
        actor_id = current_context().actor_id
        if actor_id is None:
            raise NotAuthenticated()
        if actor_id == str(person_id) and actor_id != SYSTEM_ACTOR:
            return self._acting_self() if read_only_too else self.ledger.writer()
        return self.ledger.writer("admin")

    def _acting_self(self) -> Person:
        """The acting person, active, whatever their role (for changes to their own access)."""
        actor_id = current_context().actor_id
        if actor_id is None or actor_id == SYSTEM_ACTOR:
            raise NotAuthenticated("only a person has their own credentials")
        person = self.ledger.load(Person, actor_id)
        if not person.active:
            raise NotAuthenticated("this account is deactivated")
        return person

    def get_person(self, person_id: UUID | str) -> dict[str, Any]:
        """Return a person's public details."""
        person = self.ledger.load(Person, person_id)
        return {"id": str(person.id), "name": person.name, "email": person.email,
                "function": person.function, "roles": list(person.roles),
                "active": person.active,
                "sign_in_locked_until": getattr(person, "locked_until", None),
                "time_zone": getattr(person, "time_zone", DEFAULT_TIME_ZONE)}

    def person_id_by_email(self, email: str) -> UUID | None:
        try:
            index = self.ledger.repository.get(EmailIndex.create_id(email))
        except AggregateNotFoundError:
            return None
        return index.person_id

    def authenticate_password(self, email: str, password: str) -> str | None:
        """Return the person id when the email and password match an active account.

        Every attempt verifies one Argon2 hash (a dummy one for an unknown email, an API-only or
        a deactivated account), so the time taken does not tell which accounts exist."""
        person_id = self.person_id_by_email(email)
        person = self.ledger.load(Person, person_id) if person_id is not None else None
        stored = person.password_hash if person is not None else None
        matches = verify_password(self.hasher, stored or self._dummy_hash(), password)
        if person is not None and stored and person.active and matches:
            return str(person.id)
        return None

    def _dummy_hash(self) -> str:
        """A hash of a random password with the hasher's parameters (made once)."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def lock_sign_in(self, email: str, at: datetime, until: datetime, failures: int) -> bool:
        """Lock the account of ``email`` out of password sign-in until ``until`` (a
        ``SignInLocked`` event by the system actor); False when there is no such account or it
        is locked at ``at`` already."""
        person_id = self.person_id_by_email(email)
        if person_id is None:
            return False
        person = self.ledger.load(Person, person_id)
        if person.locked_at(at):
            return False
        with self.ledger.as_system(reason=f"{failures} failed sign-ins in a row"):
            person.lock_sign_in(until, failures)
            self.ledger.save(person)
        return True

    def unlock_sign_in(self, person_id: UUID | str) -> str:
        """Lift a person's sign-in lock before it runs out (admins only); returns their email."""
        self.ledger.writer("admin")
        person = self.ledger.load(Person, person_id)
        person.unlock_sign_in()
        self.ledger.save(person)
        return str(person.email)

    def sign_in_with_identity(self, issuer: str, subject: str, email: str | None,
                              email_verified: bool, name: str | None, role: str | None,
                              default_role: str = "member",
                              function: str = "engineering") -> str:
        """The person an identity provider vouches for: matched by verified email, or
        provisioned now with ``role`` (from their groups) or ``default_role``. A mapped
        ``role`` that differs from the person's is recorded as a role change. Every change is
        an event by the system actor, with the provider named in its reason."""
        if not email or not email_verified:
            raise PermissionDenied("your identity provider has not verified your email "
                                   "address, so it cannot be matched to a person here",
                                   code="email_not_verified")
        email = email.strip().lower()
        person_id = self.person_id_by_email(email)
        with self.ledger.as_system(reason=f"single sign-on through {issuer}"):
            if person_id is None:
                return self._provision(issuer, subject, email, name, role or default_role,
                                       function)
            person = self.ledger.load(Person, person_id)
            if not person.active:
                raise NotAuthenticated("this account is deactivated", code="deactivated")
            person.link_identity(issuer, subject)
            if role is not None and person.roles != [role]:
                person.change_role(role)
            if person.pending_events:
                self.ledger.save(person)
        return str(person.id)

    def _provision(self, issuer: str, subject: str, email: str, name: str | None, role: str,
                   function: str) -> str:
        check_role(role)
        with command_context(reason=f"provisioned at first single sign-on through {issuer}"):
            person = Person(name=(name or email.split("@")[0]).strip()[:200], email=email,
                            function=function)
            person.grant_role(role)
            person.link_identity(issuer, subject)
            try:
                self.ledger.save(person, EmailIndex(email=email, person_id=person.id))
            except IntegrityError:  # provisioned by another request at the same moment
                found = self.person_id_by_email(email)
                if found is None:
                    raise
                return str(found)
        return str(person.id)

    def authenticate_token(self, token: str) -> str | None:
        """Return the person id owning a valid, unrevoked bearer token."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        person_id, token_id, secret = parsed
        try:
            person = self.ledger.load(Person, person_id)
        except NotFound:
            return None
        stored = person.tokens.get(token_id)
        if not person.active or stored is None or not secret_matches(stored, secret):
            return None
        if not person.token_valid_at(token_id, now()):
            return None
        return str(person.id)

