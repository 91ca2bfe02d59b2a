"""Sign in with an OpenID Connect provider: authorization code with PKCE, through Authlib.

``/auth/oidc/login`` sends the browser to the provider with a fresh ``state``, ``nonce`` and PKCE
``code_verifier`` (kept in the server-side session); ``/auth/oidc/callback`` checks the state,
exchanges the code (with the verifier and the client secret), checks the ID token's signature,
issuer, audience and nonce, then signs the person in with the same server-side session as a
password sign-in (a new session id). Settings: ``app/people/sso.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, current_app, request, session, url_for

from app.people.sso import oidc_settings
from domain.errors import LedgerError
from web.context import services
from web.people.signin import login_page, sso, start_session
from web.redirects import local_path

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.wrappers import Response

try:  # Authlib 1.6+ checks ID tokens with joserfc
    from joserfc.errors import JoseError
except ImportError:  # pragma: no cover - older Authlib
    from authlib.jose.errors import JoseError  # type: ignore[assignment]

TOKEN_ERRORS = (AuthlibBaseError, JoseError)

bp = Blueprint("oidc", __name__, url_prefix="/auth/oidc")
NEXT_KEY = "oidc_next"


def init_app(app: Flask) -> None:
    """Read the SSO settings (a bad one stops start-up) and register the provider's client."""
    settings = oidc_settings(app.config)
    app.extensions["govledger_oidc"] = settings
    if not settings.enabled:
        return
    oauth = OAuth(app)
    oauth.register(
        "oidc", client_id=settings.client_id, client_secret=settings.client_secret or None,
        server_metadata_url=settings.metadata_url,
        client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256",
                       "timeout": 10})
    app.extensions["govledger_oauth"] = oauth


def _client() -> Any:
    return current_app.extensions["govledger_oauth"].oidc


def _refuse(message: str, status: int) -> tuple[str, int]:
    return login_page(errors={"sso": [message]}, status=status)


@bp.get("/login")
def login() -> Response | tuple[str, int]:
    """Go to the identity provider to sign in."""
    if not sso().enabled:
        return _refuse("single sign-on is not configured here", 404)
    session[NEXT_KEY] = local_path(request.args.get("next"), url_for("home.index"))
    public = current_app.extensions["govledger"].settings.public_url.rstrip("/")
    redirect_uri = (public + url_for("oidc.callback") if public
                    else url_for("oidc.callback", _external=True))
    try:
        return _client().authorize_redirect(redirect_uri)  # type: ignore[no-any-return]
    except (requests.RequestException, AuthlibBaseError, ValueError):
        current_app.logger.exception("the identity provider cannot be reached")
        return _refuse(f"{sso().name} cannot be reached just now; try again later", 502)


@bp.get("/callback")
def callback() -> Response | tuple[str, int]:
    """Back from the identity provider: check everything, then sign the person in."""
    settings = sso()
    if not settings.enabled:
        return _refuse("single sign-on is not configured here", 404)
    if request.args.get("error"):
        return _refuse(f"{settings.name} did not sign you in "
                       f"({request.args.get('error')[:100]}); try again", 400)
    try:
        token = _client().authorize_access_token()
    except TOKEN_ERRORS as exc:
        return _refuse(_explain(exc), 400)
    except requests.RequestException:
        current_app.logger.exception("the identity provider cannot be reached")
        return _refuse(f"{settings.name} cannot be reached just now; try again later", 502)
    claims = dict(token.get("userinfo") or {})
    if "email" not in claims or settings.groups_claim not in claims:
        try:
            claims = {**dict(_client().userinfo(token=token)), **claims}
        except (requests.RequestException, AuthlibBaseError):
            current_app.logger.warning("userinfo could not be read; using the ID token only")
    target = session.pop(NEXT_KEY, None) or url_for("home.index")
    try:
        person_id = services().people.sign_in_with_identity(
            issuer=settings.issuer, subject=str(claims.get("sub", "")),
            email=claims.get("email"),
            email_verified=claims.get("email_verified") in (True, "true"),
            name=claims.get("name"), role=settings.role_for(claims.get(settings.groups_claim)),
            default_role=settings.default_role, function=settings.function)
    except LedgerError as exc:
        return _refuse(str(exc) if exc.code == "email_not_verified"
                       else "this account cannot sign in here", 403)
    return start_session(person_id, target, via="oidc")


def _explain(exc: Exception) -> str:
    """One line naming what did not match (the state, the nonce, the token)."""
    error = getattr(exc, "error", "") or type(exc).__name__
    if error == "mismatching_state":
        return ("the sign-in state does not match this browser's (an old or forged link); "
                "start the sign-in again")
    if "nonce" in str(exc):
        return ("the provider's ID token was not issued for this sign-in (nonce mismatch); "
                "start the sign-in again")
    return f"single sign-on failed ({error}); start the sign-in again"
