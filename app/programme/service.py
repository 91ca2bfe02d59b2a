"""Use cases of the Track 4 programme: create it from the guide, edit, start and complete
activities, log time, sign off judgement criteria, and keep the risks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.programme import readiness
from domain.base import current_context, now
from domain.errors import NotFound, PermissionDenied
from domain.people.person import Person
from domain.programme.programme import PROGRAMME_ID, Programme, ProgrammeExists

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from app.ledger import Ledger


class ProgrammeService:
    """The programme's use cases. Starting an activity asks ``evidence()`` (the live read
    models, caught up) which criteria are met, to check the activity's prerequisites."""

    def __init__(self, ledger: Ledger, evidence: Callable[[], Engine]) -> None:
        self.ledger = ledger
        self.evidence = evidence

    def load(self) -> Programme:
        """The programme (NotFound until one is created)."""
        try:
            return self.ledger.load(Programme, PROGRAMME_ID)
        except NotFound:
            raise NotFound("no programme yet: create the Track 4 programme first",
                           code="no_programme") from None

    def create_programme(self, name: str) -> dict[str, Any]:
        """Create the programme, seeded with the guide's activities and risks (admins)."""
        self.ledger.writer("admin")
        try:
            self.ledger.load(Programme, PROGRAMME_ID)
        except NotFound:
            programme = Programme.create(name)
            self.ledger.save(programme)
            return {"id": str(programme.id), "name": programme.name,
                    "activities": len(programme.activities), "risks": len(programme.risks)}
        raise ProgrammeExists("the Track 4 programme already exists", id=str(PROGRAMME_ID))

    def edit_activity(self, activity_id: str, **changes: Any) -> dict[str, Any]:
        """Change an activity's name, owner, timebox or prerequisites (admins)."""
        self.ledger.writer("admin")
        if changes.get("owner_id"):
            changes["owner_id"] = self.person(changes["owner_id"])
        programme = self.load()
        programme.edit_activity(activity_id, changes)
        self.ledger.save(programme)
        return dict(programme.activity(activity_id))

    def start_activity(self, activity_id: str) -> dict[str, Any]:
        """Start an activity; refused (409) while a prerequisite is unmet."""
        self.ledger.writer()
        programme = self.load()
        programme.start_activity(activity_id,
                                 readiness.met_criteria(self.evidence(), now()))
        self.ledger.save(programme)
        return dict(programme.activity(activity_id))

    def complete_activity(self, activity_id: str) -> dict[str, Any]:
        """Complete an activity in progress."""
        self.ledger.writer()
        programme = self.load()
        programme.complete_activity(activity_id)
        self.ledger.save(programme)
        return dict(programme.activity(activity_id))

    def log_time(self, activity_id: str, hours: float, on: Any = None, note: str = "") -> dict[str, Any]:
        """Record hours the acting person spent on an activity."""
        person = self.person_acting()
        on = on or now().date()
        programme = self.load()
        programme.log_time(activity_id, str(person.id), hours, on.isoformat(), note)
        self.ledger.save(programme)
        return {"activity_id": activity_id, "person_id": str(person.id), "hours": hours,
                "on": on.isoformat(), "note": note}

    def sign_off(self, criterion_id: str, note: str = "") -> dict[str, Any]:
        """The acting person signs off a judgement criterion, with their function."""
        person = self.person_acting()
        programme = self.load()
        programme.sign_off(criterion_id, str(person.id), person.function, note)
        self.ledger.save(programme)
        return {"criterion_id": criterion_id, "person_id": str(person.id),
                "function": person.function, "note": note}

    def withdraw_sign_off(self, criterion_id: str) -> dict[str, Any]:
        """The acting person takes back their sign-off."""
        person = self.person_acting()
        programme = self.load()
        programme.withdraw_sign_off(criterion_id, str(person.id))
        self.ledger.save(programme)
        return {"criterion_id": criterion_id, "person_id": str(person.id)}

    def update_risk(self, risk_id: str, **changes: Any) -> dict[str, Any]:
        """Change a risk's mitigation, owner or status (admins)."""
        self.ledger.writer("admin")
        if changes.get("owner_id"):
            changes["owner_id"] = self.person(changes["owner_id"])
        programme = self.load()
        programme.update_risk(risk_id, changes)
        self.ledger.save(programme)
        return {"id": risk_id, **programme.risks[risk_id]}

    def person(self, person_id: Any) -> str:
        """A known person's id (404 otherwise)."""
        return str(self.ledger.load(Person, person_id).id)

    def person_acting(self) -> Person:
        """The acting person (the system actor names nobody)."""
        person = self.ledger.writer()
        if person is None:
            raise PermissionDenied("time and sign-offs are recorded by a named person",
                                   code="named_person_required",
                                   actor_id=current_context().actor_id)
        return person
