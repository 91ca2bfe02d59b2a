"""Conflicts are handled, not leaked: the one place the event store's unique-key violations
(eventsourcing's ``IntegrityError``: another command saved a new version of the same aggregate
first, or claimed the same derived id) are mapped.

Every use case loads its aggregates, checks the rules and saves once, so running it again is
safe and re-checks every rule against the new state: ``retrying`` makes each public method of a
service run again (with a short random back-off) a bounded number of times; when it still
conflicts, it raises ``ConcurrentUpdate`` (409 ``concurrent_update``). Nothing was appended by a
losing attempt: a save is one atomic transaction. Use cases that give a violation a meaning of
their own (a taken email is ``EmailTaken``) catch it themselves, first.
"""

from __future__ import annotations

import inspect
import random
import time
from functools import wraps
from typing import Any, Callable, TypeVar

from eventsourcing.persistence import IntegrityError

from domain.errors import ConcurrentUpdate

S = TypeVar("S")
F = TypeVar("F", bound=Callable[..., Any])

ATTEMPTS = 8
"""How many times a use case runs before its conflict is reported."""

BACKOFF = 0.004
"""Seconds: the mean back-off before the second attempt (it doubles on each further one)."""


def retried(command: F, attempts: int = ATTEMPTS) -> F:
    """``command``, run again while it loses an optimistic-concurrency race."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, attempts + 1):
            try:
                return command(*args, **kwargs)
            except IntegrityError:
                if attempt == attempts:
                    raise ConcurrentUpdate(attempts=attempts) from None
                time.sleep(random.uniform(0, 2 * BACKOFF * 2 ** (attempt - 1)))  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover

    return run  # type: ignore[return-value]


def retrying(service: S) -> S:
    """``service`` with each public use case retried on a conflict (see the module's doc)."""
    for name, _ in inspect.getmembers(type(service), inspect.isfunction):
        if not name.startswith("_"):
            setattr(service, name, retried(getattr(service, name)))
    return service
