"""The service's health: is the store reachable, how far behind the log is each read model, and
has any projection stalled on an event it cannot hold (``projection_failures``)?

Served by ``GET /api/v1/health`` (no token needed; the errors' text only to signed-in callers),
shown to admins as a banner and on the ``/health`` page. ``ok`` is false — the API answers 503 —
when the store cannot be read, any projection is stalled, or sealing is stopped at an event that
does not authenticate (``sealing.blocked_at``: a row the service did not write, as the sealer
last found it — the background loop seals every few seconds, so a probe does no sealing work).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import fields
from sqlalchemy import select

from app.schemas import Integer, Schema, String
from projections.tables import failures, tracking

if TYPE_CHECKING:
    from app.bootstrap import Services

PENDING_CAP = 1000
"""Pending events are counted up to this many (``pending_more`` says there are more)."""


def stalled(services: Services) -> list[dict[str, Any]]:
    """Each stalled projection: name, position (the event it stopped at), topic, error, when."""
    with services.engine.connect() as conn:
        rows = conn.execute(select(failures).order_by(failures.c.name)).all()
    return [{"name": r.name, "position": r.position, "topic": r.topic, "error": r.error,
             "failed_at": r.failed_at} for r in rows]


def report(services: Services, *, with_errors: bool = False) -> dict[str, Any]:
    """The health report (see the module's doc); error texts only ``with_errors``."""
    recorder = services.ledger.recorder
    try:
        head = int(recorder.max_notification_id() or 0)
        with services.engine.connect() as conn:
            positions = {r.name: int(r.position or 0) for r in conn.execute(select(tracking))}
        stops = {s["name"]: s for s in stalled(services)}
    except Exception as exc:  # noqa: BLE001 - unreachable or broken: that is the answer
        return {"ok": False, "store": {"reachable": False, "head": None,
                                       "error": _text(exc) if with_errors else None},
                "projections": [], "stalled": [], "sealing": {"blocked_at": None,
                                                              "reason": None}}
    rows = []
    for projection in services.projections.projections:
        position = positions.get(projection.name, 0)
        pending = len(recorder.select_notifications(start=position + 1, limit=PENDING_CAP,
                                                    topics=projection.topics))
        stop = stops.get(projection.name)
        rows.append({
            "name": projection.name, "position": position, "pending": pending,
            "pending_more": pending >= PENDING_CAP,
            "stalled": None if stop is None else {
                "position": stop["position"], "topic": stop["topic"],
                "error": stop["error"] if with_errors else None,
                "failed_at": stop["failed_at"]}})
    blocked = services.audit.blocked
    sealing = {"blocked_at": blocked.position if blocked else None,
               "reason": blocked.detail if blocked and with_errors else None}
    return {"ok": not stops and blocked is None,
            "store": {"reachable": True, "head": head, "error": None},
            "projections": rows, "stalled": sorted(stops), "sealing": sealing}


def _text(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


class StoreSchema(Schema):
    """Whether the event store answers, and its log's head."""

    reachable = fields.Boolean()
    head = Integer(allow_none=True)
    error = String(allow_none=True)


class StallSchema(Schema):
    """Where a projection stopped, and why (``error`` only for signed-in callers)."""

    position = Integer()
    topic = String()
    error = String(allow_none=True)
    failed_at = fields.DateTime()


class ProjectionHealthSchema(Schema):
    """One read model: the last event applied, events pending (up to 1,000), any stall."""

    name = String()
    position = Integer()
    pending = Integer()
    pending_more = fields.Boolean()
    stalled = fields.Nested(StallSchema, allow_none=True)


class SealingSchema(Schema):
    """Whether sealing follows the log: the position it stopped at, and why (signed-in only)."""

    blocked_at = Integer(allow_none=True)
    reason = String(allow_none=True)


class HealthSchema(Schema):
    """The health report: ``ok`` false when degraded."""

    ok = fields.Boolean()
    store = fields.Nested(StoreSchema)
    projections = fields.List(fields.Nested(ProjectionHealthSchema))
    stalled = fields.List(String())
    sealing = fields.Nested(SealingSchema)
