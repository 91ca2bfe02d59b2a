"""Projections of rotations, incidents, runbooks and trainings (pure functions of the events)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from domain.oncall.incident import Incident
from domain.oncall.rotation import Rotation
from domain.oncall.runbook import Runbook, TrainingSession
from projections.base import Projection, handles
from projections.oncall.tables import (
    incident_timeline,
    incidents,
    rotations,
    runbook_revisions,
    runbook_sign_offs,
    runbooks,
    shift_covers,
    shift_notices,
    shifts,
    swaps,
    trainings,
    unavailability,
)

if TYPE_CHECKING:
    from projections.base import Writer

CAUSES = {"Planned": "plan", "RosterChanged": "roster", "ShiftOverridden": "override",
          "SwapAccepted": "swap"}


def _key(e: Any, i: int = 0) -> str:
    return f"{e.originator_id}:{e.originator_version}:{i}"


class RotationProjection(Projection):
    """Rotations, their shifts, unavailability, swaps and per-person shift notices."""

    name = "oncall_rotations"
    tables = (rotations, shifts, shift_covers, unavailability, shift_notices, swaps)

    @handles(Rotation.Created)
    def created(self, w: Writer, e: Any) -> None:
        w.insert(rotations, id=str(e.originator_id), name=e.name, timezone=e.timezone,
                 handover_weekday=e.handover_weekday, handover_time=e.handover_time,
                 roster=list(e.roster), policy=dict(e.policy), policy_version=1,
                 created_at=e.timestamp)

    @handles(Rotation.Planned, Rotation.ShiftOverridden, Rotation.SwapAccepted,
             Rotation.RosterChanged)
    def shifts_moved(self, w: Writer, e: Any) -> None:
        rotation_id = str(e.originator_id)
        if isinstance(e, Rotation.RosterChanged):
            w.execute(update(rotations).where(rotations.c.id == rotation_id)
                      .values(roster=list(e.roster)))
        reason = e.reason
        if isinstance(e, Rotation.SwapAccepted):
            w.execute(update(swaps).where(swaps.c.id == e.swap_id).values(status="accepted"))
            reason = reason or w.scalar(select(swaps.c.reason).where(swaps.c.id == e.swap_id))
        weeks = [s["week_start"] for s in e.shifts]
        if weeks:
            w.execute(delete(shifts).where(shifts.c.rotation_id == rotation_id,
                                           shifts.c.week_start.in_(weeks)))
        for s in e.shifts:
            w.insert(shifts, rotation_id=rotation_id, week_start=s["week_start"],
                     starts_at=datetime.fromisoformat(s["starts_at"]),
                     ends_at=datetime.fromisoformat(s["ends_at"]),
                     primary_id=s["primary_id"], secondary_id=s["secondary_id"])
        cause = CAUSES[type(e).__qualname__.split(".")[-1]]
        for i, c in enumerate(e.changes):
            w.insert(shift_notices, id=_key(e, i), rotation_id=rotation_id,
                     person_id=c["person_id"], week_start=c["week_start"],
                     starts_at=datetime.fromisoformat(c["starts_at"]), role=c["role"],
                     change=c["change"], cause=cause, actor_id=e.actor_id, reason=reason,
                     recorded_at=e.timestamp)

    @handles(Rotation.IntervalOverridden)
    def interval_overridden(self, w: Writer, e: Any) -> None:
        rotation_id = str(e.originator_id)
        starts_at, ends_at = (datetime.fromisoformat(v) for v in (e.starts_at, e.ends_at))
        w.insert(shift_covers, id=e.cover_id, rotation_id=rotation_id, week_start=e.week_start,
                 role=e.role, person_id=e.person_id, replaced_id=e.replaced_id,
                 starts_at=starts_at, ends_at=ends_at, actor_id=e.actor_id, reason=e.reason,
                 recorded_at=e.timestamp)
        for i, c in enumerate(e.changes):
            w.insert(shift_notices, id=_key(e, i), rotation_id=rotation_id,
                     person_id=c["person_id"], week_start=c["week_start"], starts_at=starts_at,
                     ends_at=ends_at, role=c["role"], change=c["change"],
                     cause="partial_override", actor_id=e.actor_id, reason=e.reason,
                     recorded_at=e.timestamp)

    @handles(Rotation.IntervalOverrideCancelled)
    def interval_override_cancelled(self, w: Writer, e: Any) -> None:
        rotation_id = str(e.originator_id)
        if e.ends_at is None:
            w.execute(delete(shift_covers).where(shift_covers.c.id == e.cover_id))
        else:
            w.execute(update(shift_covers).where(shift_covers.c.id == e.cover_id)
                      .values(ends_at=datetime.fromisoformat(e.ends_at)))
        for i, c in enumerate(e.changes):
            w.insert(shift_notices, id=_key(e, i), rotation_id=rotation_id,
                     person_id=c["person_id"], week_start=c["week_start"],
                     starts_at=datetime.fromisoformat(c["starts_at"]),
                     ends_at=datetime.fromisoformat(c["ends_at"]), role=c["role"],
                     change=c["change"], cause="override_cancelled", actor_id=e.actor_id,
                     reason=e.reason, recorded_at=e.timestamp)

    @handles(Rotation.UnavailabilityDeclared)
    def unavailable(self, w: Writer, e: Any) -> None:
        w.insert(unavailability, id=_key(e), rotation_id=str(e.originator_id),
                 person_id=e.person_id, start=e.start, end=e.end, declared_at=e.timestamp)

    @handles(Rotation.SwapRequested)
    def swap_requested(self, w: Writer, e: Any) -> None:
        w.insert(swaps, id=e.swap_id, rotation_id=str(e.originator_id),
                 requester_id=e.requester_id, counterpart_id=e.counterpart_id, role=e.role,
                 week_start=e.week_start, return_week_start=e.return_week_start,
                 status="requested", reason=e.reason, requested_at=e.timestamp)

    @handles(Rotation.SwapDeclined)
    def swap_declined(self, w: Writer, e: Any) -> None:
        w.execute(update(swaps).where(swaps.c.id == e.swap_id).values(status="declined"))

    @handles(Rotation.EscalationPolicyChanged)
    def policy_changed(self, w: Writer, e: Any) -> None:
        w.execute(update(rotations).where(rotations.c.id == str(e.originator_id))
                  .values(policy=dict(e.policy), policy_version=e.version))


class IncidentProjection(Projection):
    """Incidents (``rm_incidents``, shared with post-launch reviews) and their timelines."""

    name = "oncall_incidents"
    tables = (incidents, incident_timeline)

    @handles(Incident.Opened)
    def opened(self, w: Writer, e: Any) -> None:
        w.insert(incidents, id=str(e.originator_id), title=e.title, severity=e.severity,
                 category=e.category, practice=e.practice, status="opened", level="L1",
                 affected_users_percent=float(e.affected_users_percent), security=e.security,
                 regulatory=e.regulatory, runbook_id=e.runbook_id, rotation_id=e.rotation_id,
                 policy=dict(e.policy), responders=dict(e.responders), opened_by=e.opened_by,
                 opened_at=e.timestamp, version=e.originator_version)
        self.timeline(w, e, "opened")

    @handles(Incident.Paged)
    def paged(self, w: Writer, e: Any) -> None:
        self.change(w, e, status="paged", level=e.level)
        self.timeline(w, e, "paged", level=e.level, person_id=e.person_id, trigger="opened")

    @handles(Incident.EscalationTriggered)
    def escalated(self, w: Writer, e: Any) -> None:
        self.change(w, e, level=e.level)
        self.timeline(w, e, "escalated", level=e.level, person_id=e.person_id,
                      trigger=e.trigger, due_at=e.due_at)

    @handles(Incident.ImpactAssessed)
    def assessed(self, w: Writer, e: Any) -> None:
        self.change(w, e, severity=e.severity, security=e.security, regulatory=e.regulatory,
                    affected_users_percent=float(e.affected_users_percent))
        self.timeline(w, e, "assessed", note=f"{e.severity}, {e.affected_users_percent:g}% of "
                      f"users{', security' if e.security else ''}"
                      f"{', regulatory' if e.regulatory else ''}")

    @handles(Incident.Acknowledged)
    def acknowledged(self, w: Writer, e: Any) -> None:
        self.change(w, e, status="acknowledged", acknowledged_at=e.timestamp)
        self.timeline(w, e, "acknowledged", person_id=e.by)

    @handles(Incident.HandedOver)
    def handed_over(self, w: Writer, e: Any) -> None:
        responders = dict(w.execute(select(incidents.c.responders).where(
            incidents.c.id == str(e.originator_id))).scalar_one())
        self.change(w, e, responders={**responders, e.level: e.person_id})
        self.timeline(w, e, "handed_over", level=e.level, person_id=e.person_id,
                      note=f"from {e.previous_id}" if e.previous_id else None)

    @handles(Incident.ResponderAdded)
    def responder_added(self, w: Writer, e: Any) -> None:
        self.change(w, e)
        self.timeline(w, e, "responder_added", person_id=e.person_id)

    @handles(Incident.Mitigated)
    def mitigated(self, w: Writer, e: Any) -> None:
        self.change(w, e, status="mitigated", mitigated_at=e.timestamp)
        self.timeline(w, e, "mitigated", note=e.note)

    @handles(Incident.Resolved)
    def resolved(self, w: Writer, e: Any) -> None:
        self.change(w, e, status="resolved", resolved_at=e.timestamp)
        self.timeline(w, e, "resolved", note=e.summary)

    @handles(Incident.DebriefRecorded)
    def debriefed(self, w: Writer, e: Any) -> None:
        self.change(w, e, debrief={"summary": e.summary, "improvements": list(e.improvements),
                                   "action_item_ids": list(e.action_item_ids)})
        self.timeline(w, e, "debriefed", note=e.summary)

    @staticmethod
    def change(w: Writer, e: Any, **values: Any) -> None:
        """Update the incident row and its version."""
        w.update(incidents, str(e.originator_id), version=e.originator_version, **values)

    @staticmethod
    def timeline(w: Writer, e: Any, kind: str, **values: Any) -> None:
        """Add a timeline entry for the event."""
        w.insert(incident_timeline, incident_id=str(e.originator_id),
                 version=e.originator_version, at=e.timestamp, type=kind,
                 actor_id=e.actor_id, reason=e.reason, **values)


class RunbookProjection(Projection):
    """Runbooks, their revisions and sign-offs; training sessions."""

    name = "oncall_runbooks"
    tables = (runbooks, runbook_revisions, runbook_sign_offs, trainings)

    @handles(Runbook.Created)
    def created(self, w: Writer, e: Any) -> None:
        w.insert(runbooks, id=str(e.originator_id), category=e.category, title=e.title,
                 revision=1, content=e.content, updated_at=e.timestamp)
        w.insert(runbook_revisions, runbook_id=str(e.originator_id), revision=1,
                 content=e.content, summary="first version", source_type=None, source_id=None,
                 actor_id=e.actor_id, recorded_at=e.timestamp)

    @handles(Runbook.Revised)
    def revised(self, w: Writer, e: Any) -> None:
        w.execute(update(runbooks).where(runbooks.c.id == str(e.originator_id))
                  .values(revision=e.revision, content=e.content, updated_at=e.timestamp))
        w.insert(runbook_revisions, runbook_id=str(e.originator_id), revision=e.revision,
                 content=e.content, summary=e.summary, source_type=e.source_type,
                 source_id=e.source_id, actor_id=e.actor_id, recorded_at=e.timestamp)

    @handles(Runbook.SignedOff)
    def signed_off(self, w: Writer, e: Any) -> None:
        w.insert(runbook_sign_offs, id=_key(e), runbook_id=str(e.originator_id),
                 revision=e.revision, kind=e.kind, by=e.by, recorded_at=e.timestamp)

    @handles(TrainingSession.Held)
    def held(self, w: Writer, e: Any) -> None:
        w.insert(trainings, id=str(e.originator_id), title=e.title, held_on=e.held_on,
                 topics=list(e.topics), attendee_ids=list(e.attendee_ids),
                 trainer_id=e.trainer_id)
