"""On-call rotations: roster, weekly shifts, fair plans, overrides, swaps, escalation policy.

Every event that moves shifts carries ``shifts`` (the new state of each touched week) and
``changes`` (who gained or lost which shift), so notices and read models follow from the event.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.domain import event

from domain.base import LedgerAggregate, now
from domain.errors import DomainError
from domain.oncall.handover import (
    check_timezone,
    next_week_start,
    shift_bounds,
    week_start_for,
    weeks_overlapping,
)
from domain.oncall.planner import Plan, plan_rotation

ROLES = ("primary", "secondary")
DEFAULT_POLICY: dict[str, Any] = {
    "ack_minutes": 15,
    "resolve_minutes": 30,
    "major_outage_percent": 50,
    "engineering_lead_id": None,
    "executive_id": None,
}
"""The guide's escalation path: L1 primary → L2 secondary → L3 engineering lead → executive."""

MIN_WEEKS = 4
OVERRIDE_GRACE = timedelta(minutes=5)
"""An interval override may start this long before now ("from now on", sent a moment late)."""


class Rotation(LedgerAggregate):
    """A team's weekly on-call rotation in its own time zone."""

    @event("Created")
    def __init__(self, name: str, timezone: str, handover_weekday: int, handover_time: str,
                 roster: list[str], policy: dict[str, Any]) -> None:
        self.name = name
        self.timezone = timezone
        self.handover_weekday = handover_weekday
        self.handover_time = handover_time
        self.roster = list(roster)
        self.unavailability: list[dict[str, str]] = []
        self.shifts: dict[str, dict[str, Any]] = {}
        self.swaps: dict[str, dict[str, Any]] = {}
        self.covers: dict[str, dict[str, Any]] = {}
        """Interval overrides by id: someone covers a role for part of a shift."""
        self.policy = dict(policy)
        self.policy_version = 1

    @classmethod
    def create(cls, name: str, timezone: str, roster: list[str], handover_weekday: int = 0,
               handover_time: str = "09:00") -> Rotation:
        """Create a rotation after checking its time zone and roster."""
        try:
            check_timezone(timezone)
        except ValueError as exc:
            raise UnknownTimezone(str(exc), timezone=timezone) from None
        check_roster(roster)
        return cls(name=name, timezone=timezone, handover_weekday=handover_weekday,
                   handover_time=handover_time, roster=list(dict.fromkeys(roster)),
                   policy=dict(DEFAULT_POLICY))

    # -- time -----------------------------------------------------------------------------------

    def week_of(self, moment: datetime) -> date:
        """The hand-over date of the shift containing ``moment``."""
        return week_start_for(moment, self.timezone, self.handover_weekday, self.handover_time)

    def shift(self, week: date, primary: str | None, secondary: str | None) -> dict[str, Any]:
        """A shift record for the week starting on ``week``."""
        start, end = shift_bounds(week, self.timezone, self.handover_time)
        return {"week_start": week.isoformat(), "starts_at": start.isoformat(),
                "ends_at": end.isoformat(), "primary_id": primary, "secondary_id": secondary}

    def oncall_at(self, moment: datetime) -> dict[str, str | None]:
        """Who is primary and secondary at ``moment`` (None where nobody is): the person
        covering an interval override in force, else the scheduled one."""
        week = self.week_of(moment).isoformat()
        shift = self.shifts.get(week, {})
        result = {"primary_id": shift.get("primary_id"),
                  "secondary_id": shift.get("secondary_id")}
        for cover in self.covers.values():
            if cover["week_start"] == week and cover_in_force(cover, moment):
                result[f"{cover['role']}_id"] = cover["person_id"]
        return result

    def week_covers(self, week: str) -> list[dict[str, Any]]:
        """The interval overrides of one week, by start."""
        return sorted((c for c in self.covers.values() if c["week_start"] == week),
                      key=lambda c: c["starts_at"])

    def _check_future(self, week: str) -> None:
        if week not in self.shifts:
            raise ShiftNotPlanned(f"no shift is planned for the week of {week}", week_start=week)
        if datetime.fromisoformat(self.shifts[week]["ends_at"]) <= now():
            raise ShiftEnded(f"the shift of the week of {week} has ended", week_start=week)

    # -- planning -------------------------------------------------------------------------------

    def plan(self, weeks: int, start: date | None = None) -> None:
        """Plan ``weeks`` weeks fairly from ``start`` (default: the next unplanned hand-over)."""
        if weeks < MIN_WEEKS:
            raise HorizonTooShort(f"plan at least {MIN_WEEKS} weeks ahead", weeks=weeks)
        first = start or self._default_start()
        if first.weekday() != self.handover_weekday:
            raise NotAHandoverDate(f"{first.isoformat()} is not a hand-over day",
                                   start=first.isoformat())
        previous = self.shifts.get((first - timedelta(days=7)).isoformat(), {})
        result = plan_rotation(self.roster, weeks, self._unavailable(first, weeks),
                               previous.get("primary_id"))
        if not isinstance(result, Plan):
            raise PlanImpossible(result.message, reason=result.code, week=(
                (first + timedelta(days=7 * result.week)).isoformat()
                if result.week is not None else None), **result.details)
        new = [self.shift(first + timedelta(days=7 * i), p, s)
               for i, (p, s) in enumerate(result.weeks)]
        self._planned(shifts=new, changes=self._changes(new))

    def _default_start(self) -> date:
        current = self.week_of(now())
        if current.isoformat() not in self.shifts:
            return current
        return next_week_start(now(), self.timezone, self.handover_weekday, self.handover_time)

    def _unavailable(self, first: date, weeks: int) -> dict[str, set[int]]:
        result: dict[str, set[int]] = {}
        for entry in self.unavailability:
            hits = weeks_overlapping(date.fromisoformat(entry["start"]),
                                     date.fromisoformat(entry["end"]), first, weeks)
            result.setdefault(entry["person_id"], set()).update(hits)
        return result

    def _changes(self, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Who gained and who lost which shift when ``new`` replaces the current weeks."""
        changes = []
        for shift in new:
            old = self.shifts.get(shift["week_start"], {})
            for role in ROLES:
                before, after = old.get(f"{role}_id"), shift[f"{role}_id"]
                if before == after:
                    continue
                for person, change in ((before, "removed"), (after, "assigned")):
                    if person:
                        changes.append({"person_id": person, "week_start": shift["week_start"],
                                        "starts_at": shift["starts_at"], "role": role,
                                        "change": change})
        return changes

    @event("Planned")
    def _planned(self, shifts: list[dict[str, Any]], changes: list[dict[str, Any]]) -> None:
        self._apply(shifts)

    def _apply(self, shifts: list[dict[str, Any]]) -> None:
        for shift in shifts:
            self.shifts[shift["week_start"]] = dict(shift)

    # -- roster and availability -----------------------------------------------------------------

    def change_roster(self, roster: list[str]) -> None:
        """Replace the roster; future shifts of removed people become vacant (a coverage gap)."""
        check_roster(roster)
        roster = list(dict.fromkeys(roster))
        removed = set(self.roster) - set(roster)
        current = self.week_of(now()).isoformat()
        vacated = []
        for week, shift in sorted(self.shifts.items()):
            if week <= current:
                continue
            if shift["primary_id"] in removed or shift["secondary_id"] in removed:
                vacated.append({**shift, **{f"{r}_id": None for r in ROLES
                                           if shift[f"{r}_id"] in removed}})
        self._roster_changed(roster=roster, shifts=vacated, changes=self._changes(vacated))

    @event("RosterChanged")
    def _roster_changed(self, roster: list[str], shifts: list[dict[str, Any]],
                        changes: list[dict[str, Any]]) -> None:
        self.roster = list(roster)
        self._apply(shifts)

    def declare_unavailable(self, person_id: str, start: date, end: date) -> None:
        """Record that a roster member cannot be on call between two local dates (inclusive)."""
        if person_id not in self.roster:
            raise NotOnRoster("only people on the roster declare unavailability",
                              person_id=person_id)
        if end < start:
            raise InvalidPeriod("the period must end on or after its start",
                                start=start.isoformat(), end=end.isoformat())
        self._unavailable_declared(person_id=person_id, start=start.isoformat(),
                                   end=end.isoformat())

    @event("UnavailabilityDeclared")
    def _unavailable_declared(self, person_id: str, start: str, end: str) -> None:
        self.unavailability.append({"person_id": person_id, "start": start, "end": end})

    # -- overrides and swaps ---------------------------------------------------------------------

    def override(self, week_start: str, role: str, person_id: str) -> None:
        """Put ``person_id`` on ``role`` for one planned week (who and why are on the event)."""
        self._check_future(week_start)
        shift = dict(self.shifts[week_start])
        other = "secondary" if role == "primary" else "primary"
        if shift[f"{other}_id"] == person_id:
            raise PrimaryIsSecondary("the same person cannot be primary and secondary",
                                     week_start=week_start, person_id=person_id)
        if shift[f"{role}_id"] == person_id:
            raise AlreadyOnShift("this person already holds that shift", week_start=week_start)
        if any(c["person_id"] == person_id and c["role"] == other
               for c in self.week_covers(week_start)):
            raise PrimaryIsSecondary(f"this person covers part of the week as {other}, so "
                                     f"cannot be {role} for the whole week",
                                     week_start=week_start, person_id=person_id)
        shift[f"{role}_id"] = person_id
        self._overridden(week_start=week_start, role=role, person_id=person_id,
                         shifts=[shift], changes=self._changes([shift]))

    @event("ShiftOverridden")
    def _overridden(self, week_start: str, role: str, person_id: str,
                    shifts: list[dict[str, Any]], changes: list[dict[str, Any]]) -> None:
        self._apply(shifts)

    def override_interval(self, cover_id: str, role: str, person_id: str, start: datetime,
                          end: datetime) -> dict[str, Any]:
        """Put ``person_id`` on ``role`` for [start, end), inside one planned shift (e.g.
        Tuesday 18:00 to Wednesday 09:00); outside it the scheduled person stays on call.

        Refused when the interval is empty, already past, not inside one planned shift, or
        overlaps another override of the role; when the person already holds the role then,
        would be primary and secondary at once, or declared themselves unavailable."""
        if end <= start:
            raise InvalidPeriod("the override must end after it starts",
                                start=start.isoformat(), end=end.isoformat())
        if start < now() - OVERRIDE_GRACE:
            raise OverrideInPast("an override cannot start in the past",
                                 start=start.isoformat())
        week = self.week_of(start).isoformat()
        if week not in self.shifts:
            raise ShiftNotPlanned(f"no shift is planned for the week of {week}",
                                  week_start=week)
        shift = self.shifts[week]
        if end > datetime.fromisoformat(shift["ends_at"]):
            raise OutsideShift(f"the override must lie within one shift: the shift of the week "
                               f"of {week} ends at {shift['ends_at']}", week_start=week,
                               shift_ends_at=shift["ends_at"])
        cover = {"id": cover_id, "week_start": week, "role": role, "person_id": person_id,
                 "replaced_id": shift[f"{role}_id"], "starts_at": start.isoformat(),
                 "ends_at": end.isoformat()}
        self._check_cover(cover, shift)
        changes = [{"person_id": person_id, "week_start": week, "starts_at": cover["starts_at"],
                    "ends_at": cover["ends_at"], "role": role, "change": "assigned"}]
        if cover["replaced_id"]:
            changes.append({**changes[0], "person_id": cover["replaced_id"],
                            "change": "removed"})
        self._interval_overridden(cover_id=cover_id, **{k: v for k, v in cover.items()
                                                        if k != "id"}, changes=changes)
        return dict(self.covers[cover_id])

    def _check_cover(self, cover: dict[str, Any], shift: dict[str, Any]) -> None:
        role, person, week = cover["role"], cover["person_id"], cover["week_start"]
        start, end = (datetime.fromisoformat(cover[k]) for k in ("starts_at", "ends_at"))
        covers = self.week_covers(week)
        for other in covers:
            if other["role"] == role and overlaps(other, start, end):
                raise OverrideOverlaps("another override of this role overlaps the interval",
                                       override_id=other["id"], starts_at=other["starts_at"],
                                       ends_at=other["ends_at"])
        if shift[f"{role}_id"] == person:
            raise AlreadyOnShift("this person already holds that shift", week_start=week)
        other_role = "secondary" if role == "primary" else "primary"
        for segment in segments(shift, covers, other_role):
            if segment["person_id"] == person and overlaps(segment, start, end):
                raise PrimaryIsSecondary(f"this person is {other_role} during the interval and "
                                         "cannot be primary and secondary at once",
                                         week_start=week, person_id=person)
        zone_dates = (start.astimezone(ZoneInfo(self.timezone)).date(),
                      (end - timedelta(microseconds=1)).astimezone(ZoneInfo(self.timezone)).date())
        for entry in self.unavailability:
            if entry["person_id"] == person and entry["start"] <= zone_dates[1].isoformat() \
                    and entry["end"] >= zone_dates[0].isoformat():
                raise PersonUnavailable("this person declared themselves unavailable then",
                                        person_id=person, start=entry["start"],
                                        end=entry["end"])

    @event("IntervalOverridden")
    def _interval_overridden(self, cover_id: str, week_start: str, role: str,
                             person_id: str, replaced_id: str | None, starts_at: str,
                             ends_at: str, changes: list[dict[str, Any]]) -> None:
        self.covers[cover_id] = {"id": cover_id, "week_start": week_start, "role": role,
                           "person_id": person_id, "replaced_id": replaced_id,
                           "starts_at": starts_at, "ends_at": ends_at}

    def cancel_interval_override(self, cover_id: str) -> dict[str, Any]:
        """Withdraw an interval override: entirely when it has not started, else it ends now
        (the part already served stays on the record). Refused once it is over."""
        cover = self.covers.get(cover_id)
        if cover is None:
            raise OverrideNotFound(f"no interval override {cover_id} in this rotation",
                                   override_id=cover_id)
        moment = now()
        if datetime.fromisoformat(cover["ends_at"]) <= moment:
            raise OverrideEnded("the override is over", override_id=cover_id,
                                ends_at=cover["ends_at"])
        started = datetime.fromisoformat(cover["starts_at"]) < moment
        ends_at = moment.isoformat() if started else None
        scheduled = self.shifts.get(cover["week_start"], {}).get(f"{cover['role']}_id")
        change = {"week_start": cover["week_start"], "starts_at": ends_at or cover["starts_at"],
                  "ends_at": cover["ends_at"], "role": cover["role"]}
        changes = [{**change, "person_id": cover["person_id"], "change": "removed"}]
        if scheduled:
            changes.append({**change, "person_id": scheduled, "change": "assigned"})
        self._interval_override_cancelled(cover_id=cover_id, ends_at=ends_at, changes=changes)
        return dict(self.covers.get(cover_id, cover))

    @event("IntervalOverrideCancelled")
    def _interval_override_cancelled(self, cover_id: str, ends_at: str | None,
                                     changes: list[dict[str, Any]]) -> None:
        if ends_at is None:
            self.covers.pop(cover_id, None)
        else:
            self.covers[cover_id] = {**self.covers[cover_id], "ends_at": ends_at}

    def request_swap(self, swap_id: str, requester_id: str, counterpart_id: str, role: str,
                     week_start: str, return_week_start: str | None = None) -> None:
        """Ask ``counterpart_id`` to take the requester's shift (and give theirs back, if set)."""
        self._swapped_shifts(requester_id, counterpart_id, role, week_start, return_week_start)
        self._swap_requested(swap_id=swap_id, requester_id=requester_id,
                             counterpart_id=counterpart_id, role=role, week_start=week_start,
                             return_week_start=return_week_start)

    def _swapped_shifts(self, requester: str, counterpart: str, role: str, week: str,
                        back: str | None) -> list[dict[str, Any]]:
        key = f"{role}_id"
        self._check_future(week)
        if self.shifts[week][key] != requester:
            raise NotYourShift(f"the requester is not {role} in the week of {week}",
                               week_start=week)
        moves = [(week, counterpart)]
        if back:
            self._check_future(back)
            if self.shifts[back][key] != counterpart:
                raise CounterpartNotOnShift(f"the counterpart is not {role} in the week of "
                                            f"{back}", week_start=back)
            moves.append((back, requester))
        result = []
        for w, person in moves:
            shift = {**self.shifts[w], key: person}
            if shift["primary_id"] == shift["secondary_id"]:
                raise PrimaryIsSecondary("the swap would make one person primary and "
                                         "secondary", week_start=w)
            result.append(shift)
        return result

    @event("SwapRequested")
    def _swap_requested(self, swap_id: str, requester_id: str, counterpart_id: str, role: str,
                        week_start: str, return_week_start: str | None) -> None:
        self.swaps[swap_id] = {"id": swap_id, "requester_id": requester_id,
                               "counterpart_id": counterpart_id, "role": role,
                               "week_start": week_start, "return_week_start": return_week_start,
                               "status": "requested"}

    def _pending_swap(self, swap_id: str) -> dict[str, Any]:
        swap = self.swaps.get(swap_id)
        if swap is None:
            raise SwapNotFound(f"no swap {swap_id} in this rotation", swap_id=swap_id)
        if swap["status"] != "requested":
            raise SwapNotPending(f"the swap is already {swap['status']}", swap_id=swap_id)
        return swap

    def accept_swap(self, swap_id: str, by: str, is_admin: bool = False) -> None:
        """Accept a swap: only its counterpart or an admin may; the shifts move now."""
        swap = self._pending_swap(swap_id)
        if by != swap["counterpart_id"] and not is_admin:
            raise NotSwapCounterpart("only the person asked (or an admin) may accept a swap",
                                     swap_id=swap_id)
        shifts = self._swapped_shifts(swap["requester_id"], swap["counterpart_id"], swap["role"],
                                      swap["week_start"], swap["return_week_start"])
        self._swap_accepted(swap_id=swap_id, shifts=shifts, changes=self._changes(shifts))

    @event("SwapAccepted")
    def _swap_accepted(self, swap_id: str, shifts: list[dict[str, Any]],
                       changes: list[dict[str, Any]]) -> None:
        self.swaps[swap_id]["status"] = "accepted"
        self._apply(shifts)

    def decline_swap(self, swap_id: str, by: str, is_admin: bool = False) -> None:
        """Decline a swap (its counterpart, its requester or an admin)."""
        swap = self._pending_swap(swap_id)
        if by not in (swap["counterpart_id"], swap["requester_id"]) and not is_admin:
            raise NotSwapCounterpart("only the people in the swap (or an admin) may decline it",
                                     swap_id=swap_id)
        self._swap_declined(swap_id=swap_id)

    @event("SwapDeclined")
    def _swap_declined(self, swap_id: str) -> None:
        self.swaps[swap_id]["status"] = "declined"

    # -- escalation policy ------------------------------------------------------------------------

    def change_policy(self, **changes: Any) -> None:
        """Amend the escalation policy; incidents keep the version in force when they opened."""
        policy = {**self.policy, **{k: v for k, v in changes.items() if k in DEFAULT_POLICY}}
        if policy["ack_minutes"] < 1 or policy["resolve_minutes"] < 1:
            raise InvalidPolicy("escalation delays must be at least one minute")
        self._policy_changed(version=self.policy_version + 1, policy=policy)

    @event("EscalationPolicyChanged")
    def _policy_changed(self, version: int, policy: dict[str, Any]) -> None:
        self.policy = dict(policy)
        self.policy_version = version

    def policy_snapshot(self) -> dict[str, Any]:
        """The policy in force, with its version (copied onto each new incident)."""
        return {**self.policy, "version": self.policy_version}


def cover_in_force(cover: dict[str, Any], moment: datetime) -> bool:
    """Whether an interval override covers ``moment`` (its end excluded)."""
    return datetime.fromisoformat(cover["starts_at"]) <= moment < datetime.fromisoformat(
        cover["ends_at"])


def overlaps(interval: dict[str, Any], start: datetime, end: datetime) -> bool:
    """Whether ``interval`` (ISO ``starts_at``/``ends_at`` or datetimes) overlaps [start, end)."""
    a, b = (v if isinstance(v, datetime) else datetime.fromisoformat(v)
            for v in (interval["starts_at"], interval["ends_at"]))
    return a < end and start < b


def segments(shift: dict[str, Any], covers: list[dict[str, Any]],
             role: str) -> list[dict[str, Any]]:
    """Who holds ``role`` through one shift, in time order: the scheduled person around each
    interval override of the role, the covering person during it. Each segment has
    ``starts_at``/``ends_at`` (datetimes), ``person_id`` and ``cover`` (the override, or None)."""
    start, end = (_dt(shift[k]) for k in ("starts_at", "ends_at"))
    scheduled = shift.get(f"{role}_id")
    result: list[dict[str, Any]] = []
    cursor = start
    for cover in sorted((c for c in covers if c["role"] == role),
                        key=lambda c: _dt(c["starts_at"])):
        a, b = max(_dt(cover["starts_at"]), start), min(_dt(cover["ends_at"]), end)
        if a >= b:
            continue
        if cursor < a:
            result.append({"starts_at": cursor, "ends_at": a, "person_id": scheduled,
                           "cover": None})
        result.append({"starts_at": a, "ends_at": b, "person_id": cover["person_id"],
                       "cover": cover})
        cursor = max(cursor, b)
    if cursor < end:
        result.append({"starts_at": cursor, "ends_at": end, "person_id": scheduled,
                       "cover": None})
    return result


def _dt(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def check_roster(roster: list[str]) -> None:
    """Refuse a roster with fewer than two people."""
    if len(set(roster)) < 2:
        raise RosterTooSmall("a rotation needs at least two people", size=len(set(roster)))


class UnknownTimezone(DomainError):
    """Raised when a rotation names a time zone zoneinfo does not know."""

    code = "unknown_timezone"


class RosterTooSmall(DomainError):
    """Raised when a roster has fewer than two people."""

    code = "roster_too_small"


class HorizonTooShort(DomainError):
    """Raised when a plan covers fewer than four weeks."""

    code = "plan_horizon_too_short"


class NotAHandoverDate(DomainError):
    """Raised when a plan starts on a day that is not the rotation's hand-over day."""

    code = "not_a_handover_date"


class PlanImpossible(DomainError):
    """Raised when no plan meets the fairness rules (details say why)."""

    code = "plan_impossible"


class NotOnRoster(DomainError):
    """Raised when someone outside the roster declares unavailability."""

    code = "not_on_roster"


class InvalidPeriod(DomainError):
    """Raised when a period ends before it starts."""

    code = "invalid_period"


class ShiftNotPlanned(DomainError):
    """Raised when a week has no planned shift."""

    code = "shift_not_planned"


class ShiftEnded(DomainError):
    """Raised when changing a shift that is over."""

    code = "shift_ended"


class PrimaryIsSecondary(DomainError):
    """Raised when a change would make one person primary and secondary in the same week."""

    code = "primary_is_secondary"


class OverrideInPast(DomainError):
    """Raised when an interval override starts in the past."""

    code = "override_in_past"


class OutsideShift(DomainError):
    """Raised when an interval override does not lie within one planned shift."""

    code = "override_outside_shift"


class OverrideOverlaps(DomainError):
    """Raised when an interval override overlaps another override of the same role."""

    code = "override_overlaps"


class OverrideNotFound(DomainError):
    """Raised when cancelling an interval override the rotation does not have."""

    code = "override_not_found"


class OverrideEnded(DomainError):
    """Raised when cancelling an interval override that is over."""

    code = "override_ended"


class PersonUnavailable(DomainError):
    """Raised when the covering person declared unavailability during the interval."""

    code = "person_unavailable"


class AlreadyOnShift(DomainError):
    """Raised when an override names the person who already holds the shift."""

    code = "already_on_shift"


class NotYourShift(DomainError):
    """Raised when someone asks to swap a shift they do not hold."""

    code = "not_your_shift"


class CounterpartNotOnShift(DomainError):
    """Raised when the shift offered in return is not the counterpart's."""

    code = "counterpart_not_on_shift"


class SwapNotFound(DomainError):
    """Raised when a swap id is unknown in the rotation."""

    code = "swap_not_found"


class SwapNotPending(DomainError):
    """Raised when accepting or declining a swap that is already settled."""

    code = "swap_not_pending"


class NotSwapCounterpart(DomainError):
    """Raised when someone other than the counterpart (or an admin) accepts a swap."""

    code = "not_swap_counterpart"


class InvalidPolicy(DomainError):
    """Raised when an escalation policy has impossible delays."""

    code = "invalid_escalation_policy"
