"""Flask's session, kept server-side in ``app/people/sessions.py``: the cookie carries only a
random session id. A new id is issued at sign-in (``rotate``), and the row is deleted at
sign-out, so a replayed cookie finds nothing."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from app.people.sessions import IDLE_SECONDS, LIFETIME_SECONDS, SessionStore

if TYPE_CHECKING:
    from flask import Flask, Request, Response
    from sqlalchemy import Engine


class ServerSession(CallbackDict, SessionMixin):  # type: ignore[type-arg]
    """The session's data; ``sid`` is None until it is first saved."""

    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def changed(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.sid = sid
        self.modified = False
        self.rotate = False


def rotate(session: Any) -> None:
    """Give the session a new id when it is next saved (at sign-in)."""
    if isinstance(session, ServerSession):
        session.rotate = True
        session.modified = True


class ServerSessions(SessionInterface):
    """Loads and saves sessions through a ``SessionStore``."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        """The session named by the cookie, or a new empty one."""
        sid = request.cookies.get(self.get_cookie_name(app))
        data = self.store.load(sid) if sid else None
        return ServerSession(data, sid) if data is not None else ServerSession()

    def save_session(self, app: Flask, session: ServerSession,  # type: ignore[override]
                     response: Response) -> None:
        """Store the session and set (or delete) its cookie."""
        name, domain, path = (self.get_cookie_name(app), self.get_cookie_domain(app),
                              self.get_cookie_path(app))
        if not session.modified:
            return
        if session.sid and (session.rotate or not session):
            self.store.end(session.sid)
            session.sid = None
        if not session:
            response.delete_cookie(name, domain=domain, path=path)
            return
        data = dict(session)
        if session.sid is None:
            session.sid = self.store.create(data)
        else:
            self.store.save(session.sid, data)
        response.set_cookie(name, session.sid, httponly=self.get_cookie_httponly(app),
                            secure=self.get_cookie_secure(app), domain=domain, path=path,
                            samesite=self.get_cookie_samesite(app))
        response.vary.add("Cookie")


def init_app(app: Flask, engine: Engine, reader: Engine | None = None) -> None:
    """Keep the app's sessions server-side. ``GOVLEDGER_SESSION_IDLE_MINUTES`` (30) and
    ``GOVLEDGER_SESSION_LIFETIME_HOURS`` (12), in the app config or the environment, set the
    timeouts; ``GOVLEDGER_SESSION_CLOCK`` (tests) a clock giving seconds."""
    idle = _setting(app, "GOVLEDGER_SESSION_IDLE_MINUTES", IDLE_SECONDS / 60) * 60
    lifetime = _setting(app, "GOVLEDGER_SESSION_LIFETIME_HOURS", LIFETIME_SECONDS / 3600) * 3600
    store = SessionStore(engine, idle=idle, lifetime=lifetime,
                         clock=app.config.get("GOVLEDGER_SESSION_CLOCK") or time.time,
                         reader=reader)
    app.extensions["govledger_sessions"] = store
    app.session_interface = ServerSessions(store)


def end_sessions(person_id: str) -> None:
    """End every session of a person now (they were deactivated)."""
    store = current_app.extensions.get("govledger_sessions")
    if store is not None:
        store.end_for(person_id)


def _setting(app: Flask, name: str, default: float) -> float:
    return float(app.config.get(name) or os.environ.get(name) or default)
