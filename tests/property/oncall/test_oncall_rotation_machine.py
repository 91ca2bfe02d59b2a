"""Stateful property test of a rotation: whatever sequence of plans, overrides, swaps and roster
changes happens, the shift notices describe exactly how the schedule got to where it is."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.base import using_clock
from domain.errors import DomainError
from domain.oncall.rotation import Rotation

PEOPLE = ["ana", "ben", "cai", "dev", "eli"]
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
WEEKS = [(date(2026, 3, 2) + timedelta(days=7 * i)).isoformat() for i in range(10)]


class RotationMachine(RuleBasedStateMachine):
    """Drives one rotation and rebuilds its schedule from the notices alone."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = using_clock(lambda: NOW)
        self.clock.__enter__()
        self.rotation = Rotation.create(name="P", timezone="Europe/Berlin", roster=PEOPLE)
        self.from_notices: dict[tuple[str, str], str | None] = {}
        self.swap_ids = 0

    def teardown(self) -> None:
        self.clock.__exit__(None, None, None)

    def _apply(self) -> None:
        for event in self.rotation.collect_events():
            for change in getattr(event, "changes", []):
                key = (change["week_start"], change["role"])
                if change["change"] == "assigned":
                    self.from_notices[key] = change["person_id"]
                elif self.from_notices.get(key) == change["person_id"]:
                    self.from_notices[key] = None

    def _try(self, action) -> None:  # type: ignore[no-untyped-def]
        try:
            action()
        except DomainError:
            pass
        self._apply()

    @rule(weeks=st.integers(4, 8), offset=st.integers(0, 3))
    def plan(self, weeks: int, offset: int) -> None:
        self._try(lambda: self.rotation.plan(weeks, date.fromisoformat(WEEKS[offset])))

    @rule(week=st.sampled_from(WEEKS), role=st.sampled_from(["primary", "secondary"]),
          person=st.sampled_from(PEOPLE))
    def override(self, week: str, role: str, person: str) -> None:
        self._try(lambda: self.rotation.override(week, role, person))

    @rule(week=st.sampled_from(WEEKS), back=st.none() | st.sampled_from(WEEKS),
          role=st.sampled_from(["primary", "secondary"]), other=st.sampled_from(PEOPLE),
          accept=st.booleans())
    def swap(self, week: str, back: str | None, role: str, other: str, accept: bool) -> None:
        holder = self.rotation.shifts.get(week, {}).get(f"{role}_id")
        self.swap_ids += 1
        swap_id = f"s{self.swap_ids}"

        def run() -> None:
            self.rotation.request_swap(swap_id, holder or "nobody", other, role, week, back)
            if accept:
                self.rotation.accept_swap(swap_id, by=other)

        self._try(run)

    @rule(leaving=st.sampled_from(PEOPLE))
    def change_roster(self, leaving: str) -> None:
        self._try(lambda: self.rotation.change_roster([p for p in PEOPLE if p != leaving]))

    @invariant()
    def notices_replay_to_the_schedule(self) -> None:
        for week, shift in self.rotation.shifts.items():
            for role in ("primary", "secondary"):
                assert self.from_notices.get((week, role)) == shift[f"{role}_id"]

    @invariant()
    def nobody_is_primary_and_secondary_in_the_same_week(self) -> None:
        for shift in self.rotation.shifts.values():
            assert shift["primary_id"] is None or shift["primary_id"] != shift["secondary_id"]


TestRotationMachine = RotationMachine.TestCase
