"""The Track 4 programme: activities with owners, timeboxes, prerequisites and logged time;
sign-offs of the judgement criteria; the guide's risks with mitigation, owner and status."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError, NotFound
from domain.programme.guide import (
    ACTIVITIES,
    CRITERION_IDS,
    GUIDE_ESTIMATE,
    RISKS,
    SIGN_OFF_CRITERIA,
)

ACTIVITY_STATUSES = ("planned", "in_progress", "completed")
RISK_STATUSES = ("open", "mitigating", "occurred", "closed")
EDITABLE = ("name", "owner_id", "owner_function", "timebox_hours", "prerequisites")
RISK_EDITABLE = ("mitigation", "owner_id", "owner_function", "status")
SIGN_OFF_FUNCTIONS_REQUIRED = 2
"""A judgement criterion is met when people of at least this many functions signed it off."""

PROGRAMME_ID: UUID = uuid5(NAMESPACE_URL, "govledger:programme:track-4")
"""The ledger runs one Track 4 programme; its id is fixed, so a second creation is refused."""


class Programme(LedgerAggregate):
    """Track 4 run as a programme: the guide's tables, seeded when it is created."""

    @event("Created")
    def __init__(self, name: str, activities: list[dict[str, Any]],
                 risks: list[dict[str, Any]], estimate: dict[str, Any]) -> None:
        self.name = name
        self.activities = {a["id"]: {**a, "status": "planned"} for a in activities}
        self.risks = {r["id"]: dict(r) for r in risks}
        self.estimate = dict(estimate)
        self.sign_offs: dict[tuple[str, str], dict[str, Any]] = {}

    @staticmethod
    def create_id(**_: object) -> UUID:
        """One programme: a second creation conflicts."""
        return PROGRAMME_ID

    @classmethod
    def create(cls, name: str) -> Programme:
        """A programme seeded with the guide's activities and risks."""
        return cls(name=name, activities=copy.deepcopy(ACTIVITIES), risks=copy.deepcopy(RISKS),
                   estimate=dict(GUIDE_ESTIMATE))

    # -- activities -------------------------------------------------------------------------

    def activity(self, activity_id: str) -> dict[str, Any]:
        """One activity (NotFound when the id is unknown)."""
        if activity_id not in self.activities:
            raise NotFound(f"no activity {activity_id!r} in the programme",
                           activity_id=activity_id)
        return self.activities[activity_id]

    def edit_activity(self, activity_id: str, changes: Mapping[str, Any]) -> None:
        """Change an activity's name, owner, timebox or prerequisites (admins, app-checked)."""
        activity = self.activity(activity_id)
        changes = {k: v for k, v in changes.items() if k in EDITABLE and activity.get(k) != v}
        if "prerequisites" in changes:
            self.check_prerequisite_ids(activity_id, changes["prerequisites"])
            changes["prerequisites"] = list(changes["prerequisites"])
        if changes:
            self._edit_activity(activity_id=activity_id, changes=dict(changes))

    def check_prerequisite_ids(self, activity_id: str, prerequisites: Iterable[str]) -> None:
        """Every prerequisite names another activity or a criterion, without a cycle."""
        for prerequisite in prerequisites:
            if prerequisite == activity_id:
                raise InvalidPrerequisite("an activity cannot be its own prerequisite",
                                          activity_id=activity_id)
            if prerequisite not in self.activities and prerequisite not in CRITERION_IDS:
                raise InvalidPrerequisite(f"unknown prerequisite {prerequisite!r}: name an "
                                          "activity or a success criterion",
                                          prerequisite=prerequisite)
            if activity_id in self.depends_on(prerequisite):
                raise InvalidPrerequisite(f"{prerequisite!r} already depends on "
                                          f"{activity_id!r}", prerequisite=prerequisite)

    def depends_on(self, activity_id: str) -> set[str]:
        """Every activity ``activity_id`` needs, directly or through others."""
        seen: set[str] = set()
        todo = list(self.activities.get(activity_id, {}).get("prerequisites", []))
        while todo:
            current = todo.pop()
            if current not in seen and current in self.activities:
                seen.add(current)
                todo.extend(self.activities[current]["prerequisites"])
        return seen

    @event("ActivityEdited")
    def _edit_activity(self, activity_id: str, changes: dict[str, Any]) -> None:
        self.activities[activity_id].update(copy.deepcopy(changes))

    def start_activity(self, activity_id: str, met_criteria: Iterable[str]) -> None:
        """Start an activity: refused while a prerequisite is unmet, naming it."""
        activity = self.activity(activity_id)
        if activity["status"] != "planned":
            raise ActivityNotPlanned(f"the activity is {activity['status']}, not planned",
                                     activity_id=activity_id, status=activity["status"])
        unmet = unmet_prerequisites(activity["prerequisites"], self.activities, met_criteria)
        if unmet:
            raise PrerequisiteNotMet(
                f"prerequisite not met: {', '.join(unmet)}", activity_id=activity_id,
                prerequisites=unmet)
        self._start_activity(activity_id=activity_id)

    @event("ActivityStarted")
    def _start_activity(self, activity_id: str) -> None:
        self.activities[activity_id]["status"] = "in_progress"

    def complete_activity(self, activity_id: str) -> None:
        """Mark a started activity completed."""
        activity = self.activity(activity_id)
        if activity["status"] != "in_progress":
            raise ActivityNotStarted("only an activity in progress can be completed",
                                     activity_id=activity_id, status=activity["status"])
        self._complete_activity(activity_id=activity_id)

    @event("ActivityCompleted")
    def _complete_activity(self, activity_id: str) -> None:
        self.activities[activity_id]["status"] = "completed"

    def log_time(self, activity_id: str, person_id: str, hours: float, on: str,
                 note: str) -> None:
        """Record hours a person spent on an activity (``on`` an ISO date)."""
        self.activity(activity_id)
        self._log_time(activity_id=activity_id, person_id=person_id, hours=float(hours), on=on,
                       note=note)

    @event("TimeLogged")
    def _log_time(self, activity_id: str, person_id: str, hours: float, on: str,
                  note: str) -> None:
        pass

    # -- sign-offs --------------------------------------------------------------------------

    def sign_off(self, criterion_id: str, person_id: str, function: str, note: str) -> None:
        """A named person signs off a judgement criterion (once per person)."""
        if criterion_id not in SIGN_OFF_CRITERIA:
            raise NotASignOffCriterion(
                f"{criterion_id!r} is not a judgement criterion: it is derived from evidence",
                criterion_id=criterion_id, sign_off_criteria=sorted(SIGN_OFF_CRITERIA))
        if (criterion_id, person_id) in self.sign_offs:
            raise AlreadySignedOff("this person already signed off the criterion",
                                   criterion_id=criterion_id, person_id=person_id)
        self._sign_off(criterion_id=criterion_id, person_id=person_id, function=function,
                       note=note)

    @event("SignedOff")
    def _sign_off(self, criterion_id: str, person_id: str, function: str, note: str) -> None:
        self.sign_offs[(criterion_id, person_id)] = {"function": function, "note": note}

    def withdraw_sign_off(self, criterion_id: str, person_id: str) -> None:
        """A person takes back their own sign-off."""
        if (criterion_id, person_id) not in self.sign_offs:
            raise NotFound("no sign-off by this person on the criterion",
                           criterion_id=criterion_id, person_id=person_id)
        self._withdraw_sign_off(criterion_id=criterion_id, person_id=person_id)

    @event("SignOffWithdrawn")
    def _withdraw_sign_off(self, criterion_id: str, person_id: str) -> None:
        del self.sign_offs[(criterion_id, person_id)]

    # -- risks ------------------------------------------------------------------------------

    def update_risk(self, risk_id: str, changes: Mapping[str, Any]) -> None:
        """Change a risk's mitigation, owner or status."""
        if risk_id not in self.risks:
            raise NotFound(f"no risk {risk_id!r} in the programme", risk_id=risk_id)
        risk = self.risks[risk_id]
        changes = {k: v for k, v in changes.items() if k in RISK_EDITABLE and risk.get(k) != v}
        if changes:
            self._update_risk(risk_id=risk_id, changes=dict(changes))

    @event("RiskUpdated")
    def _update_risk(self, risk_id: str, changes: dict[str, Any]) -> None:
        self.risks[risk_id].update(changes)


def unmet_prerequisites(prerequisites: Iterable[str], activities: Mapping[str, Any],
                        met_criteria: Iterable[str]) -> list[str]:
    """The prerequisites not yet satisfied: an activity not completed, a criterion not met."""
    met = set(met_criteria)
    return [p for p in prerequisites
            if (p in activities and activities[p]["status"] != "completed")
            or (p not in activities and p not in met)]


def sign_off_status(functions: Iterable[str]) -> str:
    """A judgement criterion's status from its signers' functions: ``met`` with at least
    ``SIGN_OFF_FUNCTIONS_REQUIRED`` distinct functions, ``partly`` with fewer, else ``not_met``."""
    distinct = set(functions)
    if len(distinct) >= SIGN_OFF_FUNCTIONS_REQUIRED:
        return "met"
    return "partly" if distinct else "not_met"


class ProgrammeExists(DomainError):
    """Raised when a programme is created while one exists."""

    code = "programme_exists"


class InvalidPrerequisite(DomainError):
    """Raised when a prerequisite names nothing known, the activity itself, or makes a cycle."""

    code = "invalid_prerequisite"


class PrerequisiteNotMet(DomainError):
    """Raised when an activity is started before its prerequisites are met."""

    code = "prerequisite_not_met"


class ActivityNotPlanned(DomainError):
    """Raised when an activity already started or completed is started again."""

    code = "activity_not_planned"


class ActivityNotStarted(DomainError):
    """Raised when an activity not in progress is completed."""

    code = "activity_not_started"


class NotASignOffCriterion(DomainError):
    """Raised when a criterion derived from evidence is signed off by hand."""

    code = "not_a_sign_off_criterion"


class AlreadySignedOff(DomainError):
    """Raised when a person signs off the same criterion twice."""

    code = "already_signed_off"
