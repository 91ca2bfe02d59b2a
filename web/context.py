"""Per-request access to the services, the signed-in person and the command context."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from flask import current_app, g, redirect, request, url_for

from app.errors import NotAuthenticated

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

    from app.application import Ledger
    from app.bootstrap import Services

F = TypeVar("F", bound=Callable[..., Any])


def services() -> Services:
    """Return the app's services."""
    return current_app.extensions["govledger"]


def ledger() -> Ledger:
    """Return the ledger application."""
    return services().ledger


def read_model() -> Engine:
    """Catch the read models up with the log, then return their engine."""
    services().projections.catch_up()
    return services().engine


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
    with ledger().acting_as(g.user["id"], request_id=request_id(), reason=reason or None):
        yield
    services().projections.catch_up()


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
    return bool(user) and "auditor" not in user["roles"] and bool(
        {"admin", "member"} & set(user["roles"]))


def form_data() -> dict[str, str]:
    """The submitted form fields, without the CSRF token."""
    data = request.form.to_dict()
    data.pop("csrf_token", None)
    return data
