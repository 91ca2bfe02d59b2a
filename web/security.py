"""Security headers on every response, from flask-talisman: a strict Content Security Policy (no
inline script or style: scripts and styles are static files), no framing, ``nosniff``, a
Referrer-Policy, HSTS only when served over HTTPS, ``Cache-Control: no-store`` on responses to a
signed-in person, and Markdown and CSV downloads sent as attachments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import g
from flask_talisman import Talisman

if TYPE_CHECKING:
    from flask import Flask, Response

    from app.config import Settings

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
DOWNLOADS = ("text/markdown", "text/csv")


def init_app(app: Flask, settings: Settings) -> None:
    """Send the headers on every response. ``GOVLEDGER_HTTPS`` and ``GOVLEDGER_COOKIE_SECURE``
    in the app config override the settings: HSTS is sent when HTTPS (on requests that arrived
    over TLS, or through a proxy saying ``X-Forwarded-Proto: https``)."""
    https = bool(app.config.get("GOVLEDGER_HTTPS", settings.https))
    secure = bool(app.config.get("GOVLEDGER_COOKIE_SECURE", settings.secure_cookies))
    Talisman(app, force_https=False, strict_transport_security=https,
             strict_transport_security_preload=False, content_security_policy=CSP,
             frame_options="DENY", referrer_policy="strict-origin-when-cross-origin",
             session_cookie_secure=secure, session_cookie_http_only=True,
             force_file_save=False, x_content_type_options=True)
    app.after_request(no_store_when_signed_in)
    app.after_request(downloads_as_attachments)


def no_store_when_signed_in(response: Response) -> Response:
    """Nothing shown to a signed-in person is kept by browsers or proxies."""
    if g.get("user") is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def downloads_as_attachments(response: Response) -> Response:
    """Markdown and CSV are saved, never rendered by the browser."""
    if response.mimetype in DOWNLOADS:
        disposition = response.headers.get("Content-Disposition", "")
        if not disposition.startswith("attachment"):
            rest = disposition.partition(";")[2].strip()
            response.headers["Content-Disposition"] = "attachment" + (f"; {rest}" if rest else "")
    return response
