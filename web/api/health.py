"""``GET /api/v1/health``: store reachability, each read model's position and backlog, and any
projection stalled on an event (``app/health.py``). No token needed; 503 when degraded."""

from __future__ import annotations

from typing import Any

from flask import g

from app import health
from app.health import HealthSchema
from web.api import AreaBlueprint
from web.context import services

bp = AreaBlueprint("health", __name__, tag="health")


@bp.get("/health", public=True)
@bp.response(200, HealthSchema)
@bp.alt_response(503, schema=HealthSchema, description="Degraded: the store cannot be read or "
                 "a projection is stalled (named in `stalled`)")
def check() -> tuple[dict[str, Any], int]:
    """The service's health. Needs no token; the text of errors is shown only with one."""
    report = health.report(services(), with_errors=g.get("user") is not None)
    return report, 200 if report["ok"] else 503
