"""On-call commands: rotations, incidents with clock-driven escalation, runbooks, trainings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from app.ledger import Ledger
from domain.errors import InvalidInput, PermissionDenied

if TYPE_CHECKING:
    from app.reviews.action_items import ActionItemService
from domain.base import current_context, now
from domain.oncall.incident import Incident
from domain.oncall.rotation import Rotation
from domain.oncall.runbook import Runbook, RunbookExists, TrainingSession
from domain.people.person import Person

ESCALATION_RETRIES = 10


class OnCallService:
    """Use cases of track T4.3 (rotations, incidents, runbooks, training, drills)."""

    def __init__(self, ledger: Ledger, actions: ActionItemService) -> None:
        self.ledger = ledger
        self.actions = actions

    # -- rotations -------------------------------------------------------------------------------

    def _people(self, ids: list[str]) -> list[str]:
        return [str(self.ledger.load(Person, pid).id) for pid in ids]

    def create_rotation(self, name: str, timezone: str, roster: list[str],
                        handover_weekday: int = 0, handover_time: str = "09:00") -> dict[str, Any]:
        """Create a rotation (admins)."""
        self.ledger.writer("admin")
        rotation = Rotation.create(name=name, timezone=timezone, roster=self._people(roster),
                                   handover_weekday=handover_weekday,
                                   handover_time=handover_time)
        self.ledger.save(rotation)
        return {"id": str(rotation.id), "name": rotation.name}

    def plan_rotation(self, rotation_id: str, weeks: int = 4,
                      start: date | None = None) -> dict[str, Any]:
        """Plan the rotation fairly ``weeks`` weeks ahead (admins); refusals explain why."""
        self.ledger.writer("admin")
        rotation = self.ledger.load(Rotation, rotation_id)
        rotation.plan(weeks, start)
        self.ledger.save(rotation)
        return self._shifts_result(rotation)

    def _shifts_result(self, rotation: Rotation) -> dict[str, Any]:
        return {"id": str(rotation.id), "shifts": [dict(s) for _, s in
                                                   sorted(rotation.shifts.items())]}

    def change_roster(self, rotation_id: str, roster: list[str]) -> dict[str, Any]:
        """Replace the roster (admins); removed people's future shifts become vacant."""
        self.ledger.writer("admin")
        rotation = self.ledger.load(Rotation, rotation_id)
        rotation.change_roster(self._people(roster))
        self.ledger.save(rotation)
        return {"id": str(rotation.id), "roster": list(rotation.roster)}

    def declare_unavailable(self, rotation_id: str, person_id: str, start: date,
                            end: date) -> dict[str, Any]:
        """Declare unavailability (for yourself, or anyone as an admin)."""
        actor = self.ledger.writer()
        if actor is not None and str(actor.id) != str(person_id) and "admin" not in actor.roles:
            raise PermissionDenied("only admins declare unavailability for someone else",
                                   code="role_required", required=["admin"])
        rotation = self.ledger.load(Rotation, rotation_id)
        rotation.declare_unavailable(str(person_id), start, end)
        self.ledger.save(rotation)
        return {"id": str(rotation.id), "person_id": str(person_id)}

    def override_shift(self, rotation_id: str, week_start: str, role: str,
                       person_id: str) -> dict[str, Any]:
        """Put someone else on a week's shift (admins, or whoever holds it; reason recorded)."""
        actor = self.ledger.writer()
        self.ledger.load(Person, person_id)
        rotation = self.ledger.load(Rotation, rotation_id)
        holder = rotation.shifts.get(week_start, {}).get(f"{role}_id")
        if actor is not None and "admin" not in actor.roles and str(actor.id) != holder:
            raise PermissionDenied("only admins or the person on the shift may override it",
                                   code="not_shift_holder")
        rotation.override(week_start, role, str(person_id))
        self.ledger.save(rotation)
        return {"id": str(rotation.id), "shift": dict(rotation.shifts[week_start])}

    def override_interval(self, rotation_id: str, role: str, person_id: str,
                          starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
        """Put someone else on a role for part of a shift, e.g. Tuesday 18:00 to Wednesday
        09:00 (admins, or whoever holds that role in the shift; the reason is required)."""
        actor = self.ledger.writer()
        if not current_context().reason:
            raise InvalidInput.field("reason", "an override needs a reason")
        self.ledger.load(Person, person_id)
        rotation = self.ledger.load(Rotation, rotation_id)
        holder = rotation.shifts.get(rotation.week_of(starts_at).isoformat(), {}).get(
            f"{role}_id")
        if actor is not None and "admin" not in actor.roles and str(actor.id) != holder:
            raise PermissionDenied("only admins or the person on the shift may override it",
                                   code="not_shift_holder")
        cover = rotation.override_interval(str(uuid.uuid4()), role, str(person_id),
                                           starts_at, ends_at)
        self.ledger.save(rotation)
        week = cover["week_start"]
        return {"id": str(rotation.id), "shift": dict(rotation.shifts[week]),
                "override": {**cover, "reason": current_context().reason,
                             "starts_at": datetime.fromisoformat(cover["starts_at"]),
                             "ends_at": datetime.fromisoformat(cover["ends_at"])}}

    def cancel_interval_override(self, rotation_id: str, override_id: str) -> dict[str, Any]:
        """Withdraw an interval override (admins, the covering person or the one it covers;
        the reason is required): removed if not started, else it ends now."""
        actor = self.ledger.writer()
        if not current_context().reason:
            raise InvalidInput.field("reason", "cancelling an override needs a reason")
        rotation = self.ledger.load(Rotation, rotation_id)
        cover = rotation.covers.get(str(override_id), {})
        allowed = {cover.get("person_id"), rotation.shifts.get(cover.get("week_start", ""), {})
                   .get(f"{cover.get('role')}_id")}
        if actor is not None and "admin" not in actor.roles and cover and (
                str(actor.id) not in allowed):
            raise PermissionDenied("only admins or the people in the override may cancel it",
                                   code="not_shift_holder")
        result = rotation.cancel_interval_override(str(override_id))
        self.ledger.save(rotation)
        ended = str(override_id) in rotation.covers
        return {"id": str(rotation.id), "override_id": str(override_id),
                "status": "ended" if ended else "cancelled",
                "ends_at": datetime.fromisoformat(result["ends_at"]) if ended else None}

    def request_swap(self, rotation_id: str, week_start: str, role: str, counterpart_id: str,
                     return_week_start: str | None = None) -> dict[str, Any]:
        """Ask a colleague to take your shift (and optionally give theirs back)."""
        actor = self.ledger.writer()
        self.ledger.load(Person, counterpart_id)
        rotation = self.ledger.load(Rotation, rotation_id)
        swap_id = str(uuid.uuid4())
        requester = str(actor.id) if actor is not None else current_context().actor_id
        rotation.request_swap(swap_id, requester, str(counterpart_id), role, week_start,
                              return_week_start)
        self.ledger.save(rotation)
        return dict(rotation.swaps[swap_id])

    def accept_swap(self, rotation_id: str, swap_id: str) -> dict[str, Any]:
        """Accept a swap (its counterpart or an admin)."""
        actor = self.ledger.writer()
        rotation = self.ledger.load(Rotation, rotation_id)
        rotation.accept_swap(swap_id, by=current_context().actor_id,
                             is_admin=actor is None or "admin" in actor.roles)
        self.ledger.save(rotation)
        return dict(rotation.swaps[swap_id])

    def decline_swap(self, rotation_id: str, swap_id: str) -> dict[str, Any]:
        """Decline a swap (either person in it, or an admin)."""
        actor = self.ledger.writer()
        rotation = self.ledger.load(Rotation, rotation_id)
        rotation.decline_swap(swap_id, by=current_context().actor_id,
                              is_admin=actor is None or "admin" in actor.roles)
        self.ledger.save(rotation)
        return dict(rotation.swaps[swap_id])

    def change_escalation_policy(self, rotation_id: str, **changes: Any) -> dict[str, Any]:
        """Amend a rotation's escalation policy (admins)."""
        self.ledger.writer("admin")
        for key in ("engineering_lead_id", "executive_id"):
            if changes.get(key):
                changes[key] = str(self.ledger.load(Person, changes[key]).id)
        rotation = self.ledger.load(Rotation, rotation_id)
        rotation.change_policy(**changes)
        self.ledger.save(rotation)
        return rotation.policy_snapshot()

    # -- incidents -------------------------------------------------------------------------------

    def open_incident(self, rotation_id: str, title: str, severity: str, category: str,
                      affected_users_percent: float = 0.0, security: bool = False,
                      regulatory: bool = False, practice: bool = False,
                      runbook_id: str | None = None) -> dict[str, Any]:
        """Open an incident and page the rotation's current primary."""
        incident = self.prepare_incident(rotation_id, title, severity, category,
                                         affected_users_percent, security, regulatory, practice,
                                         runbook_id)
        self.ledger.save(incident)
        return self._incident_result(incident)

    def prepare_incident(self, rotation_id: str, title: str, severity: str, category: str,
                         affected_users_percent: float = 0.0, security: bool = False,
                         regulatory: bool = False, practice: bool = False,
                         runbook_id: str | None = None) -> Incident:
        """The incident ``open_incident`` would save, unsaved (for a caller that saves it with
        other aggregates in one atomic save: an alert opening it)."""
        actor = self.ledger.writer()
        rotation = self.ledger.load(Rotation, rotation_id)
        if runbook_id:
            runbook_id = str(self.ledger.load(Runbook, runbook_id).id)
        policy = rotation.policy_snapshot()
        oncall = rotation.oncall_at(now())
        incident = Incident.open(
            title=title, severity=severity, category=category,
            affected_users_percent=float(affected_users_percent), security=security,
            regulatory=regulatory, practice=practice, runbook_id=runbook_id,
            rotation_id=str(rotation.id), policy=policy,
            responders={"L1": oncall["primary_id"], "L2": oncall["secondary_id"],
                        "L3": policy["engineering_lead_id"], "executive": policy["executive_id"]},
            opened_by=str(actor.id) if actor is not None else None)
        return incident

    @staticmethod
    def _incident_result(incident: Incident) -> dict[str, Any]:
        return {"id": str(incident.id), "status": incident.status, "level": incident.level}

    def _incident_command(self, incident_id: str, action: str, *args: Any) -> dict[str, Any]:
        self.ledger.writer()
        incident = self.ledger.load(Incident, incident_id)
        getattr(incident, action)(*args)
        self.ledger.save(incident)
        return self._incident_result(incident)

    def assess_incident(self, incident_id: str, **impact: Any) -> dict[str, Any]:
        """Re-assess severity, reach and flags; L3/executive triggers fire if they now apply."""
        self.ledger.writer()
        incident = self.ledger.load(Incident, incident_id)
        current = {"severity": incident.severity, "security": incident.security,
                   "affected_users_percent": incident.affected_users_percent,
                   "regulatory": incident.regulatory}
        incident.assess(**{**current, **{k: v for k, v in impact.items() if v is not None}})
        self.ledger.save(incident)
        return self._incident_result(incident)

    def acknowledge_incident(self, incident_id: str) -> dict[str, Any]:
        """Acknowledge the page (stops the acknowledgement trigger; not the 30-minute one)."""
        return self._incident_command(incident_id, "acknowledge", current_context().actor_id)

    def escalate_incident(self, incident_id: str) -> dict[str, Any]:
        """Escalate one level by hand (give the reason through the command context)."""
        return self._incident_command(incident_id, "escalate", now())

    def hand_over_incident(self, incident_id: str, level: str,
                           person_id: str) -> dict[str, Any]:
        """Hand a level of the incident over to another person (reason from the context)."""
        person = str(self.ledger.load(Person, person_id).id)
        return self._incident_command(incident_id, "hand_over", level, person)

    def add_incident_responder(self, incident_id: str, person_id: str) -> dict[str, Any]:
        """Bring another person into the incident as a responder."""
        person = str(self.ledger.load(Person, person_id).id)
        return self._incident_command(incident_id, "add_responder", person)

    def mitigate_incident(self, incident_id: str, note: str) -> dict[str, Any]:
        """Record that the impact is contained."""
        return self._incident_command(incident_id, "mitigate", note)

    def resolve_incident(self, incident_id: str, summary: str) -> dict[str, Any]:
        """Resolve the incident."""
        return self._incident_command(incident_id, "resolve", summary)

    def record_debrief(self, incident_id: str, summary: str,
                       improvements: list[dict[str, Any]]) -> dict[str, Any]:
        """Debrief a resolved fire drill; each improvement becomes an action item."""
        self.ledger.writer()
        incident = self.ledger.load(Incident, incident_id)
        items = [self.actions.raise_action_item(
            title=i["title"], owner_id=str(i["owner_id"]), priority=i.get("priority", "P2"),
            source_type="drill", source_id=str(incident.id), save=False)
            for i in improvements]
        incident.record_debrief(summary, [{**i, "owner_id": str(i["owner_id"])}
                                          for i in improvements],
                                [str(item.id) for item in items])
        self.ledger.save(incident, *items)
        return {**self._incident_result(incident), "action_item_ids": [str(i.id) for i in items]}

    def evaluate_escalations(self, incident_id: str, at: datetime | None = None) -> int:
        """Fire the time-based triggers due at ``at``; safe to run late, twice or concurrently.

        A version conflict on save means another process saved first: reload and re-evaluate,
        so each crossing produces exactly one ``EscalationTriggered`` event.
        """
        self.ledger.writer()
        at = at or now()
        for _ in range(ESCALATION_RETRIES):
            incident = self.ledger.load(Incident, incident_id)
            fired = incident.escalate_by_clock(at)
            if not fired:
                return 0
            try:
                self.ledger.save(incident)
            except IntegrityError:
                continue
            return fired
        return 0

    # -- runbooks and trainings ------------------------------------------------------------------

    def create_runbook(self, category: str, title: str, content: str) -> dict[str, Any]:
        """Create the runbook of a category (one per category)."""
        self.ledger.writer()
        runbook = Runbook(category=category, title=title, content=content)
        try:
            self.ledger.save(runbook)
        except IntegrityError:
            raise RunbookExists(f"the {category} runbook exists already",
                                category=category) from None
        return {"id": str(runbook.id), "revision": runbook.revision}

    def seed_runbooks(self) -> list[str]:
        """Create the guide's six runbooks that do not exist yet; returns their ids."""
        from app.oncall.seeds import RUNBOOKS, runbook_markdown

        created = []
        for book in RUNBOOKS:
            try:
                created.append(self.create_runbook(book["category"], book["title"],
                                                   runbook_markdown(book))["id"])
            except RunbookExists:
                continue
        return created

    def revise_runbook(self, runbook_id: str, content: str, summary: str,
                       source_type: str | None = None,
                       source_id: str | None = None) -> dict[str, Any]:
        """Record a new revision of a runbook (from a drill, rehearsal or review, if given)."""
        self.ledger.writer()
        runbook = self.ledger.load(Runbook, runbook_id)
        runbook.revise(content, summary, source_type, str(source_id) if source_id else None)
        self.ledger.save(runbook)
        return {"id": str(runbook.id), "revision": runbook.revision}

    def sign_off_runbook(self, runbook_id: str, kind: str) -> dict[str, Any]:
        """Record that the current revision was reviewed or validated by the acting person."""
        self.ledger.writer()
        runbook = self.ledger.load(Runbook, runbook_id)
        runbook.sign_off(kind, current_context().actor_id)
        self.ledger.save(runbook)
        return {"id": str(runbook.id), "revision": runbook.revision, "kind": kind}

    def record_training(self, title: str, held_on: date, topics: list[str],
                        attendee_ids: list[str]) -> dict[str, Any]:
        """Record a training session with its topics and attendees."""
        actor = self.ledger.writer()
        session = TrainingSession(title=title, held_on=held_on.isoformat(), topics=list(topics),
                                  attendee_ids=self._people(attendee_ids),
                                  trainer_id=str(actor.id) if actor is not None else None)
        self.ledger.save(session)
        return {"id": str(session.id)}
