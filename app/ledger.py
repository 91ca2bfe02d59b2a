"""The ledger application: one event store and one log; acting as a person, authorisation, loading."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

from app import idempotency
from domain.audit import event_auth
from domain.base import METADATA_FIELDS, command_context, current_context
from domain.errors import NotAuthenticated, NotFound, PermissionDenied
from domain.people.person import Person, may_write
from domain.topics import register_legacy_topics

if TYPE_CHECKING:
    from collections.abc import Iterator

    from eventsourcing.domain import Aggregate

_actor: ContextVar[Person | None] = ContextVar("actor", default=None)

_save_key: ContextVar[bytes | None] = ContextVar("save_key", default=None)
"""The event key of the save in progress (``AuthenticatingMapper.one_key``)."""

written: ContextVar[list[tuple[int, str]] | None] = ContextVar("written", default=None)
"""When set (a web request's commands), every save adds its events' ``(notification id,
topic)``: what the request waits to see applied before it answers (read-your-writes)."""

SYSTEM_ACTOR = "00000000-0000-0000-0000-000000000000"
"""The actor id recorded for bootstrap commands run from the CLI (``init``, ``user add``, ``demo``)."""


SECRET_FIELDS = frozenset({"password_hash", "token_hash", "key_hash", "secret_sha256"})
"""Event fields never shown in history or exports (they hold credential hashes)."""


class KnownId(UUID):
    """A UUID that keeps its text: read-model handlers format an event's originator id several
    times per event (``UUID.__str__`` was 6% of a rebuild). Equal to, and hashed like, the
    plain UUID."""

    __slots__ = ("_text",)

    @classmethod
    def of(cls, value: UUID) -> KnownId:
        known = object.__new__(cls)
        object.__setattr__(known, "int", value.int)
        object.__setattr__(known, "is_safe", value.is_safe)
        object.__setattr__(known, "_text", str(value))
        return known

    def __str__(self) -> str:
        return self._text


class AuthenticatingMapper(Mapper[UUID]):
    """Tags every event it stores with an HMAC under the instance's event key (when it has one)
    and strips the tag before decoding (see domain/audit/event_auth.py)."""

    event_key: bytes | None = None
    key_source: Callable[[], bytes] | None = None
    """When set, called to get the current key (it follows rotations made by another process):
    once per save (see :meth:`one_key`), else once per event."""

    @contextmanager
    def one_key(self) -> Iterator[None]:
        """Tag every event stored in the block with the key current when it starts: one look
        at the key file per save rather than one per event (a generated batch holds 5,000)."""
        token = _save_key.set(self.key_source() if self.key_source is not None else None)
        try:
            yield
        finally:
            _save_key.reset(token)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        key = _save_key.get()
        if key is None:
            key = self.key_source() if self.key_source is not None else self.event_key
        if key is None or self.cipher or self.compressor:
            return stored
        return StoredEvent(originator_id=stored.originator_id,
                           originator_version=stored.originator_version, topic=stored.topic,
                           state=event_auth.add_tag(key, stored.originator_id,
                                                    stored.originator_version, stored.topic,
                                                    stored.state))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = stored_event.state
        if not (self.cipher or self.compressor):
            base, key_id, _ = event_auth.split(bytes(state))
            if key_id is not None:
                stored_event = StoredEvent(originator_id=stored_event.originator_id,
                                           originator_version=stored_event.originator_version,
                                           topic=stored_event.topic, state=base)
        return super().to_domain_event(stored_event)

    def event_from_row(self, originator_id: Any, version: int, topic: str, state: bytes) -> Any:
        """The domain event of one raw stored row — what :meth:`to_domain_event` gives, without
        building two ``StoredEvent`` objects and resolving the class and its id type per event
        (a rebuild decodes the whole log)."""
        if self.cipher or self.compressor:
            return self.to_domain_event(StoredEvent(originator_id=originator_id,
                                                    originator_version=version, topic=topic,
                                                    state=state))
        key = (topic, type(originator_id))
        found = self._classes.get(key)
        if found is None:
            cls = resolve_topic(topic)
            found = self._classes[key] = (cls, getattr(cls, "class_version", 1),
                                            find_id_convertor(cls, type(originator_id)),
                                            getattr(cls, "originator_id_type", None) is UUID)
        cls, class_version, convert, uuid_ids = found
        try:
            event_state = self.transcoder.decode(event_auth.untagged(bytes(state)))
        except Exception as e:
            msg = (f"Failed to deserialise state of stored event with topic '{topic}', "
                   f"originator_id '{originator_id}' and originator_version {version}: {e}")
            raise MapperDeserialisationError(msg) from e
        ids = self._ids
        oid = ids.get(originator_id) if uuid_ids else None
        if oid is None:
            oid = convert(originator_id)
            if uuid_ids and type(oid) is UUID:
                oid = KnownId.of(oid)
                if len(ids) >= 100_000:
                    ids.clear()
                ids[originator_id] = oid
        event_state["originator_id"] = oid
        event_state["originator_version"] = version
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", event_state)
        return domain_event

    @property
    def _ids(self) -> dict[Any, KnownId]:
        """Raw stored ids and their (UUID) ids, for :meth:`event_from_row` (bounded)."""
        return self.__dict__.setdefault("_known_ids", {})

    @property
    def _classes(self) -> dict[tuple[str, type], tuple[type, int, Callable[[Any], Any], bool]]:
        """Per topic and id type: the event class, its version, its id converter and whether
        its ids are UUIDs (resolved once)."""
        return self.__dict__.setdefault("_event_classes", {})


class Ledger(Application[UUID]):
    """The one event-sourced application (one store, one log) that every area's service uses.

    It knows who is acting and may write, loads aggregates by type and saves them; the use
    cases live in the per-area services composed by ``app/bootstrap.py``.
    """

    name = "ledger"  # names the PostgreSQL table (ledger_events): never change it

    RECORDERS = {  # noqa: RUF012 - a constant
        "eventsourcing.sqlite": "app.idempotency:IdempotentSQLiteRecorder",
        "eventsourcing.postgres": "app.idempotency:IdempotentPostgresRecorder",
    }
    """eventsourcing's recorders, recording a request's idempotency key with its events."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        register_legacy_topics()  # events stored by release 0.1 name the old flat modules
        env = dict(env or {})
        recorder = self.RECORDERS.get(env.get("PERSISTENCE_MODULE", ""))
        if recorder:
            env.setdefault("APPLICATION_RECORDER_TOPIC", recorder)
        super().__init__(env=env)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save the aggregates' new events in one transaction — with the idempotency key of the
        request being handled, if it has one (see ``app/idempotency.py``)."""
        claim = idempotency.current.get()
        with self.mapper.one_key():
            if claim is None:
                recordings = super().save(*objs, **kwargs)
            else:
                recordings = super().save(*objs, idempotency=claim, **kwargs)
                claim.saved()
        noted = written.get()
        if noted is not None:
            noted.extend((r.notification.id, r.notification.topic) for r in recordings)
        return recordings

    def construct_mapper(self) -> Mapper[UUID]:
        """The factory's mapper, authenticating (the event key is set by the audit)."""
        return self.factory.mapper(transcoder=self.construct_transcoder(),
                                   mapper_class=AuthenticatingMapper)

    # -- acting ---------------------------------------------------------------------------------

    @contextmanager
    def acting_as(self, person_id: str | UUID, **context: Any) -> Iterator[None]:
        """Run the block's commands as ``person_id`` (request id and reason optional).

        The person is loaded once here, so every command in the block is authorised against
        the roles they hold when the block (a web request, a CLI run) starts.
        """
        person = self.load(Person, person_id)
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

    def writer(self, *roles: str) -> Person | None:
        """Return the acting person after checking they may write (None for the system actor)."""
        actor_id = current_context().actor_id
        if actor_id is None:
            raise NotAuthenticated()
        if actor_id == SYSTEM_ACTOR:
            return None
        person = _actor.get()
        if person is None or str(person.id) != actor_id:
            person = self.load(Person, actor_id)
        if not person.active:
            raise NotAuthenticated("this account is deactivated")
        if not person.can_write:
            raise PermissionDenied("auditors and people without a role may not change anything",
                                   code="read_only_role", roles=person.roles)
        if not may_write(person.roles, roles):
            raise PermissionDenied(f"this needs the role {' or '.join(roles)}",
                                   code="role_required", required=list(roles))
        return person

    def load(self, cls: type[Aggregate], aggregate_id: UUID | str) -> Any:
        """The aggregate ``aggregate_id`` of type ``cls`` (NotFound if none, or another type)."""
        aggregate_id = parse_id(aggregate_id, cls.__name__)
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}",
                                id=str(aggregate_id)) from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}", id=str(aggregate_id))
        return aggregate

    # -- history --------------------------------------------------------------------------------

    def history(self, cls: type[Aggregate], aggregate_id: UUID | str) -> list[dict[str, Any]]:
        """Every event of one entity, oldest first, as plain dicts."""
        return self.history_page(cls, aggregate_id)[0]

    def history_page(self, cls: type[Aggregate], aggregate_id: UUID | str,
                     limit: int | None = None,
                     offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """One entity's events, oldest first, as plain dicts: those after the first ``offset``
        (at most ``limit``; all when None), and how many it has. Only those events are read
        (a board's or a rotation's history grows with the log: thousands of events)."""
        oid = parse_id(aggregate_id, cls.__name__)
        store = self.repository.event_store
        last = next(store.get(oid, desc=True, limit=1), None)
        created = next(store.get(oid, limit=1), None) if last is not None else None
        topic = getattr(created, "originator_topic", None)
        if last is None or topic is None or not issubclass(resolve_topic(topic), cls):
            raise NotFound(f"no {cls.__name__} with id {oid}", id=str(oid))
        first = created.originator_version - 1  # type: ignore[union-attr]
        events = store.get(oid, gt=first + offset,
                           lte=None if limit is None else first + offset + limit)
        return [event_to_dict(e) for e in events], last.originator_version - first



def parse_id(value: UUID | str, kind: str = "entity") -> UUID:
    """Return ``value`` as a UUID, or raise NotFound naming what was looked for."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(f"no {kind} with id {value}", id=str(value)) from None


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
