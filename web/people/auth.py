"""Sign in with email and password (session), or with a bearer token on the API."""

from __future__ import annotations

import time
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
from app.people.security import parse_token
from app.people.sign_in import PasswordSignIn
from app.people.token_usage import TokenUsage
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
    services = app.extensions["govledger"]
    sessions.init_app(app, services.engine, services.reader)
    app.extensions["govledger_sign_in"] = PasswordSignIn(
        services.engine, services.people, app.config.get("GOVLEDGER_SIGNIN_LIMITS"),
        clock=app.config.get("GOVLEDGER_SIGNIN_CLOCK") or time.time)
    app.extensions["govledger_token_usage"] = TokenUsage(
        services.engine, clock=app.config.get("GOVLEDGER_TOKEN_CLOCK") or time.time)
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
            token = header[7:].strip()
            person_id = services().people.authenticate_token(token)
            if person_id:
                note_token_use(token)
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


def note_token_use(token: str) -> None:
    """Record that a valid token was used (written at most once a minute per token)."""
    parsed = parse_token(token)
    if parsed is not None:
        current_app.extensions["govledger_token_usage"].touch(str(parsed[0]), parsed[1])


def password_sign_in() -> PasswordSignIn:
    """The app's password sign-in, with its limits kept in the store's database."""
    return current_app.extensions["govledger_sign_in"]  # type: ignore[no-any-return]


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
        result = password_sign_in().attempt(data["email"], data["password"],
                                            request.remote_addr or "")
        if result.person_id is not None:
            return start_session(result.person_id, request.args.get("next"))
        if result.wait_seconds:
            errors = {"password": [f"too many failed sign-ins; try again in "
                                   f"{(result.wait_seconds + 59) // 60} minute(s)"]}
            return login_page(form, errors, 429)
        errors = {"password": ["email or password is not right"]}
    return login_page(form, errors, 422)


@bp.post("/logout")
def logout() -> Response:
    """Sign out."""
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
