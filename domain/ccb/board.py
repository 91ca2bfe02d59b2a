"""Change Control Boards: chair, members with their functions, and a charter amended by events."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

TIE_BREAKERS = ("chair", "status_quo", "defer")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FREQUENCIES = ("weekly", "biweekly", "monthly")

DEFAULT_CHARTER: dict[str, Any] = {
    "quorum_min_members": 3,
    "quorum_min_functions": 3,
    "proxies_count_toward_quorum": False,
    "tie_breaker": "chair",
    "requester_may_vote": False,
    "timebox_minutes": 120,
    "timezone": "UTC",
    "cadence_frequency": "biweekly",
    "cadence_weekday": "wednesday",
    "cadence_start": "14:00",
    "cadence_end": "16:00",
    "chair_delegate_id": None,
}
"""The charter of DOMAIN.md (T4.1); every field can be overridden at creation or amended."""


def charter_with(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Return the default charter with ``overrides`` applied (unknown keys refused)."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None or
                 k == "chair_delegate_id"}
    unknown = set(overrides) - set(DEFAULT_CHARTER)
    if unknown:
        raise UnknownCharterField(f"unknown charter fields: {', '.join(sorted(unknown))}",
                                  fields=sorted(unknown))
    return {**DEFAULT_CHARTER, **overrides}


def series_slots(charter: dict[str, Any], first_day: date,
                 count: int) -> list[tuple[datetime, datetime]]:
    """The next ``count`` meeting slots from the charter's cadence, from ``first_day`` on.

    Times are wall-clock times in the board's time zone (daylight saving respected), returned
    in UTC. ``monthly`` means the first such weekday of each month.
    """
    zone = ZoneInfo(charter["timezone"])
    weekday = WEEKDAYS.index(charter["cadence_weekday"])
    start_t, end_t = (time.fromisoformat(charter[k]) for k in ("cadence_start", "cadence_end"))
    day = first_day + timedelta(days=(weekday - first_day.weekday()) % 7)
    days = []
    while len(days) < count:
        if charter["cadence_frequency"] == "monthly":
            first = day.replace(day=1)
            day = first + timedelta(days=(weekday - first.weekday()) % 7)
            if day < first_day:
                day = _next_month(day, weekday)
                continue
            days.append(day)
            day = _next_month(day, weekday)
        else:
            days.append(day)
            day += timedelta(days=7 if charter["cadence_frequency"] == "weekly" else 14)
    return [(datetime.combine(d, start_t, zone).astimezone(timezone.utc),
             datetime.combine(d, end_t, zone).astimezone(timezone.utc)) for d in days]


def _next_month(day: date, weekday: int) -> date:
    first = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


class Board(LedgerAggregate):
    """A Change Control Board with its charter and its queue of items for the next meeting."""

    @event("Created")
    def __init__(self, name: str, chair_id: str, members: dict[str, str],
                 charter: dict[str, Any]) -> None:
        self.name = name
        self.chair_id = chair_id
        self.members = dict(members)
        self.charter = dict(charter)
        self.queue: dict[str, str] = {}
        self.former_members: dict[str, str] = {}
        """Person id → when they last left the board (ISO 8601): they may no longer act."""

    @classmethod
    def create(cls, name: str, chair_id: str, members: dict[str, str],
               charter: dict[str, Any]) -> Board:
        """Create a board; the chair is always a member, the delegate must be one."""
        if chair_id not in members:
            raise ChairNotMember("the chair must be one of the members", chair_id=chair_id)
        board = cls(name=name, chair_id=chair_id, members=members, charter=charter)
        board.check_delegate(charter.get("chair_delegate_id"))
        return board

    # -- charter ---------------------------------------------------------------------------------

    def amend_charter(self, changes: dict[str, Any]) -> None:
        """Amend the charter (the reason travels in the command context)."""
        merged = {**self.charter, **changes}
        charter_with(merged)
        self.check_delegate(merged.get("chair_delegate_id"))
        changed = {k: v for k, v in changes.items() if self.charter.get(k) != v}
        if not changed:
            raise NothingToAmend("the amendment changes nothing", fields=sorted(changes))
        self._amend_charter(changes=changed, charter=merged)

    @event("CharterAmended")
    def _amend_charter(self, changes: dict[str, Any], charter: dict[str, Any]) -> None:
        self.charter = dict(charter)

    def check_delegate(self, delegate_id: str | None) -> None:
        """The chair's named delegate must be a member other than the chair."""
        if delegate_id and (delegate_id not in self.members or delegate_id == self.chair_id):
            raise NotAMember("the chair's delegate must be another member of the board",
                             person_id=delegate_id)

    # -- membership over time (amendments with a reason) ----------------------------------------

    def add_member(self, person_id: str, function: str) -> None:
        """A person joins the board with a function (the reason travels in the context)."""
        if person_id in self.members:
            raise AlreadyAMember("this person already sits on the board", person_id=person_id,
                                 board_id=str(self.id))
        self._member_joined(person_id=person_id, function=function)

    @event("MemberJoined")
    def _member_joined(self, person_id: str, function: str) -> None:
        self.members[person_id] = function
        self.former_members.pop(person_id, None)

    def remove_member(self, person_id: str) -> None:
        """A member leaves the board; from now on they can neither vote nor hold a proxy."""
        self.check_member(person_id)
        if person_id == self.chair_id:
            raise ChairCannotLeave("the chair cannot leave the board", person_id=person_id)
        if person_id == self.charter.get("chair_delegate_id"):
            raise DelegateCannotLeave("the chair's delegate cannot leave: amend the charter's "
                                      "chair_delegate_id first", person_id=person_id)
        self._member_left(person_id=person_id, function=self.members[person_id])

    @event("MemberLeft")
    def _member_left(self, person_id: str, function: str) -> None:
        self.members.pop(person_id, None)
        self.former_members[person_id] = self.modified_on.isoformat()

    def change_member_function(self, person_id: str, function: str) -> None:
        """A member changes the function they hold on the board (counted for quorum from now)."""
        self.check_member(person_id)
        if self.members[person_id] == function:
            raise NothingToAmend("the member already holds this function",
                                 fields=["function"])
        self._function_changed(person_id=person_id, function=function,
                               previous=self.members[person_id])

    @event("MemberFunctionChanged")
    def _function_changed(self, person_id: str, function: str, previous: str) -> None:
        self.members[person_id] = function

    # -- people ----------------------------------------------------------------------------------

    def is_member(self, person_id: str | None) -> bool:
        """Whether ``person_id`` sits on the board now (the membership in force)."""
        return person_id in self.members

    def check_member(self, person_id: str) -> None:
        """Refuse someone who does not sit on the board now (naming it when they left)."""
        if self.is_member(person_id):
            return
        if person_id in self.former_members:
            raise MemberLeft(f"this person left the board at {self.former_members[person_id]} "
                             "and may no longer act as a member", person_id=person_id,
                             board_id=str(self.id), left_at=self.former_members[person_id])
        raise NotAMember("this person is not a member of the board", person_id=person_id,
                         board_id=str(self.id))

    def is_chair_or_delegate(self, person_id: str | None) -> bool:
        """Whether ``person_id`` is the chair or the chair's named delegate."""
        return person_id is not None and person_id in (
            self.chair_id, self.charter.get("chair_delegate_id"))

    # -- queue for the next meeting held ---------------------------------------------------------

    @event("ItemQueued")
    def queue_item(self, change_request_id: str, why: str) -> None:
        """Queue a change request for the board's next meeting held (deferral, ratification)."""
        self.queue[change_request_id] = why

    @event("QueueTaken")
    def take_queue(self, meeting_id: str, change_request_ids: list[str]) -> None:
        """Record that a meeting took these queued items onto its agenda."""
        for change_id in change_request_ids:
            self.queue.pop(change_id, None)


class NotAMember(DomainError):
    """Raised when a person who does not sit on the board acts as a member."""

    code = "not_a_member"


class ChairNotMember(DomainError):
    """Raised when a board's chair is not among its members."""

    code = "chair_not_member"


class UnknownCharterField(DomainError):
    """Raised when a charter names a field that does not exist."""

    code = "unknown_charter_field"


class NothingToAmend(DomainError):
    """Raised when a charter amendment would change nothing."""

    code = "nothing_to_amend"


class MemberLeft(NotAMember):
    """Raised when a person who left the board acts as a member (votes, holds a proxy…)."""

    code = "member_left"


class AlreadyAMember(DomainError):
    """Raised when a person who sits on the board joins it again."""

    code = "already_a_member"


class ChairCannotLeave(DomainError):
    """Raised when the chair is removed from the board."""

    code = "chair_cannot_leave"


class DelegateCannotLeave(DomainError):
    """Raised when the chair's named delegate is removed before the charter names another."""

    code = "delegate_cannot_leave"
