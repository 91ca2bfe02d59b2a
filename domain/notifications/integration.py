"""Inbound alert integrations: a monitoring system posts alerts for one rotation with a key.

The key is shown once; the integration keeps only its SHA-256 (``key_hash``, redacted in
history). An :class:`AlertSource` (id derived from the integration and the alert's
fingerprint or dedup key) tracks which incident an alert stream feeds, so a repeat while the
incident is open adds to its timeline, and two copies of the same first alert racing each
other open one incident (optimistic concurrency on the source).
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

KINDS = ("alertmanager", "events_v2")
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITY_MAP = {"critical": "P0", "page": "P0", "p0": "P0", "error": "P1", "high": "P1",
                "major": "P1", "p1": "P1", "warning": "P2", "info": "P2", "low": "P2",
                "minor": "P2", "p2": "P2"}
"""Alert severities (Alertmanager's ``severity`` label, Events v2's ``payload.severity``) →
incident severity; anything else is P2."""


def map_severity(value: str | None) -> str:
    """The incident severity of an alert's severity."""
    return SEVERITY_MAP.get((value or "").strip().lower(), "P2")


class Integration(LedgerAggregate):
    """A monitoring system allowed to open incidents on one rotation."""

    @staticmethod
    def create_id(key_id: str) -> UUID:
        """The id is the one the key names (``gli_<id>_<secret>``), so a key finds its
        integration without a lookup table."""
        return UUID(key_id)

    @event("Created")
    def __init__(self, key_id: str, name: str, rotation_id: str, kind: str,
                 key_hash: str) -> None:
        self.name = name
        self.rotation_id = rotation_id
        self.kind = kind
        self.key_hash = key_hash
        self.active = True


class AlertSource(LedgerAggregate):
    """One alert stream (fingerprint or dedup key) of one integration; every alert received
    on it is an event, naming the incident it opened or fed."""

    @staticmethod
    def create_id(integration_id: str, dedup_key: str) -> UUID:
        """Derive the id from the integration and the dedup key."""
        return alert_source_id(integration_id, dedup_key)

    @event("Started")
    def __init__(self, integration_id: str, dedup_key: str) -> None:
        self.integration_id = integration_id
        self.dedup_key = dedup_key
        self.incident_id: str | None = None

    def receive(self, action: str, summary: str, severity: str, labels: dict[str, Any],
                incident_id: str | None, opened: bool) -> None:
        """Record an alert; ``opened`` when it opened ``incident_id``."""
        if action not in ACTIONS:
            raise UnknownAlertAction(f"unknown alert action {action!r}", action=action)
        self._received(integration_id=self.integration_id, action=action,
                       summary=summary[:500], severity=severity, labels=dict(labels),
                       incident_id=incident_id, opened=opened)

    @event("AlertReceived")
    def _received(self, integration_id: str, action: str, summary: str, severity: str,
                  labels: dict[str, Any], incident_id: str | None, opened: bool) -> None:
        if incident_id is not None:
            self.incident_id = incident_id


def alert_source_id(integration_id: str, dedup_key: str) -> UUID:
    """The id of an integration's alert stream ``dedup_key``."""
    return uuid5(NAMESPACE_URL, f"/govledger/alert/{integration_id}/{dedup_key}")


class UnknownAlertAction(DomainError):
    """Raised when an alert's action is not trigger, acknowledge or resolve."""

    code = "unknown_alert_action"
