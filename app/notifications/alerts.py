"""Inbound alerts: Alertmanager (webhook v4) and PagerDuty Events v2 payloads open, feed,
acknowledge and resolve incidents on the integration's rotation.

An alert stream is named by the Alertmanager ``fingerprint`` or the Events v2 ``dedup_key``.
A trigger on a stream with no open incident opens one (severity mapped, labels kept on the
incident's first ``AlertReceived``) and pages; a repeat while it is open adds an
``AlertReceived`` to its timeline; a resolve resolves it. Every alert is an ``AlertReceived``
event on its ``AlertSource``, saved atomically with the incident it touches, so two copies of a
first alert racing each other open one incident (the loser is retried and becomes a repeat).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

from app.conflicts import retried
from app.notifications.service import KEY_PREFIX, key_hash
from domain.errors import NotAuthenticated, NotFound
from domain.notifications.integration import AlertSource, Integration, map_severity
from domain.oncall.incident import CATEGORIES, Incident

if TYPE_CHECKING:
    from app.ledger import Ledger
    from app.oncall.service import OnCallService


class AlertService:
    """Receives alerts for integrations authenticated by their key."""

    def __init__(self, ledger: Ledger, oncall: OnCallService) -> None:
        self.ledger = ledger
        self.oncall = oncall

    def authenticate(self, key: str | None, kind: str) -> Integration:
        """The active integration of ``kind`` whose key this is (401 otherwise)."""
        refused = NotAuthenticated("the integration key is not valid", code="invalid_integration_key")
        if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
            raise refused
        key_id = key[len(KEY_PREFIX):].split("_", 1)[0]
        try:
            integration = self.ledger.load(Integration, str(uuid.UUID(hex=key_id)))
        except (ValueError, NotFound):
            raise refused from None
        if not hmac.compare_digest(integration.key_hash, key_hash(key)) or (
                not integration.active or integration.kind != kind):
            raise refused
        return integration

    def receive_alertmanager(self, key: str | None, payload: dict[str, Any]) -> dict[str, Any]:
        """Handle an Alertmanager webhook (v4): each alert by its fingerprint."""
        integration = self.authenticate(key, "alertmanager")
        results = []
        for alert in payload["alerts"]:
            labels = {**payload.get("commonLabels", {}), **alert["labels"]}
            annotations = {**payload.get("commonAnnotations", {}), **alert.get("annotations", {})}
            fingerprint = alert.get("fingerprint") or hashlib.sha256(
                json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
            summary = (annotations.get("summary") or annotations.get("description")
                       or labels.get("alertname") or "Alert from Alertmanager")
            action = "resolve" if alert["status"] == "resolved" else "trigger"
            results.append(self._receive(integration, fingerprint, action, summary,
                                         labels.get("severity"), labels))
        return {"alerts": results}

    def receive_events_v2(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Handle a PagerDuty Events API v2 event."""
        integration = self.authenticate(payload["routing_key"], "events_v2")
        details = payload.get("payload") or {}
        labels = {k: str(details[k]) for k in ("source", "component", "group", "class")
                  if details.get(k)}
        labels.update({str(k): _text(v) for k, v in (details.get("custom_details") or {}).items()})
        if details.get("severity"):
            labels["severity"] = details["severity"]
        dedup_key = payload.get("dedup_key") or uuid.uuid4().hex
        result = self._receive(integration, dedup_key, payload["event_action"],
                               details.get("summary") or f"{payload['event_action']} from "
                               f"{integration.name}", details.get("severity"), labels)
        return {"status": "success", "message": "Event processed", "dedup_key": dedup_key,
                "incident_id": result["incident_id"], "outcome": result["outcome"]}

    # -- one alert -------------------------------------------------------------------------------

    def _receive(self, integration: Integration, dedup_key: str, action: str, summary: str,
                 severity: str | None, labels: dict[str, Any]) -> dict[str, Any]:
        with self.ledger.as_system(reason=f"alert from integration {integration.name}"):
            return retried(self._apply)(integration, dedup_key[:255], action, summary[:500],
                                        map_severity(severity), _labels(labels))

    def _apply(self, integration: Integration, dedup_key: str, action: str, summary: str,
               severity: str, labels: dict[str, str]) -> dict[str, Any]:
        source = self._source(integration, dedup_key)
        incident = self._open_incident(source)
        source_name = f"{integration.kind}:{integration.name}"
        outcome = "recorded"
        if action == "trigger" and incident is None:
            category = labels.get("category") if labels.get("category") in CATEGORIES else "other"
            incident = self.oncall.prepare_incident(integration.rotation_id, title=summary,
                                                    severity=severity, category=category)
            outcome = "opened"
        elif incident is not None and action == "trigger":
            outcome = "added_to_timeline"
        elif incident is not None and action == "acknowledge" and incident.status == "paged":
            incident.acknowledge(None)
            outcome = "acknowledged"
        elif incident is not None and action == "resolve":
            outcome = "resolved"
        if incident is not None:
            incident.record_alert(source_name, action, summary, dedup_key, labels)
            if outcome == "resolved":
                incident.resolve(f"Resolved by {source_name}: {summary}")
        source.receive(action, summary, severity, labels,
                       str(incident.id) if incident is not None else None,
                       opened=outcome == "opened")
        self.ledger.save(*([source, incident] if incident is not None else [source]))
        return {"dedup_key": dedup_key, "outcome": outcome,
                "incident_id": str(incident.id) if incident is not None else None}

    def _source(self, integration: Integration, dedup_key: str) -> AlertSource:
        try:
            return self.ledger.load(AlertSource, AlertSource.create_id(str(integration.id),
                                                                        dedup_key))
        except NotFound:
            return AlertSource(integration_id=str(integration.id), dedup_key=dedup_key)

    def _open_incident(self, source: AlertSource) -> Incident | None:
        if source.incident_id is None:
            return None
        incident = self.ledger.load(Incident, source.incident_id)
        return None if incident.status == "resolved" else incident


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _labels(labels: dict[str, Any]) -> dict[str, str]:
    """At most 64 labels, names up to 100 and values up to 500 characters."""
    return {str(k)[:100]: _text(v)[:500] for k, v in list(labels.items())[:64]}
