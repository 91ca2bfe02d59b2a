"""The ledger's aggregate base: every event carries who, when, on whose behalf, why and which request."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

if TYPE_CHECKING:
    from collections.abc import Iterator

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Return the current UTC time."""
    return datetime.now(tz=timezone.utc)


@dataclass(frozen=True)
class CommandContext:
    """Who is acting, for whom, why, and under which request id."""

    actor_id: str | None = None
    on_behalf_of: str | None = None
    reason: str | None = None
    request_id: str | None = None


_context: ContextVar[CommandContext] = ContextVar("command_context", default=CommandContext())
_clock: ContextVar[Clock | None] = ContextVar("clock", default=None)
_default_clock: list[Clock] = [system_clock]
_ids: ContextVar[Callable[[], UUID] | None] = ContextVar("ids", default=None)


def current_context() -> CommandContext:
    """Return the command context in force."""
    return _context.get()


def now() -> datetime:
    """Return the time from the clock in force (injectable for tests)."""
    return (_clock.get() or _default_clock[0])()


@contextmanager
def command_context(**changes: Any) -> Iterator[CommandContext]:
    """Set fields of the command context for the events raised inside the block."""
    values = {**current_context().__dict__, **changes}
    token = _context.set(CommandContext(**values))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Use ``clock`` for event times inside the block."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def new_id() -> UUID:
    """A new id for an aggregate or an entity inside one (random unless a source is in force)."""
    source = _ids.get()
    return source() if source is not None else uuid4()


@contextmanager
def using_ids(source: Callable[[], UUID]) -> Iterator[None]:
    """Take new ids from ``source`` inside the block (the seeded history generator does)."""
    token = _ids.set(source)
    try:
        yield
    finally:
        _ids.reset(token)


def set_default_clock(clock: Clock) -> None:
    """Install ``clock`` as the process-wide default clock (used by app bootstrap and tests)."""
    _default_clock[0] = clock


class LedgerAggregate(Aggregate):
    """Base of every aggregate: its events record the command context and the clock's time;
    its id comes from :func:`new_id`."""

    @staticmethod
    def create_id() -> UUID:
        return new_id()

    class Event(Aggregate.Event):
        actor_id: str | None = field(default_factory=lambda: _context.get().actor_id, init=False)
        on_behalf_of: str | None = field(
            default_factory=lambda: _context.get().on_behalf_of, init=False
        )
        reason: str | None = field(default_factory=lambda: _context.get().reason, init=False)
        request_id: str | None = field(
            default_factory=lambda: _context.get().request_id, init=False
        )

        @staticmethod
        def create_timestamp() -> datetime:
            return now()


METADATA_FIELDS = (
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "actor_id",
    "on_behalf_of",
    "reason",
    "request_id",
)
