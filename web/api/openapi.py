"""The OpenAPI 3 document of the JSON API, built by flask-smorest from the views' decorators, and
its human-readable page. Both are public: this blueprint is not nested in the guarded parent."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template

from web.api import PREFIX

bp = Blueprint("openapi", __name__, url_prefix=PREFIX)


def document() -> dict[str, Any]:
    """The app's OpenAPI document."""
    return current_app.extensions["govledger_api"].document()


@bp.get("/openapi.json")
def openapi_json() -> Any:
    """Serve the OpenAPI document."""
    return jsonify(document())


@bp.get("/docs")
def docs() -> str:
    """Human-readable API reference, rendered from the OpenAPI document."""
    return render_template("api_docs.html", spec=document())
