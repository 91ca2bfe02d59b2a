"""Inbound alerts: the endpoints monitoring systems post to. They sit outside the bearer-token
guard of /api/v1 (monitors hold an integration key, not a person's token): Alertmanager sends
the key as ``?key=``, Events v2 as ``routing_key`` in the body. A bad key is 401, a malformed
payload 422, both in the one error shape."""

from __future__ import annotations

from typing import Any

from app.notifications import schemas as s
from flask import request

from web.api import PREFIX, AreaBlueprint
from web.context import services

bp = AreaBlueprint("alerts_inbound", __name__, tag="notifications",
                   url_prefix=f"{PREFIX}/integrations")

NO_BEARER: dict[str, Any] = {"security": []}
"""Events v2 carries its key in the body (``routing_key``), which OpenAPI cannot name."""
INTEGRATION_KEY: dict[str, Any] = {"security": [{"integrationKey": []}, {"bearer": []}]}
"""Alertmanager sends the integration key as ``?key=`` or as a bearer token."""


@bp.post("/alertmanager")
@bp.doc(**INTEGRATION_KEY)
@bp.arguments(s.AlertmanagerQueryArgsSchema, location="query")
@bp.arguments(s.AlertmanagerSchema)
@bp.response(200, s.AlertmanagerResultSchema)
@bp.errors(422)
def alertmanager(args: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Prometheus Alertmanager webhook (version 4): a firing alert opens an incident on the
    integration's rotation and pages; the same fingerprint while it is open adds to its
    timeline; a resolved alert resolves it."""
    key = args["key"] or _bearer()
    result = services().alerts.receive_alertmanager(key, payload)
    services().projections.catch_up()
    return result


@bp.post("/events-v2")
@bp.doc(**NO_BEARER)
@bp.arguments(s.PagerDutyEventSchema)
@bp.response(202, s.PagerDutyResultSchema)
@bp.errors(422)
def events_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """PagerDuty Events API v2: ``trigger`` opens (or, with the same ``dedup_key`` while open,
    adds to) an incident, ``acknowledge`` acknowledges it, ``resolve`` resolves it."""
    result = services().alerts.receive_events_v2(payload)
    services().projections.catch_up()
    return result


def _bearer() -> str | None:
    """The key sent as ``Authorization: Bearer <key>`` (Alertmanager's ``http_config``)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
