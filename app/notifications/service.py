"""Notification use cases: webhooks (admins), alert integrations (admins), people's
preferences; and the notification read model, followed by its own projection runner."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from app.notifications.channels import TargetRefused, check_target
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.notifications.calendar_feed import CalendarFeed
from domain.notifications.integration import Integration
from domain.notifications.preferences import Preferences
from domain.notifications.webhook import Webhook, check_event_names
from domain.oncall.rotation import Rotation
from domain.base import current_context
from projections.notifications.projection import NotificationProjection
from projections.notifications.tables import cursor, metadata, webhook_secrets
from projections.runner import ProjectionRunner

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.config import Settings
    from app.ledger import Ledger

CURSOR = "notifications"
KEY_PREFIX = "gli_"
FEED_PREFIX = "glc_"


def key_hash(key: str) -> str:
    """The stored form of an integration key."""
    return hashlib.sha256(key.encode()).hexdigest()


class NotificationService:
    """Webhooks, integrations and preferences; the deliveries read model."""

    def __init__(self, ledger: Ledger, engine: Engine, settings: Settings) -> None:
        self.ledger = ledger
        self.engine = engine
        self.settings = settings
        self.runner = ProjectionRunner(ledger, engine, projections=[NotificationProjection()])
        metadata.create_all(engine)
        self.runner.create_tables()
        self._start_cursor()

    def _start_cursor(self) -> None:
        """The worker starts at the log's head the first time (an existing store's past
        events never notify anyone), then keeps its position across restarts."""
        with self.engine.begin() as conn:
            if conn.scalar(select(cursor.c.position).where(cursor.c.name == CURSOR)) is None:
                head = self.ledger.recorder.max_notification_id() or 0
                conn.execute(insert(cursor).values(name=CURSOR, position=head))

    def pass_history(self, since: int, until: int) -> bool:
        """Move the worker past the events after ``since`` up to ``until`` when it stood at
        ``since`` (it had derived everything before them): they are history that notifies
        nobody, as an existing store's past events. Returns whether it moved."""
        with self.engine.begin() as conn:
            return conn.execute(update(cursor).where(
                cursor.c.name == CURSOR, cursor.c.position == since)
                .values(position=until)).rowcount == 1

    def read_model(self) -> Engine:
        """The notification read model, caught up with the log."""
        self.runner.catch_up()
        return self.engine

    # -- webhooks --------------------------------------------------------------------------------

    def register_webhook(self, url: str, events: list[str], secret: str, format: str = "json",
                         description: str = "") -> dict[str, Any]:
        """Register a webhook (admins); private and loopback targets are refused unless allowed."""
        self.ledger.writer("admin")
        try:
            check_target(url, self.settings.webhook_allow_private)
        except TargetRefused as exc:
            raise InvalidInput.field("url", str(exc)) from None
        webhook = Webhook(url=url, events=check_event_names(events),
                          secret_sha256=hashlib.sha256(secret.encode()).hexdigest(),
                          format=format, description=description)
        with self.engine.begin() as conn:
            conn.execute(insert(webhook_secrets).values(webhook_id=str(webhook.id),
                                                        secret=secret))
        self.ledger.save(webhook)
        return {"id": str(webhook.id)}

    def remove_webhook(self, webhook_id: str) -> dict[str, Any]:
        """Stop deliveries to a webhook (admins)."""
        self.ledger.writer("admin")
        webhook = self.ledger.load(Webhook, webhook_id)
        webhook.remove()
        self.ledger.save(webhook)
        return {"id": str(webhook.id)}

    def webhook_secret(self, webhook_id: str) -> str:
        """The signing secret of a webhook (the worker's use only)."""
        with self.engine.connect() as conn:
            secret = conn.scalar(select(webhook_secrets.c.secret)
                                 .where(webhook_secrets.c.webhook_id == webhook_id))
        if secret is None:
            raise NotFound(f"no secret for webhook {webhook_id}", id=webhook_id)
        return secret

    # -- integrations ----------------------------------------------------------------------------

    def create_integration(self, name: str, rotation_id: str, kind: str) -> dict[str, Any]:
        """Create an alert integration for a rotation (admins); the key is returned only here."""
        self.ledger.writer("admin")
        rotation = self.ledger.load(Rotation, rotation_id)
        key_id = uuid.uuid4().hex
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
        integration = Integration(key_id=key_id, name=name, rotation_id=str(rotation.id),
                                  kind=kind, key_hash=key_hash(key))
        self.ledger.save(integration)
        return {"id": str(integration.id), "name": name, "rotation_id": str(rotation.id),
                "kind": kind, "key": key}

    # -- calendar feeds --------------------------------------------------------------------------

    def issue_calendar_feed(self, person_id: str) -> dict[str, Any]:
        """Issue a person's secret calendar feed URL (themselves, or an admin); any earlier
        one stops working. The token is in this answer only."""
        self._self_or_admin(person_id, "calendar feeds")
        feed = self._feed(person_id, create=True)
        token = f"{FEED_PREFIX}{uuid.UUID(str(person_id)).hex}_{secrets.token_urlsafe(24)}"
        feed.issue(key_hash(token))
        self.ledger.save(feed)
        return {"person_id": str(person_id), "token": token, "path": f"/calendar/{token}.ics"}

    def revoke_calendar_feed(self, person_id: str) -> dict[str, Any]:
        """End a person's calendar feed URL (themselves, or an admin)."""
        self._self_or_admin(person_id, "calendar feeds")
        feed = self._feed(person_id)
        feed.revoke()
        self.ledger.save(feed)
        return {"person_id": str(person_id), "revoked": True}

    def calendar_feed_person(self, token: str) -> str | None:
        """The person whose current feed token this is (None for any other string)."""
        if not token.startswith(FEED_PREFIX) or len(token) > 200:
            return None
        try:
            person_id = str(uuid.UUID(hex=token[len(FEED_PREFIX):].split("_", 1)[0]))
            feed = self._feed(person_id)
        except (ValueError, NotFound):
            return None
        if feed.token_hash is None or not hmac.compare_digest(feed.token_hash, key_hash(token)):
            return None
        return person_id

    def _feed(self, person_id: str, create: bool = False) -> CalendarFeed:
        try:
            return self.ledger.load(CalendarFeed, CalendarFeed.create_id(str(person_id)))
        except NotFound:
            if not create:
                raise NotFound("no calendar feed for this person", id=str(person_id)) from None
            return CalendarFeed(person_id=str(person_id))

    def _self_or_admin(self, person_id: str, what: str) -> None:
        actor = self.ledger.writer()
        if actor is not None and str(actor.id) != str(person_id) and "admin" not in actor.roles:
            raise PermissionDenied(f"only admins change someone else's {what}",
                                   code="role_required", required=["admin"])

    # -- preferences -----------------------------------------------------------------------------

    def set_preferences(self, person_id: str, muted: list[str], on_call: bool) -> dict[str, Any]:
        """Choose which kinds of email a person does not want (themselves, or an admin)."""
        self._self_or_admin(person_id, "preferences")
        preferences = self.preferences_of(person_id, create=True)
        preferences.mute(muted, on_call=on_call)
        self.ledger.save(preferences)
        return self.get_preferences(person_id)

    def preferences_of(self, person_id: str, create: bool = False) -> Preferences:
        """The person's preferences aggregate (a new one when ``create`` and none yet)."""
        try:
            return self.ledger.load(Preferences, Preferences.create_id(str(person_id)))
        except NotFound:
            if not create:
                raise
            return Preferences(person_id=str(person_id))

    def get_preferences(self, person_id: str) -> dict[str, Any]:
        """A person's muted kinds (none when never set)."""
        try:
            muted = list(self.preferences_of(person_id).muted)
        except NotFound:
            muted = []
        return {"person_id": str(person_id), "muted": muted}

    @staticmethod
    def acting_person() -> str | None:
        """The id of the person the command runs as."""
        return current_context().actor_id
