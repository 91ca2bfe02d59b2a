"""Property tests of the post-launch review cadence over random launch dates (weekends, month
ends, leap years): the schedule is what the team guide promises, whatever day the launch was."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from domain.reviews.review import add_month, propose_schedule

launch_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def of_kind(launch: date, kind: str) -> list[date]:
    return [r.day for r in propose_schedule(launch) if r.kind == kind]


@given(launch_days)
@example(date(2024, 2, 29))   # leap day
@example(date(2026, 1, 31))   # month end before a short month
@example(date(2026, 3, 7))    # Saturday
@example(date(2026, 12, 31))  # year end
def test_exactly_five_daily_reviews_on_the_first_working_days_after_launch(launch: date) -> None:
    """The first week is reviewed every working day: five of them, none skipped, no weekend."""
    daily = of_kind(launch, "daily")

    assert len(daily) == 5
    assert all(d.weekday() < 5 for d in daily)
    assert daily[0] > launch
    skipped = [launch + timedelta(days=n) for n in range(1, (daily[-1] - launch).days)
               if (launch + timedelta(days=n)).weekday() < 5
               and launch + timedelta(days=n) not in daily]
    assert skipped == []


@given(launch_days)
@example(date(2024, 2, 29))
@example(date(2026, 1, 30))
def test_weekly_reviews_fall_on_every_friday_after_the_dailies_within_the_first_month(
        launch: date) -> None:
    """Weekly reviews are Fridays, one week apart, after the daily ones, within one month."""
    daily, weekly = of_kind(launch, "daily"), of_kind(launch, "weekly")
    month_end = add_month(launch)

    assert weekly, "the first month always has weekly reviews"
    assert all(d.weekday() == 4 for d in weekly)
    assert all(daily[-1] < d <= month_end for d in weekly)
    assert all(b - a == timedelta(days=7) for a, b in zip(weekly, weekly[1:]))
    assert weekly[-1] + timedelta(days=7) > month_end
    assert weekly[0] - timedelta(days=7) <= daily[-1]


@given(launch_days)
@example(date(2026, 3, 2))
@example(date(2025, 12, 15))
def test_monthly_reviews_are_on_the_first_monday_of_consecutive_months_after_the_first(
        launch: date) -> None:
    """After the first month, the review is the first Monday of each following month."""
    monthly = of_kind(launch, "monthly")

    assert len(monthly) == 3
    assert all(d.weekday() == 0 and d.day <= 7 for d in monthly)
    assert monthly[0] > add_month(launch)
    assert monthly[0] - add_month(launch) <= timedelta(days=38)
    months = [d.year * 12 + d.month for d in monthly]
    assert months == list(range(months[0], months[0] + 3))


@given(launch_days)
def test_the_schedule_is_in_date_order_without_duplicates(launch: date) -> None:
    """No two reviews share a day, and the schedule reads in time order."""
    days = [r.day for r in propose_schedule(launch)]

    assert days == sorted(days)
    assert len(days) == len(set(days))


@given(launch_days, st.integers(min_value=1, max_value=24))
def test_extending_the_schedule_keeps_to_first_mondays_of_consecutive_months(
        last: date, count: int) -> None:
    """Monthly reviews go on forever: each extension adds the next months' first Mondays."""
    from domain.reviews.review import first_mondays_after

    mondays = first_mondays_after(last, count)

    assert len(mondays) == count and mondays[0] > last
    assert all(d.weekday() == 0 and d.day <= 7 for d in mondays)
    months = [d.year * 12 + d.month for d in mondays]
    assert months == list(range(months[0], months[0] + count))
    assert months[0] - (last.year * 12 + last.month) in (0, 1)
