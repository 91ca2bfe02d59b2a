"""JSON API of notifications: /api/v1/webhooks, /integrations, notification preferences and
"what was I sent" (bearer token, like every area)."""

from __future__ import annotations

from typing import Any

from flask import g

from app.notifications import queries as q
from app.notifications import schemas as s
from app.oncall.queries import list_rotations
from domain.errors import PermissionDenied
from web.api import AreaBlueprint, listing
from web.context import acting, read_model, services

bp = AreaBlueprint("notifications", __name__, tag="notifications")

WebhookListSchema = listing(s.WebhookSchema, "WebhookList")
DeliveryListSchema = listing(s.DeliverySchema, "DeliveryList")
IntegrationListSchema = listing(s.IntegrationSchema, "IntegrationList")


def _model() -> Any:
    read_model()
    return services().notifications.read_model()


def _admin_or_auditor() -> None:
    """Webhook targets and their deliveries are for admins and auditors only (a URL may be a
    credential itself, like a Slack incoming-webhook URL)."""
    if not {"admin", "auditor"} & set(g.user["roles"]):
        raise PermissionDenied("only admins and auditors see webhooks", code="role_required",
                               required=["admin", "auditor"])


@bp.post("/webhooks")
@bp.arguments(s.WebhookInputSchema)
@bp.response(201, s.WebhookSchema)
@bp.errors(409)
def create_webhook(data: dict[str, Any]) -> dict[str, Any]:
    """Register a webhook (admins). Private and loopback targets are refused (422 on ``url``)
    unless the service runs with ``GOVLEDGER_WEBHOOK_ALLOW_PRIVATE=1``."""
    with acting():
        result = services().notifications.register_webhook(**data)
    return q.get_webhook(_model(), result["id"])


@bp.get("/webhooks")
@bp.response(200, WebhookListSchema)
@bp.errors(403)
def list_webhooks() -> dict[str, Any]:
    """List webhooks."""
    _admin_or_auditor()
    return {"items": q.list_webhooks(_model())}


@bp.get("/webhooks/<webhook_id>")
@bp.response(200, s.WebhookSchema)
@bp.errors(403, 404)
def get_webhook(webhook_id: str) -> dict[str, Any]:
    """One webhook."""
    _admin_or_auditor()
    return q.get_webhook(_model(), webhook_id)


@bp.delete("/webhooks/<webhook_id>")
@bp.response(200, s.WebhookSchema)
@bp.errors(404, 409)
def remove_webhook(webhook_id: str) -> dict[str, Any]:
    """Stop deliveries to a webhook (admins)."""
    with acting():
        services().notifications.remove_webhook(webhook_id)
    return q.get_webhook(_model(), webhook_id)


@bp.get("/webhooks/<webhook_id>/deliveries")
@bp.arguments(s.DeliveryQueryArgsSchema, location="query")
@bp.response(200, DeliveryListSchema)
@bp.errors(403, 404, 422)
def webhook_deliveries(args: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """A webhook's deliveries, newest first, each with its attempts."""
    _admin_or_auditor()
    engine = _model()
    q.get_webhook(engine, webhook_id)
    return {"items": q.webhook_deliveries(engine, webhook_id, args["limit"])}


@bp.post("/integrations")
@bp.arguments(s.IntegrationInputSchema)
@bp.response(201, s.IntegrationSchema)
@bp.errors(404)
def create_integration(data: dict[str, Any]) -> dict[str, Any]:
    """Create an alert integration for a rotation (admins); the answer's ``key`` is shown
    once (only its hash is kept): use it as ``?key=`` (Alertmanager) or ``routing_key``."""
    with acting():
        result = services().notifications.create_integration(
            name=data["name"], rotation_id=str(data["rotation_id"]), kind=data["kind"])
    return {**q.get_integration(_model(), result["id"]), "key": result["key"]}


@bp.get("/integrations")
@bp.response(200, IntegrationListSchema)
def list_integrations() -> dict[str, Any]:
    """List alert integrations (never their keys)."""
    return {"items": q.list_integrations(_model())}


@bp.get("/me/notifications")
@bp.arguments(s.DeliveryQueryArgsSchema, location="query")
@bp.response(200, DeliveryListSchema)
@bp.errors(422)
def my_notifications(args: dict[str, Any]) -> dict[str, Any]:
    """What the ledger sent me, newest first (pages first of all)."""
    return {"items": q.person_deliveries(_model(), g.user["id"], args["limit"])}


@bp.get("/people/<person_id>/notification-preferences")
@bp.response(200, s.PreferencesSchema)
@bp.errors(404)
def get_preferences(person_id: str) -> dict[str, Any]:
    """A person's notification preferences."""
    return services().notifications.get_preferences(_person(person_id))


@bp.put("/people/<person_id>/notification-preferences")
@bp.arguments(s.PreferencesInputSchema)
@bp.response(200, s.PreferencesSchema)
@bp.errors(404, 409)
def set_preferences(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    """Choose which kinds of email to mute (yourself, or anyone as an admin); 409
    ``paging_required`` when someone on a rotation tries to mute paging."""
    person_id = _person(person_id)
    on_call = any(person_id in r["roster"] for r in list_rotations(read_model()))
    with acting():
        return services().notifications.set_preferences(person_id, data["muted"], on_call)


@bp.post("/people/<person_id>/calendar-feed")
@bp.response(201, s.CalendarFeedSchema)
@bp.errors(404)
def issue_calendar_feed(person_id: str) -> dict[str, Any]:
    """Issue a secret iCalendar feed URL calendar apps can subscribe to without signing in
    (yourself, or anyone as an admin); it replaces the earlier one, and is shown once."""
    person_id = _person(person_id)
    with acting():
        feed = services().notifications.issue_calendar_feed(person_id)
    return {**feed, "url": services().settings.public_url.rstrip("/") + feed["path"]}


@bp.delete("/people/<person_id>/calendar-feed")
@bp.response(200, s.RevokedSchema)
@bp.errors(404, 409)
def revoke_calendar_feed(person_id: str) -> dict[str, Any]:
    """Revoke the calendar feed URL: subscriptions to it stop (404 from then on)."""
    person_id = _person(person_id)
    with acting():
        return services().notifications.revoke_calendar_feed(person_id)


def _person(person_id: str) -> str:
    return str(services().people.get_person(person_id)["id"])
