"""One error handler for the whole app: JSON ``{"error": {...}}`` for the API, a page otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import g, has_request_context, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from domain.errors import LedgerError

if TYPE_CHECKING:
    from flask import Flask, Response

HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "invalid_input", 429: "too_many_requests",
              507: "insufficient_storage"}
DISK_FULL = ("database or disk is full", "no space left on device", "could not extend file",
             "disk full")
"""How SQLite, the OS and PostgreSQL say the store's disk is full."""


class ApiError(Exception):
    """Raised by views for a specific HTTP error with a stable code."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def describe(exc: Exception) -> tuple[int, str, str, dict[str, Any]]:
    """Map any exception to (status, code, message, details)."""
    if isinstance(exc, ApiError):
        return exc.status, exc.code, exc.message, exc.details
    if isinstance(exc, ValidationError):
        return 422, "invalid_input", "the input is not valid; see details for each field", (
            exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
    if isinstance(exc, LedgerError):
        return exc.status, exc.code, exc.message, exc.details
    if isinstance(exc, CSRFError):
        return 400, "csrf_failed", "the form expired or was not sent by this site; reload it", {}
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return status, HTTP_CODES.get(status, "http_error"), exc.description or exc.name, {}
    if disk_full(exc):
        if has_request_context() and g.get("recorded"):
            return 507, "insufficient_storage", (
                "the command was recorded, but the disk is full so the views could not be "
                "brought up to date; send it again with the same Idempotency-Key once there is "
                "room to get its answer (nothing is recorded twice)"), {"recorded": True}
        return 507, "insufficient_storage", ("the store's disk is full: nothing was recorded; "
                                             "try again once there is room"), {}
    return 500, "internal_error", "something went wrong on our side; it has been logged", {}


def disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the disk is full."""
    seen = 0
    while exc is not None and seen < 10:
        if any(words in str(exc).lower() for words in DISK_FULL):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def wants_json() -> bool:
    """Whether the client should get a JSON error (API paths)."""
    return request.path.startswith("/api/")


def handle(exc: Exception) -> Response | tuple[Any, int, dict[str, str]]:
    """Render any error in the one documented shape."""
    status, code, message, details = describe(exc)
    if status >= 500:
        from flask import current_app

        current_app.logger.exception("unhandled error", exc_info=exc)
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if isinstance(retry, int) else {}
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, "details": details}}), \
            status, headers
    if status == 401:
        return redirect(url_for("auth.login", next=request.full_path))
    return render_template("error.html", status=status, code=code, message=message,
                           details=details), status, headers


def init_app(app: Flask) -> None:
    """Register the handler for every exception."""
    app.register_error_handler(Exception, handle)
