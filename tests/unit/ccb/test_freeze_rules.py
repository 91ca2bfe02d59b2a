"""Freeze windows: which changes they touch and who may proceed, one rule for the calendar
aggregate and for the calendar and deployment-gate queries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from domain.ccb.freeze import (
    ChangeCalendar,
    FreezeWindow,
    exempt_from_freezes,
    freeze_in_force,
    freeze_overlaps,
)

T0 = datetime(2026, 12, 20, tzinfo=timezone.utc)
FREEZE: dict[str, Any] = {"start": T0, "end": T0 + timedelta(days=10), "systems": ["billing"]}


@pytest.mark.parametrize(("start", "end", "systems", "overlaps"), [
    (-1, 1, ["billing"], True), (9, 11, ["billing", "web"], True), (-2, 0, ["billing"], False),
    (10, 12, ["billing"], False), (1, 2, ["web"], False)])
def test_a_freeze_overlaps_a_window_on_a_system_it_names(
        start: int, end: int, systems: list[str], overlaps: bool) -> None:
    assert freeze_overlaps(FREEZE, T0 + timedelta(days=start), T0 + timedelta(days=end),
                           systems) is overlaps


def test_a_freeze_naming_no_systems_covers_every_system() -> None:
    assert freeze_overlaps({**FREEZE, "systems": []}, T0, T0 + timedelta(hours=1), ["web"])


@pytest.mark.parametrize(("at", "in_force"), [(0, True), (9.9, True), (10, False), (-0.1, False)])
def test_a_freeze_is_in_force_from_its_start_until_its_end(at: float, in_force: bool) -> None:
    assert freeze_in_force(FREEZE, T0 + timedelta(days=at), ["billing"]) is in_force


@pytest.mark.parametrize(("category", "exempt"), [("emergency", True), ("normal", False),
                                                  ("standard", False)])
def test_only_emergency_changes_proceed_in_a_freeze(category: str, exempt: bool) -> None:
    assert exempt_from_freezes(category) is exempt


def test_the_calendar_refuses_with_the_same_rules() -> None:
    calendar = ChangeCalendar()
    calendar.declare_freeze("Year end", FREEZE["start"], FREEZE["end"], ["billing"])
    window = (T0 + timedelta(days=1), T0 + timedelta(days=2))

    calendar.check_window("emergency", *window, ["billing"])
    calendar.check_window("normal", *window, ["web"])
    with pytest.raises(FreezeWindow):
        calendar.check_window("normal", *window, ["billing"])
