"""The one ledger application: every command loads aggregates, calls them and saves once."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from app.errors import NotAuthenticated, NotFoundError, PermissionDenied
from app.security import mint_token, parse_token, password_hasher, secret_matches, verify_password
from domain.base import METADATA_FIELDS, command_context, current_context
from domain.changes import ChangeRequest
from domain.people import EmailIndex, EmailTaken, Person, check_role

if TYPE_CHECKING:
    from collections.abc import Iterator

    from eventsourcing.domain import Aggregate

_actor: ContextVar[Person | None] = ContextVar("actor", default=None)

SYSTEM_ACTOR = "00000000-0000-0000-0000-000000000000"
"""The actor id recorded for bootstrap commands run from the CLI (``init``, ``user add``, ``demo``)."""


SECRET_FIELDS = frozenset({"password_hash", "token_hash"})
"""Event fields never shown in history or exports (they hold credential hashes)."""


class Ledger(Application[UUID]):
    """Governance Ledger's application service over one event store and notification log."""

    name = "ledger"

    def __init__(self, env: dict[str, str] | None = None, password_cost: str = "strong") -> None:
        super().__init__(env=env)
        self.hasher = password_hasher(password_cost)

    # -- acting ---------------------------------------------------------------------------------

    @contextmanager
    def acting_as(self, person_id: str | UUID, **context: Any) -> Iterator[None]:
        """Run the block's commands as ``person_id`` (request id and reason optional).

        The person is loaded once here, so every command in the block is authorised against
        the roles they hold when the block (a web request, a CLI run) starts.
        """
        person = self._get(Person, person_id)
        token = _actor.set(person)
        try:
            with command_context(actor_id=str(person.id), **context):
                yield
        finally:
            _actor.reset(token)

    @contextmanager
    def as_system(self, **context: Any) -> Iterator[None]:
        """Run bootstrap commands from the CLI as the system actor."""
        with command_context(actor_id=SYSTEM_ACTOR, **context):
            yield

    def _writer(self, *roles: str) -> Person | None:
        """Return the acting person after checking they may write (None for the system actor)."""
        actor_id = current_context().actor_id
        if actor_id is None:
            raise NotAuthenticated()
        if actor_id == SYSTEM_ACTOR:
            return None
        person = _actor.get()
        if person is None or str(person.id) != actor_id:
            person = self._get(Person, actor_id)
        if not person.active:
            raise NotAuthenticated("this account is deactivated")
        if not person.can_write:
            raise PermissionDenied("auditors and people without a role may not change anything",
                                   code="read_only_role", roles=person.roles)
        if roles and not set(roles) & set(person.roles):
            raise PermissionDenied(f"this needs the role {' or '.join(roles)}",
                                   code="role_required", required=list(roles))
        return person

    def _get(self, cls: type[Aggregate], aggregate_id: UUID | str) -> Any:
        aggregate_id = parse_id(aggregate_id, cls.__name__)
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"no {cls.__name__} with id {aggregate_id}",
                                id=str(aggregate_id)) from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"no {cls.__name__} with id {aggregate_id}", id=str(aggregate_id))
        return aggregate

    # -- people ---------------------------------------------------------------------------------

    def register_person(self, name: str, email: str, function: str, role: str,
                        password: str | None = None) -> dict[str, Any]:
        """Register a person with one system role (admins only); returns id and a new token."""
        self._writer("admin")
        check_role(role)
        email = email.strip().lower()
        if self._person_id_by_email(email) is not None:
            raise EmailTaken(f"{email} already belongs to someone", email=email)
        person = Person(name=name, email=email, function=function)
        person.grant_role(role)
        if password:
            person.set_password(self.hasher.hash(password))
        token = mint_token(person.id)
        person.issue_token(token.token_id, token.token_hash, "created with the account")
        try:
            self.save(person, EmailIndex(email=email, person_id=person.id))
        except IntegrityError:
            raise EmailTaken(f"{email} already belongs to someone", email=email) from None
        return {"id": str(person.id), "token": token.token}

    def grant_role(self, person_id: UUID, role: str) -> None:
        """Grant a system role (admins only)."""
        self._writer("admin")
        person = self._get(Person, person_id)
        person.grant_role(role)
        self.save(person)

    def revoke_role(self, person_id: UUID, role: str) -> None:
        """Revoke a system role (admins only)."""
        self._writer("admin")
        person = self._get(Person, person_id)
        person.revoke_role(role)
        self.save(person)

    def set_password(self, person_id: UUID, password: str) -> None:
        """Set a password: admins for anyone, everyone else for themselves."""
        actor = self._writer_or_self(person_id)
        person = actor if actor is not None and actor.id == person_id else self._get(
            Person, person_id)
        person.set_password(self.hasher.hash(password))
        self.save(person)

    def issue_token(self, person_id: UUID, label: str = "") -> str:
        """Issue a new API token for a person (admins, or the person): returns it once."""
        self._writer_or_self(person_id)
        person = self._get(Person, person_id)
        token = mint_token(person.id)
        person.issue_token(token.token_id, token.token_hash, label)
        self.save(person)
        return token.token

    def _writer_or_self(self, person_id: UUID) -> Person | None:
        actor_id = current_context().actor_id
        if actor_id is None:
            raise NotAuthenticated()
        if actor_id == str(person_id):
            return self._writer()
        return self._writer("admin")

    def get_person(self, person_id: UUID | str) -> dict[str, Any]:
        """Return a person's public details."""
        person = self._get(Person, person_id)
        return {"id": str(person.id), "name": person.name, "email": person.email,
                "function": person.function, "roles": list(person.roles),
                "active": person.active}

    def _person_id_by_email(self, email: str) -> UUID | None:
        try:
            index = self.repository.get(EmailIndex.create_id(email))
        except AggregateNotFoundError:
            return None
        return index.person_id

    def authenticate_password(self, email: str, password: str) -> str | None:
        """Return the person id when the email and password match an active account."""
        person_id = self._person_id_by_email(email)
        if person_id is None:
            verify_password(self.hasher, None, password)
            return None
        person = self._get(Person, person_id)
        if person.active and verify_password(self.hasher, person.password_hash, password):
            return str(person.id)
        return None

    def authenticate_token(self, token: str) -> str | None:
        """Return the person id owning a valid, unrevoked bearer token."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        person_id, token_id, secret = parsed
        try:
            person = self._get(Person, person_id)
        except NotFoundError:
            return None
        stored = person.tokens.get(token_id)
        if not person.active or stored is None or not secret_matches(stored, secret):
            return None
        return str(person.id)

    # -- change requests ------------------------------------------------------------------------

    def submit_change_request(self, **fields: Any) -> dict[str, Any]:
        """Submit a change request as the acting person."""
        actor = self._writer()
        requester = str(actor.id) if actor is not None else SYSTEM_ACTOR
        board_id = fields.pop("board_id", None)
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

    # -- history --------------------------------------------------------------------------------

    def history(self, cls: type[Aggregate], aggregate_id: UUID | str) -> list[dict[str, Any]]:
        """Return every event of one entity, oldest first, as plain dicts."""
        aggregate = self._get(cls, aggregate_id)
        return [event_to_dict(e) for e in self.repository.event_store.get(aggregate.id)]


def parse_id(value: UUID | str, kind: str = "entity") -> UUID:
    """Return ``value`` as a UUID, or raise NotFoundError naming what was looked for."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFoundError(f"no {kind} with id {value}", id=str(value)) from None


def event_to_dict(domain_event: Any) -> dict[str, Any]:
    """Describe a stored event: its type, when, who, for whom, why, and its data."""
    data = {k: ("[redacted]" if k in SECRET_FIELDS else v)
            for k, v in domain_event.__dict__.items() if k not in METADATA_FIELDS}
    return {
        "type": type(domain_event).__qualname__.split(".")[-1],
        "version": domain_event.originator_version,
        "recorded_at": domain_event.timestamp,
        "actor_id": domain_event.actor_id,
        "on_behalf_of": domain_event.on_behalf_of,
        "reason": domain_event.reason,
        "request_id": domain_event.request_id,
        "data": data,
    }
