"""Default due dates and overdue around week and month ends, with a controlled clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from domain.reviews.action_item import default_due, is_overdue, policy_violation

UTC = timezone.utc


class TestDefaultDueDates:
    @pytest.mark.parametrize(("today", "p1", "p2"), [
        (date(2026, 3, 2), date(2026, 3, 6), date(2026, 3, 31)),    # Monday
        (date(2026, 3, 6), date(2026, 3, 6), date(2026, 3, 31)),    # Friday: this week is today
        (date(2026, 3, 7), date(2026, 3, 7), date(2026, 3, 31)),    # Saturday
        (date(2026, 3, 8), date(2026, 3, 8), date(2026, 3, 31)),    # Sunday
        (date(2026, 3, 31), date(2026, 4, 3), date(2026, 3, 31)),   # month end on a Tuesday
        (date(2026, 4, 30), date(2026, 5, 1), date(2026, 4, 30)),   # week crosses the month
        (date(2024, 2, 28), date(2024, 3, 1), date(2024, 2, 29)),   # leap year
        (date(2026, 12, 31), date(2027, 1, 1), date(2026, 12, 31)),  # year end
    ])
    def test_p0_is_today_p1_the_weeks_friday_p2_the_months_last_day(
            self, today: date, p1: date, p2: date) -> None:
        assert default_due("P0", today) == today
        assert default_due("P1", today) == p1
        assert default_due("P2", today) == p2


class TestOverdue:
    def test_an_item_due_today_is_not_overdue_until_tomorrow(self) -> None:
        due = date(2026, 3, 6)

        assert not is_overdue(due, "open", date(2026, 3, 6))
        assert is_overdue(due, "open", date(2026, 3, 7))
        assert is_overdue(due, "blocked", date(2026, 3, 9))

    def test_a_completed_item_is_never_overdue(self) -> None:
        assert not is_overdue(date(2026, 3, 6), "completed", date(2026, 4, 1))


class TestPolicyViolation:
    policy = {"source_type": "incident", "priority": "P0", "within_days": 2}
    raised = datetime(2026, 3, 2, 9, tzinfo=UTC)

    def item(self, **kw: object) -> dict[str, object]:
        return {"source_type": "incident", "priority": "P0", "raised_at": self.raised,
                "completed_at": None, **kw}

    def test_an_item_closed_in_time_or_still_within_the_window_holds(self) -> None:
        soon = self.raised + timedelta(days=1)

        assert policy_violation(self.policy, self.item(completed_at=soon), soon) is None
        assert policy_violation(self.policy, self.item(), soon) is None

    def test_late_completion_and_open_past_the_deadline_violate(self) -> None:
        late = self.raised + timedelta(days=3)

        assert policy_violation(self.policy, self.item(completed_at=late), late) == \
            "completed late"
        assert policy_violation(self.policy, self.item(), late) == "open past the deadline"

    def test_items_of_another_source_or_priority_are_not_concerned(self) -> None:
        late = self.raised + timedelta(days=9)

        assert policy_violation(self.policy, self.item(priority="P1"), late) is None
        assert policy_violation(self.policy, self.item(source_type="drill"), late) is None
