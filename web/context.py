"""Per-request access to the services, the signed-in person and the command context."""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from flask import (
    current_app,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)

from app.ledger import written
from domain.errors import NotAuthenticated, PermissionDenied
from domain.people.person import may_write

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from sqlalchemy import Engine

    from app.bootstrap import Services
    from app.ledger import Ledger

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

MEMO_ENTRIES = 512
"""Aggregates ``at_position`` keeps per app (all dropped when full: each is one query)."""
_memo_lock = threading.Lock()


def services() -> Services:
    """Return the app's services."""
    return current_app.extensions["govledger"]


def ledger() -> Ledger:
    """Return the ledger application."""
    return services().ledger


def read_model() -> Engine:
    """Catch the read models up with the log, then return their engine — or, when the request
    asks for ``as_of`` (query arg, or the page picker's choice kept in the session), an engine
    over every read model as it stood at that moment (see ``app/audit/as_of.py``)."""
    moment = current_as_of()
    if moment is None:
        if not has_request_context():
            services().read_your_writes.before_read()
        elif not g.get("read_model_caught_up"):  # once per request, however many reads
            services().read_your_writes.before_read()  # inline: catch up; workers: nothing
            g.read_model_caught_up = True
        return services().reader  # type: ignore[return-value]

    return services().as_of.engine_at(moment)


def positions() -> dict[str, int]:
    """Every projection's position once the read models are caught up (``read_model``), read
    once per request: what the aggregates kept per position (``at_position``, the nav's task
    count) are keyed by."""
    read_model()
    live = services()
    if not has_request_context():
        return live.projections.positions(live.reader)
    if "positions" not in g:
        g.positions = live.projections.positions(live.reader)
    return g.positions  # type: ignore[no-any-return]


def at_position(projection: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` (an aggregate over ``projection``'s read model, e.g. counts by status or
    MTTA per severity) once per position of that projection: its tables change only when it
    applies events, so until then every page view reads the aggregate from here instead of
    scanning the table again. As-of views (another read model) always compute. The value is
    shared: callers read it and never change it."""
    if current_as_of() is not None:
        return compute()
    return _kept("govledger_at_position", (projection, positions().get(projection), *key),
                 compute)


def _kept(memo_name: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``, kept in the app's memo ``memo_name`` under ``key`` (at most
    ``MEMO_ENTRIES`` values; all dropped when it is full)."""
    memo = current_app.extensions.setdefault(memo_name, {})
    with _memo_lock:
        if key in memo:
            return memo[key]  # type: ignore[no-any-return]
    value = compute()
    with _memo_lock:
        if len(memo) >= MEMO_ENTRIES:
            memo.clear()
        memo[key] = value
    return value


def kept_count(engine: Engine, total: Any, count: Callable[[], int]) -> int:
    """A list page's total (``app/paging.py`` ``fetch_page``), counted once per set of read-model
    positions: the count of the same statement with the same values is kept until any
    projection applies an event (PostgreSQL counts a large table by reading it, several ms of
    its CPU a page view). As-of views, other engines and requests outside a web request
    always count."""
    if not has_request_context() or current_as_of() is not None or \
            (engine is not services().reader and engine is not services().engine):
        return count()
    cache_key = total._generate_cache_key()
    if cache_key is None:
        return count()
    values = tuple(_hashable(b.effective_value) for b in cache_key.bindparams)
    return _kept("govledger_counts", (tuple(sorted(positions().items())), cache_key.key, values),
                 count)


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, (list, tuple)) else value


def current_as_of() -> datetime | None:
    """The moment this request views (None: now). Invalid values raise a 422 naming ``as_of``."""
    if not has_request_context():
        return None
    if "as_of" not in g:
        raw = request.args.get("as_of")
        if raw is None and not request.path.startswith("/api/"):
            raw = session.get("as_of")
        from app.audit.schemas import AsOfSchema

        g.as_of = None
        g.as_of = AsOfSchema().load({"as_of": raw or None})["as_of"]
    return g.as_of


def request_id() -> str:
    """Return this request's id (from ``X-Request-Id`` or a new one)."""
    if "request_id" not in g:
        g.request_id = (request.headers.get("X-Request-Id") or str(uuid.uuid4()))[:100]
    return g.request_id


@contextmanager
def acting(reason: str | None = None) -> Iterator[None]:
    """Run commands as the signed-in person, with this request's id and an optional reason."""
    if g.get("user") is None:
        raise NotAuthenticated()
    if current_as_of() is not None:
        raise PermissionDenied("you are viewing the ledger as of a past moment; go back to now "
                               "to change anything", code="as_of_read_only")
    noted: list[tuple[int, str]] = []
    token = written.set(noted)
    try:
        with ledger().acting_as(g.user["id"], request_id=request_id(), reason=reason or None):
            yield
    finally:
        written.reset(token)
    g.recorded = True  # from here on an error must not say that nothing was recorded
    try:  # the command is recorded: its answer does not depend on the read models' catch-up
        services().read_your_writes.after_write(noted)  # its own events applied (or waited for)
    except Exception:  # noqa: BLE001 - the background loop and the next read catch up
        current_app.logger.exception("catching the read models up after a command failed")
    seal_quietly()


def seal_quietly() -> None:
    """Seal after a command when a checkpoint is due (never fails the command)."""

    try:
        services().audit.seal(create_key=False)
    except Exception:  # noqa: BLE001 - the background loop and `govledger seal` retry
        current_app.logger.exception("sealing after a command failed")


def login_required(view: F) -> F:
    """Redirect to the login page unless someone is signed in."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def can_write() -> bool:
    """Whether the signed-in person may change anything."""
    user = g.get("user")
    return bool(user) and may_write(user["roles"])


def can(*roles: str) -> bool:
    """Whether the signed-in person may run a command that needs one of ``roles`` (none: any
    writer) now — the rule ``Ledger.writer`` enforces (``domain.people.person.may_write``), and
    never while viewing the past. Pages show a form only when ``can(...)`` holds."""
    user = g.get("user")
    return bool(user) and user.get("active", True) and may_write(user["roles"], roles) and (
        current_as_of() is None)


def view_now() -> datetime:
    """The moment a page describes: the as-of moment when viewing the past, else the clock's now
    (so derived facts such as "overdue" are judged as they stood then)."""
    from domain.base import now

    return current_as_of() or now()


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def refuse_writes_as_of() -> None:
    """Before any request: a write while viewing the ledger as of a past moment (``?as_of=``)
    is refused (403) before its view runs, on pages and the API alike."""
    if request.method in WRITE_METHODS and request.args.get("as_of"):
        raise PermissionDenied("you are viewing the ledger as of a past moment; go back to now "
                               "to change anything", code="as_of_read_only")
