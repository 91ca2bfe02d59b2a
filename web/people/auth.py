"""Sign in with email and password (session), or with a bearer token on the API."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)

from app.people.schemas import LoginSchema
from web.context import services
from web.forms import submitted, validate
from web.people import oidc, sessions
from web.people.signin import login_page, sso, start_session

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.wrappers import Response

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app: Flask) -> None:
    """Keep sessions server-side; load the signed-in person (session or bearer token) before
    every request."""
    sessions.init_app(app, app.extensions["govledger"].engine)
    oidc.init_app(app)
    app.register_blueprint(oidc.bp)
    app.before_request(load_user)


def load_user() -> None:
    """Set ``g.user`` from the bearer token (API) or the session (pages)."""
    g.user = None
    person_id = None
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/api/"):
        if header.lower().startswith("bearer "):
            person_id = services().people.authenticate_token(header[7:].strip())
    else:
        person_id = session.get("person_id")
    if person_id:
        try:
            person = services().people.get_person(person_id)
        except Exception:  # noqa: BLE001 - a stale session for a vanished store signs out
            session.clear()
            return
        g.user = person if person["active"] else None
        if g.user is None and not request.path.startswith("/api/"):
            session.clear()  # a deactivated person's session ends here


class SignInThrottle:
    """Refuses sign-in for an email (from one address) after repeated failures in a window.

    Kept in process memory: with several server processes each counts its own failures.
    """

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] < time.monotonic() - self.window:
            times.popleft()
        return times

    def wait_seconds(self, key: tuple[str, str]) -> int:
        """Seconds until ``key`` may try again (0 when it may now)."""
        with self._lock:
            times = self._recent(key)
            if len(times) < self.limit:
                return 0
            return int(times[0] + self.window - time.monotonic()) + 1

    def failed(self, key: tuple[str, str]) -> None:
        """Count a failed attempt."""
        with self._lock:
            self._recent(key).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        """Forget the failures of ``key``."""
        with self._lock:
            self._failures.pop(key, None)


def throttle() -> SignInThrottle:
    """The app's sign-in throttle per (email, client address)."""
    return current_app.extensions.setdefault("govledger_signin_throttle", SignInThrottle())


def spray_throttle() -> SignInThrottle:
    """The app's sign-in throttle per client address across accounts (a password spray)."""
    return current_app.extensions.setdefault("govledger_spray_throttle",
                                             SignInThrottle(limit=10))


@bp.route("/login", methods=("GET", "POST"))
def login() -> str | Response | tuple[str, int]:
    """Show the sign-in form, or sign in."""
    if request.method != "POST":
        return login_page()
    if not sso().password_sign_in:
        return login_page(errors={"password": ["password sign-in is turned off here; use "
                                               "single sign-on"]}, status=403)
    form = submitted()
    data, errors = validate(LoginSchema(), form)
    if data is not None:
        key = (data["email"].strip().lower(), request.remote_addr or "")
        address = ("*", request.remote_addr or "")
        wait = max(throttle().wait_seconds(key), spray_throttle().wait_seconds(address))
        if wait:
            errors = {"password": [f"too many failed sign-ins; try again in "
                                   f"{(wait + 59) // 60} minute(s)"]}
            return login_page(form, errors, 429)
        person_id = services().people.authenticate_password(data["email"], data["password"])
        if person_id is None:
            throttle().failed(key)
            spray_throttle().failed(address)
            errors = {"password": ["email or password is not right"]}
        else:
            throttle().succeeded(key)
            return start_session(person_id, request.args.get("next"))
    return login_page(form, errors, 422)


@bp.post("/logout")
def logout() -> Response:
    """Sign out."""
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
