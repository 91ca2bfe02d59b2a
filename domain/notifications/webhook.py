"""Webhook subscriptions: an admin registers a URL for some event names (``*`` for all).

The signing secret is never part of an event (the log is exported in compliance bundles):
the event keeps its SHA-256 fingerprint, and the secret itself is kept by the application in
a credential table.
"""

from __future__ import annotations

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

EVENT_NAMES = (
    "incident.opened", "incident.paged", "incident.escalated", "incident.acknowledged",
    "incident.mitigated", "incident.resolved", "alert.received",
    "action_item.assigned", "swap.requested", "swap.accepted",
)
"""Event names a webhook may subscribe to (``*``: every one)."""
ALL = "*"
FORMATS = ("json", "slack")
"""``json``: the signed Governance Ledger body; ``slack``: a Slack/Mattermost incoming-webhook
body (``{"text": ...}``), still signed."""


class Webhook(LedgerAggregate):
    """Where to POST deliveries, for which event names, in which format."""

    @event("Registered")
    def __init__(self, url: str, events: list[str], secret_sha256: str, format: str,
                 description: str) -> None:
        self.url = url
        self.events = list(events)
        self.secret_sha256 = secret_sha256
        self.format = format
        self.description = description
        self.active = True

    def wants(self, name: str) -> bool:
        """Whether deliveries of event ``name`` go to this webhook."""
        return self.active and (ALL in self.events or name in self.events)

    def remove(self) -> None:
        """Stop deliveries to this webhook."""
        if not self.active:
            raise WebhookRemoved("the webhook is already removed", webhook_id=str(self.id))
        self._removed()

    @event("Removed")
    def _removed(self) -> None:
        self.active = False


def check_event_names(names: list[str]) -> list[str]:
    """The subscribed names, de-duplicated; unknown names are refused (a schema checks first)."""
    unknown = sorted(set(names) - {ALL, *EVENT_NAMES})
    if unknown or not names:
        raise UnknownEventName(f"unknown event names: {', '.join(unknown) or '(none given)'}",
                               unknown=unknown)
    return list(dict.fromkeys(names))


class WebhookRemoved(DomainError):
    """Raised when removing a webhook twice."""

    code = "webhook_removed"


class UnknownEventName(DomainError):
    """Raised when subscribing to an event name the ledger does not send."""

    code = "unknown_event_name"
