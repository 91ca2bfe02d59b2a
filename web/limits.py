"""Bounded input: the request size is checked before anything reads the body (the CSRF check,
the sign-in, the API guard), and integers in paths are held to what a database can store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge, UnprocessableEntity

from app.schemas import INT64

if TYPE_CHECKING:
    from flask import Flask


def refuse_large_bodies() -> None:
    """413 in the one error shape when the declared body is larger than ``MAX_CONTENT_LENGTH``
    (a body sent without a length is cut at the limit by Werkzeug, also as a 413)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(f"the request body is larger than the limit of {limit} "
                                    "bytes")


def refuse_huge_path_integers(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """``<int:…>`` in a route: a number beyond the 64-bit range is a 422, not an overflow."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and value > INT64[1]:
            raise UnprocessableEntity(f"{name} is out of range (at most {INT64[1]})")


def init_app(app: Flask, max_body_bytes: int) -> None:
    """Install the size limit (first of every check) and the bound on path integers."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default; a test config may set it
        app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_large_bodies)
    app.url_value_preprocessor(refuse_huge_path_integers)
