"""Interval overrides on the Rotation aggregate: any interval inside one shift, who is on call
around and during it, and every eligibility rule (issue 16)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.base import using_clock
from domain.errors import DomainError
from domain.oncall.rotation import Rotation, segments

if TYPE_CHECKING:
    from collections.abc import Iterator

UTC = timezone.utc
MONDAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TEAM = ["ana", "ben", "cai", "dev", "eli"]
WEEK = "2026-03-09"
TUESDAY_18 = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
WEDNESDAY_09 = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    with using_clock(lambda: MONDAY):
        yield


def planned() -> Rotation:
    rotation = Rotation.create(name="Platform", timezone="Europe/Berlin", roster=TEAM)
    rotation.plan(6)
    return rotation


def outsider(rotation: Rotation, week: str = WEEK) -> str:
    shift = rotation.shifts[week]
    return next(p for p in TEAM if p not in (shift["primary_id"], shift["secondary_id"]))


def test_the_covering_person_is_on_call_during_the_interval_and_the_scheduled_one_around_it(
        ) -> None:
    rotation = planned()
    shift = rotation.shifts[WEEK]
    cover = outsider(rotation)

    rotation.override_interval("c1", "primary", cover, TUESDAY_18, WEDNESDAY_09)

    minute = timedelta(minutes=1)
    assert rotation.oncall_at(TUESDAY_18 - minute)["primary_id"] == shift["primary_id"]
    assert rotation.oncall_at(TUESDAY_18) == {"primary_id": cover,
                                              "secondary_id": shift["secondary_id"]}
    assert rotation.oncall_at(WEDNESDAY_09 - minute)["primary_id"] == cover
    assert rotation.oncall_at(WEDNESDAY_09)["primary_id"] == shift["primary_id"]
    assert rotation.shifts[WEEK] == shift  # the schedule itself is unchanged
    event = rotation.collect_events()[-1]
    assert type(event).__name__ == "IntervalOverridden"
    assert [(c["person_id"], c["change"]) for c in event.changes] == [
        (cover, "assigned"), (shift["primary_id"], "removed")]


def test_the_segments_split_the_shift_around_the_override() -> None:
    rotation = planned()
    shift = rotation.shifts[WEEK]
    rotation.override_interval("c1", "primary", outsider(rotation), TUESDAY_18, WEDNESDAY_09)

    parts = segments(shift, rotation.week_covers(WEEK), "primary")

    assert [(p["starts_at"], p["ends_at"], p["cover"] is not None) for p in parts] == [
        (datetime.fromisoformat(shift["starts_at"]), TUESDAY_18, False),
        (TUESDAY_18, WEDNESDAY_09, True),
        (WEDNESDAY_09, datetime.fromisoformat(shift["ends_at"]), False)]
    assert [p["person_id"] for p in segments(shift, rotation.week_covers(WEEK),
                                             "secondary")] == [shift["secondary_id"]]


@pytest.mark.parametrize(("start", "end", "who", "code"), [
    (WEDNESDAY_09, TUESDAY_18, "outsider", "invalid_period"),
    (TUESDAY_18, TUESDAY_18, "outsider", "invalid_period"),
    (MONDAY - timedelta(hours=1), MONDAY + timedelta(hours=1), "outsider", "override_in_past"),
    (datetime(2026, 3, 16, 6, 0, tzinfo=UTC), datetime(2026, 3, 16, 9, 0, tzinfo=UTC),
     "outsider", "override_outside_shift"),  # across Monday's 09:00 hand-over (08:00 UTC)
    (datetime(2026, 5, 5, 17, 0, tzinfo=UTC), datetime(2026, 5, 6, 8, 0, tzinfo=UTC),
     "outsider", "shift_not_planned"),
    (TUESDAY_18, WEDNESDAY_09, "primary", "already_on_shift"),
    (TUESDAY_18, WEDNESDAY_09, "secondary", "primary_is_secondary"),
])
def test_refusals_name_the_rule_and_record_nothing(start: datetime, end: datetime, who: str,
                                                   code: str) -> None:
    rotation = planned()
    shift = rotation.shifts[WEEK]
    person = {"outsider": outsider(rotation), "primary": shift["primary_id"],
              "secondary": shift["secondary_id"]}[who]
    version = rotation.version

    with pytest.raises(DomainError) as refused:
        rotation.override_interval("c1", "primary", person, start, end)

    assert refused.value.code == code and refused.value.status == 409
    assert rotation.version == version and rotation.covers == {}


def test_overlapping_overrides_of_a_role_are_refused_but_adjacent_ones_and_other_roles_not(
        ) -> None:
    rotation = planned()
    shift = rotation.shifts[WEEK]
    a, b = [p for p in TEAM if p not in (shift["primary_id"], shift["secondary_id"])][:2]
    rotation.override_interval("c1", "primary", a, TUESDAY_18, WEDNESDAY_09)

    with pytest.raises(DomainError) as refused:
        rotation.override_interval("c2", "primary", b, WEDNESDAY_09 - timedelta(hours=1),
                                   WEDNESDAY_09 + timedelta(hours=1))
    assert refused.value.code == "override_overlaps"
    rotation.override_interval("c2", "primary", b, WEDNESDAY_09,
                               WEDNESDAY_09 + timedelta(hours=3))
    with pytest.raises(DomainError) as double:  # a is primary then: not secondary at once
        rotation.override_interval("c3", "secondary", a, TUESDAY_18, WEDNESDAY_09)
    assert double.value.code == "primary_is_secondary"
    rotation.override_interval("c3", "secondary", a, WEDNESDAY_09,
                               WEDNESDAY_09 + timedelta(hours=1))
    assert rotation.oncall_at(WEDNESDAY_09) == {"primary_id": b, "secondary_id": a}


def test_someone_unavailable_then_cannot_cover_and_a_cover_blocks_a_whole_week_double_booking(
        ) -> None:
    rotation = planned()
    person = outsider(rotation)
    rotation.declare_unavailable(person, TUESDAY_18.date(), TUESDAY_18.date())
    with pytest.raises(DomainError) as refused:
        rotation.override_interval("c1", "primary", person, TUESDAY_18, WEDNESDAY_09)
    assert refused.value.code == "person_unavailable"

    other = next(p for p in TEAM if p != person and p not in (
        rotation.shifts[WEEK]["primary_id"], rotation.shifts[WEEK]["secondary_id"]))
    rotation.override_interval("c1", "secondary", other, TUESDAY_18, WEDNESDAY_09)
    with pytest.raises(DomainError) as whole:
        rotation.override(WEEK, "primary", other)
    assert whole.value.code == "primary_is_secondary"


def _shift() -> dict[str, Any]:
    return {"starts_at": "2026-03-09T08:00:00+00:00", "ends_at": "2026-03-16T08:00:00+00:00",
            "primary_id": "ana", "secondary_id": "ben"}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 167), st.integers(1, 48), st.sampled_from(TEAM[2:])),
                max_size=6))
def test_segments_partition_the_shift_and_match_who_is_on_call(
        raw: list[tuple[int, int, str]]) -> None:
    shift = _shift()
    start = datetime.fromisoformat(shift["starts_at"])
    end = datetime.fromisoformat(shift["ends_at"])
    covers: list[dict[str, Any]] = []
    for i, (offset, length, person) in enumerate(raw):  # keep the non-overlapping ones
        a = start + timedelta(hours=offset)
        b = min(a + timedelta(hours=length), end)
        if all(b <= datetime.fromisoformat(c["starts_at"]) or
               a >= datetime.fromisoformat(c["ends_at"]) for c in covers):
            covers.append({"id": str(i), "role": "primary", "person_id": person,
                           "starts_at": a.isoformat(), "ends_at": b.isoformat()})

    parts = segments(shift, covers, "primary")

    assert parts[0]["starts_at"] == start and parts[-1]["ends_at"] == end
    assert all(x["ends_at"] == y["starts_at"] for x, y in zip(parts, parts[1:]))
    assert sum(p["cover"] is not None for p in parts) == len(covers)
    for hour in range(168):
        moment = start + timedelta(hours=hour, minutes=30)
        covering = [c for c in covers if datetime.fromisoformat(c["starts_at"]) <= moment
                    < datetime.fromisoformat(c["ends_at"])]
        holder = next(p for p in parts if p["starts_at"] <= moment < p["ends_at"])
        assert holder["person_id"] == (covering[0]["person_id"] if covering else "ana")


def test_withdrawing_removes_a_future_override_and_cuts_a_running_one_short() -> None:
    rotation = planned()
    shift = rotation.shifts[WEEK]
    cover = outsider(rotation)
    rotation.override_interval("c1", "primary", cover, TUESDAY_18, WEDNESDAY_09)
    rotation.cancel_interval_override("c1")
    assert rotation.covers == {}
    assert rotation.oncall_at(TUESDAY_18)["primary_id"] == shift["primary_id"]

    rotation.override_interval("c2", "primary", cover, TUESDAY_18, WEDNESDAY_09)
    later = TUESDAY_18 + timedelta(hours=2)
    with using_clock(lambda: later):
        rotation.cancel_interval_override("c2")
    assert rotation.oncall_at(later - timedelta(minutes=1))["primary_id"] == cover
    assert rotation.oncall_at(later)["primary_id"] == shift["primary_id"]
    with using_clock(lambda: WEDNESDAY_09), pytest.raises(DomainError) as over:
        rotation.cancel_interval_override("c2")
    assert over.value.code == "override_ended"
    with pytest.raises(DomainError) as unknown:
        rotation.cancel_interval_override("nope")
    assert unknown.value.code == "override_not_found"
