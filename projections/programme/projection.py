"""Projection of the Track 4 programme into its read-model tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, update

from domain.programme.programme import Programme
from projections.base import Projection, handles
from projections.programme.tables import (
    programme_activities,
    programme_risks,
    programme_sign_offs,
    programme_time,
    programmes,
)

if TYPE_CHECKING:
    from projections.base import Writer


class ProgrammeProjection(Projection):
    """Keeps the programme's activities, time, sign-offs and risks in step with its events."""

    name = "programme"
    tables = (programmes, programme_activities, programme_time, programme_sign_offs,
              programme_risks)

    @handles(Programme.Created)
    def created(self, w: Writer, e: Any) -> None:
        pid = str(e.originator_id)
        w.insert(programmes, id=pid, name=e.name, estimate=dict(e.estimate),
                 created_by=e.actor_id, created_at=e.timestamp, updated_at=e.timestamp,
                 version=e.originator_version)
        for position, a in enumerate(e.activities):
            w.insert(programme_activities, programme_id=pid, id=a["id"], position=position,
                     track=a["track"], name=a["name"], owner_label=a["owner_label"],
                     owner_function=a["owner_function"], owner_id=a["owner_id"],
                     timebox_hours=float(a["timebox_hours"]),
                     prerequisites=list(a["prerequisites"]), conditions=list(a["conditions"]),
                     status="planned", started_at=None, completed_at=None,
                     updated_at=e.timestamp)
        for position, r in enumerate(e.risks):
            w.insert(programme_risks, programme_id=pid, id=r["id"], position=position,
                     title=r["title"], mitigation=r["mitigation"],
                     owner_function=r["owner_function"], owner_id=r["owner_id"],
                     status=r["status"], reason=None, updated_at=e.timestamp)

    @handles(Programme.ActivityEdited)
    def activity_edited(self, w: Writer, e: Any) -> None:
        changes = dict(e.changes)
        if "timebox_hours" in changes:
            changes["timebox_hours"] = float(changes["timebox_hours"])
        self.activity(w, e, **changes)

    @handles(Programme.ActivityStarted)
    def activity_started(self, w: Writer, e: Any) -> None:
        self.activity(w, e, status="in_progress", started_at=e.timestamp)

    @handles(Programme.ActivityCompleted)
    def activity_completed(self, w: Writer, e: Any) -> None:
        self.activity(w, e, status="completed", completed_at=e.timestamp)

    @handles(Programme.TimeLogged)
    def time_logged(self, w: Writer, e: Any) -> None:
        w.insert(programme_time, programme_id=str(e.originator_id),
                 version=e.originator_version, activity_id=e.activity_id,
                 person_id=e.person_id, hours=float(e.hours), worked_on=e.on, note=e.note,
                 logged_by=e.actor_id, recorded_at=e.timestamp)
        self.touch(w, e)

    @handles(Programme.SignedOff)
    def signed_off(self, w: Writer, e: Any) -> None:
        w.insert(programme_sign_offs, programme_id=str(e.originator_id),
                 criterion_id=e.criterion_id, person_id=e.person_id, function=e.function,
                 note=e.note, version=e.originator_version, signed_at=e.timestamp)
        self.touch(w, e)

    @handles(Programme.SignOffWithdrawn)
    def sign_off_withdrawn(self, w: Writer, e: Any) -> None:
        s = programme_sign_offs.c
        w.execute(delete(programme_sign_offs).where(
            s.programme_id == str(e.originator_id), s.criterion_id == e.criterion_id,
            s.person_id == e.person_id))
        self.touch(w, e)

    @handles(Programme.RiskUpdated)
    def risk_updated(self, w: Writer, e: Any) -> None:
        r = programme_risks.c
        w.execute(update(programme_risks).where(
            r.programme_id == str(e.originator_id), r.id == e.risk_id).values(
            reason=e.reason, updated_at=e.timestamp, **dict(e.changes)))
        self.touch(w, e)

    def activity(self, w: Writer, e: Any, **values: Any) -> None:
        """Apply ``values`` to the event's activity."""
        a = programme_activities.c
        w.execute(update(programme_activities).where(
            a.programme_id == str(e.originator_id), a.id == e.activity_id).values(
            updated_at=e.timestamp, **values))
        self.touch(w, e)

    @staticmethod
    def touch(w: Writer, e: Any) -> None:
        """Record the programme's latest event."""
        w.execute(update(programmes).where(programmes.c.id == str(e.originator_id)).values(
            updated_at=e.timestamp, version=e.originator_version))
