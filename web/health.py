"""The health page and the admins' banner: stalled projections (with the event they stopped at
and the error), the store, each read model's backlog (``app/health.py``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, render_template

from app import health
from domain.errors import PermissionDenied
from web.context import login_required, services

bp = Blueprint("health", __name__)


def is_admin() -> bool:
    """Whether the signed-in person is an admin."""
    user = g.get("user")
    return bool(user) and "admin" in user["roles"]


@bp.app_context_processor
def stalled_banner() -> dict[str, Any]:
    """``stalled_projections`` for the banner on every page an admin sees."""
    if not is_admin():
        return {"stalled_projections": []}
    try:
        return {"stalled_projections": health.stalled(services())}
    except Exception:  # noqa: BLE001 - a page is still shown; /health says what is wrong
        current_app.logger.exception("reading projection_failures failed")
        return {"stalled_projections": []}


@bp.get("/health")
@login_required
def page() -> tuple[str, int]:
    """The health report, for admins (503 when degraded, like the API)."""
    if not is_admin():
        raise PermissionDenied("the health page is for admins", code="role_required",
                               required=["admin"])
    report = health.report(services(), with_errors=True)
    return render_template("health.html", report=report), 200 if report["ok"] else 503
