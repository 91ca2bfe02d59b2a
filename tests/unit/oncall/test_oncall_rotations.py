"""Rotations: DST-correct hand-overs, fair plans, overrides, swaps, roster changes, notices."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from domain.base import using_clock
from domain.oncall.handover import shift_bounds, week_start_for
from domain.oncall.planner import violations
from domain.oncall.rotation import (
    HorizonTooShort,
    NotSwapCounterpart,
    NotYourShift,
    PlanImpossible,
    PrimaryIsSecondary,
    RosterTooSmall,
    Rotation,
    ShiftEnded,
    UnknownTimezone,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

UTC = timezone.utc
MONDAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TEAM = ["ana", "ben", "cai", "dev", "eli"]


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    with using_clock(lambda: MONDAY):
        yield


def planned(roster: list[str] = TEAM, weeks: int = 6) -> Rotation:
    rotation = Rotation.create(name="Platform", timezone="Europe/Berlin", roster=roster)
    rotation.plan(weeks)
    return rotation


class TestHandOverTimes:
    def test_the_dst_week_is_167_hours_long_and_both_handovers_are_at_nine_local(self) -> None:
        start, end = shift_bounds(date(2026, 3, 23), "Europe/Berlin", "09:00")

        assert start == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
        assert end == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
        assert end - start == timedelta(hours=167)

    def test_the_autumn_dst_week_is_169_hours_long(self) -> None:
        start, end = shift_bounds(date(2026, 10, 19), "Europe/Berlin", "09:00")

        assert (start.hour, end.hour) == (7, 8)
        assert end - start == timedelta(hours=169)

    def test_a_moment_before_monday_nine_belongs_to_the_previous_week(self) -> None:
        early = datetime(2026, 3, 2, 7, 59, tzinfo=UTC)

        assert week_start_for(early, "Europe/Berlin", 0, "09:00") == date(2026, 2, 23)
        assert week_start_for(early + timedelta(minutes=1), "Europe/Berlin", 0,
                              "09:00") == date(2026, 3, 2)


class TestPlanning:
    def test_a_plan_covers_the_horizon_fairly_from_the_current_week(self) -> None:
        rotation = planned()

        weeks = sorted(rotation.shifts)
        pairs = [(rotation.shifts[w]["primary_id"], rotation.shifts[w]["secondary_id"])
                 for w in weeks]
        assert weeks[0] == "2026-03-02" and len(weeks) == 6
        assert violations(TEAM, pairs) == []

    def test_who_is_on_call_is_answered_for_any_moment(self) -> None:
        rotation = planned()
        shift = rotation.shifts["2026-03-09"]

        assert rotation.oncall_at(datetime(2026, 3, 12, 3, 0, tzinfo=UTC)) == {
            "primary_id": shift["primary_id"], "secondary_id": shift["secondary_id"]}

    def test_fewer_than_four_weeks_is_refused(self) -> None:
        rotation = Rotation.create(name="P", timezone="Europe/Berlin", roster=TEAM)

        with pytest.raises(HorizonTooShort):
            rotation.plan(3)

    def test_a_week_with_too_few_available_people_is_named(self) -> None:
        rotation = Rotation.create(name="P", timezone="UTC", roster=["ana", "ben"])
        rotation.declare_unavailable("ben", date(2026, 3, 10), date(2026, 3, 11))

        with pytest.raises(PlanImpossible) as refused:
            rotation.plan(4)

        assert refused.value.details["week"] == "2026-03-09"
        assert refused.value.details["reason"] == "too_few_available"

    def test_unavailability_is_respected(self) -> None:
        rotation = Rotation.create(name="P", timezone="Europe/Berlin", roster=TEAM)
        rotation.declare_unavailable("ana", date(2026, 3, 1), date(2026, 3, 20))

        rotation.plan(6)

        for week in ("2026-03-02", "2026-03-09", "2026-03-16"):
            assert "ana" not in (rotation.shifts[week]["primary_id"],
                                 rotation.shifts[week]["secondary_id"])

    def test_unknown_time_zones_and_tiny_rosters_are_refused(self) -> None:
        with pytest.raises(UnknownTimezone):
            Rotation.create(name="P", timezone="Mars/Olympus", roster=TEAM)
        with pytest.raises(RosterTooSmall):
            Rotation.create(name="P", timezone="UTC", roster=["ana"])

    def test_replanning_tells_each_person_which_shifts_moved(self) -> None:
        rotation = planned()
        rotation.collect_events()
        rotation.declare_unavailable(rotation.shifts["2026-03-16"]["primary_id"],
                                     date(2026, 3, 16), date(2026, 3, 22))

        rotation.plan(5, start=date(2026, 3, 9))

        event = rotation.collect_events()[-1]
        assert event.changes
        assert {c["change"] for c in event.changes} <= {"assigned", "removed"}
        assert all(c["week_start"] >= "2026-03-09" for c in event.changes)


class TestOverridesAndSwaps:
    def test_an_override_moves_one_shift_and_notifies_both_people(self) -> None:
        rotation = planned()
        shift = rotation.shifts["2026-03-09"]
        other = next(p for p in TEAM if p not in (shift["primary_id"], shift["secondary_id"]))

        rotation.override("2026-03-09", "primary", other)

        event = rotation.collect_events()[-1]
        assert rotation.shifts["2026-03-09"]["primary_id"] == other
        assert {(c["person_id"], c["change"]) for c in event.changes} == {
            (shift["primary_id"], "removed"), (other, "assigned")}

    def test_an_override_cannot_make_the_secondary_primary_too(self) -> None:
        rotation = planned()
        shift = rotation.shifts["2026-03-09"]

        with pytest.raises(PrimaryIsSecondary):
            rotation.override("2026-03-09", "primary", shift["secondary_id"])

    def test_past_shifts_cannot_be_changed(self) -> None:
        rotation = planned()

        with using_clock(lambda: MONDAY + timedelta(days=8)), pytest.raises(ShiftEnded):
            rotation.override("2026-03-02", "primary", "eli")

    def test_a_swap_moves_shifts_only_when_the_counterpart_accepts(self) -> None:
        rotation = planned()
        a, b = rotation.shifts["2026-03-09"], rotation.shifts["2026-03-16"]
        mine, theirs = a["primary_id"], b["primary_id"]
        rotation.request_swap("s1", mine, theirs, "primary", "2026-03-09", "2026-03-16")
        assert rotation.shifts["2026-03-09"]["primary_id"] == mine

        with pytest.raises(NotSwapCounterpart):
            rotation.accept_swap("s1", by=mine)
        rotation.accept_swap("s1", by=theirs)

        assert rotation.shifts["2026-03-09"]["primary_id"] == theirs
        assert rotation.shifts["2026-03-16"]["primary_id"] == mine
        assert rotation.swaps["s1"]["status"] == "accepted"

    def test_nobody_can_offer_a_shift_they_do_not_hold(self) -> None:
        rotation = planned()
        shift = rotation.shifts["2026-03-09"]
        stranger = next(p for p in TEAM if p not in (shift["primary_id"], shift["secondary_id"]))

        with pytest.raises(NotYourShift):
            rotation.request_swap("s1", stranger, shift["primary_id"], "primary", "2026-03-09")

    def test_removing_someone_from_the_roster_vacates_their_future_shifts(self) -> None:
        rotation = planned()
        leaving = rotation.shifts["2026-03-16"]["primary_id"]

        rotation.change_roster([p for p in TEAM if p != leaving])

        assert all(leaving not in (s["primary_id"], s["secondary_id"])
                   for w, s in rotation.shifts.items() if w > "2026-03-02")
        assert rotation.shifts["2026-03-16"]["primary_id"] is None
