"""Default due dates of action items by priority."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.reviews.action_item import default_due


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_default_due_dates_follow_the_priority(today: date) -> None:
    """P0 is due today, P1 on the week's Friday (or today at the weekend), P2 on the month's end."""
    p1, p2 = default_due("P1", today), default_due("P2", today)

    assert default_due("P0", today) == today
    assert today <= p1 <= today + timedelta(days=4)
    assert p1.weekday() == 4 or (today.weekday() >= 4 and p1 == today)
    assert p2.month == today.month and (p2 + timedelta(days=1)).day == 1
