"""Sign in with email and password (session), or with a bearer token on the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from app.schemas import LoginSchema
from web.context import form_data, ledger

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.wrappers import Response

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app: Flask) -> None:
    """Load the signed-in person (session or bearer token) before every request."""
    app.before_request(load_user)


def load_user() -> None:
    """Set ``g.user`` from the bearer token (API) or the session (pages)."""
    g.user = None
    person_id = None
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/api/"):
        if header.lower().startswith("bearer "):
            person_id = ledger().authenticate_token(header[7:].strip())
    else:
        person_id = session.get("person_id")
    if person_id:
        try:
            person = ledger().get_person(person_id)
        except Exception:  # noqa: BLE001 - a stale session for a vanished store signs out
            session.clear()
            return
        g.user = person if person["active"] else None


@bp.route("/login", methods=("GET", "POST"))
def login() -> str | Response:
    """Show the sign-in form, or sign in."""
    errors: dict[str, list[str]] = {}
    form = form_data()
    if request.method == "POST":
        try:
            data = LoginSchema().load(form)
        except ValidationError as exc:
            errors = exc.messages  # type: ignore[assignment]
        else:
            person_id = ledger().authenticate_password(data["email"], data["password"])
            if person_id is None:
                errors = {"password": ["email or password is not right"]}
            else:
                session.clear()
                session["person_id"] = person_id
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/") and not target.startswith(
                    "//") else url_for("home.index"))
    return render_template("auth/login.html", form=form, errors=errors), (422 if errors else 200)


@bp.post("/logout")
def logout() -> Response:
    """Sign out."""
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
