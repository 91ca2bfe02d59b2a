"""Incidents: opened → paged → acknowledged → (escalated)* → mitigated → resolved.

The escalation path is L1 primary → L2 secondary → L3 engineering lead → executive. Triggers
(the policy copied onto the incident when it opened):

- ``not_acknowledged``: not acknowledged within ``ack_minutes`` (15) of opening → L2;
- ``not_resolved``: not resolved within ``resolve_minutes`` (30) of opening → L2;
- ``major_outage``: P0 affecting more than ``major_outage_percent`` (50) of users → L3 at once;
- ``security_incident``: security or data-breach flag → L3 at once;
- ``regulatory_implications``: regulatory or legal flag → executive at once;
- ``manual``: a person escalates one level, with a reason;
- ``nobody_on_call``: no primary is on call when it opens (a coverage gap) → L2 at once.

A trigger only fires when it raises the level, so each fires at most once. Acknowledgement
stops only ``not_acknowledged`` (when it came before that trigger's moment); an acknowledged or
mitigated incident still unresolved at ``resolve_minutes`` escalates (``not_resolved``).
Resolution stops every trigger.

Alerts from monitoring (``record_alert``) add to the timeline of the incident they opened or
feed: every alert received while it is open is an ``AlertReceived`` event on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import event

from domain.base import LedgerAggregate, current_context
from domain.errors import DomainError

SEVERITIES = ("P0", "P1", "P2")
CATEGORIES = ("database", "api", "authentication", "payment", "cloud_storage", "deployment",
              "other")
LEVELS = ("L1", "L2", "L3", "executive")
STATUSES = ("paged", "acknowledged", "mitigated", "resolved")
ACK_TARGET_MINUTES = 15
"""The acknowledgement target every incident (and fire drill) is measured against."""
UNACKNOWLEDGED = ("opened", "paged")
"""Statuses of an incident nobody has acknowledged yet."""
UNRESOLVED = ("opened", "paged", "acknowledged", "mitigated")
"""Statuses of an incident the clock may still escalate (``not_resolved`` runs until resolved)."""
TIME_TRIGGERS = (("not_acknowledged", "ack_minutes", "L2"),
                 ("not_resolved", "resolve_minutes", "L2"))


class Incident(LedgerAggregate):
    """Something is broken (or, for a fire drill, pretends to be)."""

    @event("Opened")
    def __init__(self, title: str, severity: str, category: str,
                 affected_users_percent: float, security: bool, regulatory: bool,
                 practice: bool, runbook_id: str | None, rotation_id: str,
                 policy: dict[str, Any], responders: dict[str, str | None],
                 opened_by: str | None) -> None:
        self.title = title
        self.severity = severity
        self.category = category
        self.affected_users_percent = affected_users_percent
        self.security = security
        self.regulatory = regulatory
        self.practice = practice
        self.runbook_id = runbook_id
        self.rotation_id = rotation_id
        self.policy = dict(policy)
        self.responders = dict(responders)
        self.opened_by = opened_by
        self.status = "opened"
        self.level: str | None = None
        self.opened_at: datetime = self.modified_on
        self.acknowledged_at: datetime | None = None
        self.debriefed = False
        self.added_responders: list[str] = []

    @classmethod
    def open(cls, **fields: Any) -> Incident:
        """Open an incident, page L1 and apply the triggers that fire at once."""
        incident = cls(**fields)
        incident._paged(level="L1", person_id=incident.responders.get("L1"))
        if incident.responders.get("L1") is None:
            incident._raise_to("nobody_on_call", "L2", incident.opened_at)
        for trigger, level in incident.immediate_triggers():
            incident._raise_to(trigger, level, incident.opened_at)
        return incident

    def immediate_triggers(self) -> list[tuple[str, str]]:
        """Triggers that fire when the incident opens, lowest level first."""
        found = []
        if self.severity == "P0" and self.affected_users_percent > float(
                self.policy["major_outage_percent"]):
            found.append(("major_outage", "L3"))
        if self.security:
            found.append(("security_incident", "L3"))
        if self.regulatory:
            found.append(("regulatory_implications", "executive"))
        return found

    @event("Paged")
    def _paged(self, level: str, person_id: str | None) -> None:
        self.status = "paged"
        self.level = level

    def _raise_to(self, trigger: str, level: str, due_at: datetime) -> bool:
        if LEVELS.index(level) <= LEVELS.index(self.level or "L1"):
            return False
        self._escalated(trigger=trigger, level=level, person_id=self.responders.get(level),
                        due_at=due_at)
        return True

    @event("EscalationTriggered")
    def _escalated(self, trigger: str, level: str, person_id: str | None,
                   due_at: datetime) -> None:
        self.level = level

    # -- clock-driven escalation -----------------------------------------------------------------

    def due_escalations(self, at: datetime) -> list[tuple[str, str, datetime]]:
        """Time-based triggers whose moment has passed at ``at`` and that would raise the level."""
        if self.status not in UNRESOLVED:
            return []
        due = sorted(((self.opened_at + timedelta(minutes=int(self.policy[key])), trigger, level)
                      for trigger, key, level in TIME_TRIGGERS), key=lambda d: d[0])
        level = LEVELS.index(self.level or "L1")
        result = []
        for moment, trigger, target in due:
            if trigger == "not_acknowledged" and self.acknowledged_at is not None and (
                    self.acknowledged_at <= moment):
                continue  # acknowledged in time: only this trigger stops
            if moment <= at and LEVELS.index(target) > level:
                result.append((trigger, target, moment))
                level = LEVELS.index(target)
        return result

    def escalate_by_clock(self, at: datetime) -> int:
        """Fire every time-based trigger due at ``at``; returns how many fired."""
        fired = 0
        for trigger, level, due_at in self.due_escalations(at):
            fired += self._raise_to(trigger, level, due_at)
        return fired

    def escalate(self, at: datetime) -> None:
        """Escalate one level by hand (the reason is on the event)."""
        self._check_open()
        index = LEVELS.index(self.level or "L1")
        if index == len(LEVELS) - 1:
            raise AlreadyAtTopLevel("the incident is already with the executive",
                                    incident_id=str(self.id))
        self._raise_to("manual", LEVELS[index + 1], at)

    def assess(self, severity: str, affected_users_percent: float, security: bool,
               regulatory: bool) -> None:
        """Record a new impact assessment; triggers that now apply fire at once."""
        self._check_open()
        self._assessed(severity=severity, affected_users_percent=float(affected_users_percent),
                       security=security, regulatory=regulatory)
        for trigger, level in self.immediate_triggers():
            self._raise_to(trigger, level, self.modified_on)

    @event("ImpactAssessed")
    def _assessed(self, severity: str, affected_users_percent: float, security: bool,
                  regulatory: bool) -> None:
        self.severity = severity
        self.affected_users_percent = affected_users_percent
        self.security = security
        self.regulatory = regulatory

    # -- response --------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.status == "resolved":
            raise IncidentResolved("the incident is resolved", incident_id=str(self.id))

    def acknowledge(self, by: str | None) -> None:
        """Acknowledge the page (stops the acknowledgement trigger; ``not_resolved`` still runs)."""
        self._check_open()
        if self.status != "paged":
            raise AlreadyAcknowledged("the incident is already acknowledged",
                                      incident_id=str(self.id))
        self.trigger_event(self.Acknowledged, by=by)

    class Acknowledged(LedgerAggregate.Event):
        """The page was acknowledged by ``by``; its time stops the acknowledgement trigger."""

        by: str | None

        def apply(self, aggregate: Incident) -> None:  # type: ignore[override]
            aggregate.status = "acknowledged"
            aggregate.acknowledged_at = self.timestamp

    def record_alert(self, source: str, action: str, summary: str, dedup_key: str,
                     labels: dict[str, Any]) -> None:
        """Add an alert from monitoring to the timeline (it opened or repeats this incident)."""
        self._check_open()
        self._alert_received(source=source, action=action, summary=summary[:500],
                             dedup_key=dedup_key[:255], labels=dict(labels))

    @event("AlertReceived")
    def _alert_received(self, source: str, action: str, summary: str, dedup_key: str,
                        labels: dict[str, Any]) -> None:
        pass

    def mitigate(self, note: str) -> None:
        """Record that the impact is contained."""
        self._check_open()
        if self.status == "mitigated":
            raise AlreadyMitigated("the incident is already mitigated", incident_id=str(self.id))
        self._mitigated(note=note)

    @event("Mitigated")
    def _mitigated(self, note: str) -> None:
        self.status = "mitigated"

    def resolve(self, summary: str) -> None:
        """Resolve the incident."""
        self._check_open()
        self._resolved(summary=summary)

    @event("Resolved")
    def _resolved(self, summary: str) -> None:
        self.status = "resolved"

    def hand_over(self, level: str, person_id: str) -> None:
        """Hand a level over to another person during the incident (the reason is required:
        who takes over, and why); later pages at that level go to them."""
        self._check_open()
        if level not in LEVELS:
            raise UnknownLevel(f"level must be one of {', '.join(LEVELS)}", level=level)
        if not (current_context().reason or "").strip():
            raise HandOverReasonRequired("a hand-over needs a reason", incident_id=str(self.id))
        if self.responders.get(level) == person_id:
            raise AlreadyResponding("this person already responds at that level",
                                    incident_id=str(self.id), level=level)
        self._handed_over(level=level, person_id=person_id,
                          previous_id=self.responders.get(level))

    @event("HandedOver")
    def _handed_over(self, level: str, person_id: str, previous_id: str | None) -> None:
        self.responders = {**self.responders, level: person_id}

    def add_responder(self, person_id: str) -> None:
        """Bring another person into the incident as a responder."""
        self._check_open()
        if person_id in self.responders.values() or person_id in self.added_responders:
            raise AlreadyResponding("this person already responds to the incident",
                                    incident_id=str(self.id), person_id=person_id)
        self._responder_added(person_id=person_id)

    @event("ResponderAdded")
    def _responder_added(self, person_id: str) -> None:
        self.added_responders = [*self.added_responders, person_id]

    def record_debrief(self, summary: str, improvements: list[dict[str, Any]],
                       action_item_ids: list[str]) -> None:
        """Close a fire drill with its debrief; each improvement became an action item."""
        if not self.practice:
            raise NotADrill("only practice incidents have a debrief", incident_id=str(self.id))
        if self.status != "resolved":
            raise DrillNotResolved("resolve the drill before its debrief",
                                   incident_id=str(self.id))
        if self.debriefed:
            raise DebriefAlreadyRecorded("the debrief is already recorded",
                                         incident_id=str(self.id))
        self._debriefed(summary=summary, improvements=improvements,
                        action_item_ids=action_item_ids)

    @event("DebriefRecorded")
    def _debriefed(self, summary: str, improvements: list[dict[str, Any]],
                   action_item_ids: list[str]) -> None:
        self.debriefed = True


def acknowledged_within_target(opened_at: datetime,
                               acknowledged_at: datetime | None) -> bool | None:
    """Whether the page was acknowledged within :data:`ACK_TARGET_MINUTES` (None: not yet)."""
    if acknowledged_at is None:
        return None
    return acknowledged_at - opened_at <= timedelta(minutes=ACK_TARGET_MINUTES)


class UnknownLevel(DomainError):
    """Raised when a hand-over names a level the escalation path does not have."""

    code = "unknown_level"


class HandOverReasonRequired(DomainError):
    """Raised when a hand-over gives no reason."""

    code = "hand_over_reason_required"


class AlreadyResponding(DomainError):
    """Raised when the person already responds (at that level, or to the incident)."""

    code = "already_responding"


class IncidentResolved(DomainError):
    """Raised when acting on a resolved incident."""

    code = "incident_resolved"


class AlreadyAcknowledged(DomainError):
    """Raised when acknowledging an incident twice."""

    code = "incident_already_acknowledged"


class AlreadyMitigated(DomainError):
    """Raised when mitigating an incident twice."""

    code = "incident_already_mitigated"


class AlreadyAtTopLevel(DomainError):
    """Raised when escalating past the executive."""

    code = "already_at_top_level"


class NotADrill(DomainError):
    """Raised when recording a debrief for a real incident."""

    code = "not_a_drill"


class DrillNotResolved(DomainError):
    """Raised when debriefing a drill that is not resolved."""

    code = "drill_not_resolved"


class DebriefAlreadyRecorded(DomainError):
    """Raised when recording a second debrief."""

    code = "debrief_already_recorded"
