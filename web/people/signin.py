"""The sign-in page and the start of a signed-in session, shared by password sign-in
(``auth.py``) and single sign-on (``oidc.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, redirect, render_template, request, session, url_for

from web.people import sessions
from web.redirects import local_path

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from app.people.sso import OidcSettings


def sso() -> OidcSettings:
    """This app's single sign-on settings (read at start-up by ``oidc.init_app``)."""
    return current_app.extensions["govledger_oidc"]  # type: ignore[no-any-return]


def login_page(form: dict[str, Any] | None = None, errors: dict[str, Any] | None = None,
               status: int = 200) -> tuple[str, int]:
    """The sign-in page: the password form (unless turned off) and the SSO button."""
    settings = sso()
    return render_template("auth/login.html", form=form or {}, errors=errors or {},
                           sso=settings if settings.enabled else None,
                           passwords=settings.password_sign_in,
                           next=local_path(request.args.get("next"), "")), status


def start_session(person_id: str, target: str | None, via: str = "password") -> Response:
    """Start a new server-side session (a new id) and go where the person was heading (a
    local path only)."""
    session.clear()
    sessions.rotate(session)
    session["person_id"] = person_id
    session["via"] = via
    return redirect(local_path(target, url_for("home.index")))
