"""Calendar grids: months as whole Monday-to-Sunday weeks, ISO weeks, days an interval touches."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app import calendar_grid as grid
from domain.errors import InvalidInput

UTC = timezone.utc


def test_a_month_spans_whole_weeks_from_monday() -> None:
    span = grid.month_span(date(2026, 3, 1))  # a Sunday

    assert span.start == date(2026, 2, 23) and span.end == date(2026, 4, 6)
    assert len(span.weeks()) == 6 and all(len(w) == 7 for w in span.weeks())
    assert span.bounds == (datetime(2026, 2, 23, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC))


def test_months_and_weeks_parse_and_step() -> None:
    today = date(2026, 3, 4)

    assert grid.parse_month(None, today) == date(2026, 3, 1)
    assert grid.parse_month("2026-12", today) == date(2026, 12, 1)
    assert grid.add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert grid.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert grid.parse_week(None, today) == date(2026, 3, 2)
    assert grid.parse_week("2026-W01", today) == date(2025, 12, 29)
    assert grid.week_label(date(2027, 1, 1)) == "2026-W53"


@pytest.mark.parametrize(("name", "value"), [("month", "2026-00"), ("month", "26-3"),
                                             ("week", "2025-W53"), ("week", "2026W10")])
def test_bad_values_name_their_field(name: str, value: str) -> None:
    parse = grid.parse_month if name == "month" else grid.parse_week

    with pytest.raises(InvalidInput) as error:
        parse(value, date(2026, 3, 4))

    assert list(error.value.details) == [name]


def test_an_interval_touches_the_days_it_overlaps_ending_midnight_excluded() -> None:
    span = grid.week_span(date(2026, 3, 30))

    assert span.touched(datetime(2026, 4, 1, 10, tzinfo=UTC),
                        datetime(2026, 4, 1, 12, tzinfo=UTC)) == [date(2026, 4, 1)]
    assert span.touched(datetime(2026, 4, 3, 18, tzinfo=UTC),
                        datetime(2026, 4, 5, tzinfo=UTC)) == [date(2026, 4, 3), date(2026, 4, 4)]
    assert span.touched(datetime(2026, 3, 1, tzinfo=UTC),
                        datetime(2026, 5, 1, tzinfo=UTC)) == span.days()
    assert span.touched(datetime(2026, 4, 6, tzinfo=UTC), datetime(2026, 4, 7, tzinfo=UTC)) == []


def test_by_day_says_where_an_item_starts_and_ends() -> None:
    span = grid.week_span(date(2026, 3, 30))
    item = {"s": datetime(2026, 3, 31, 22, tzinfo=UTC), "e": datetime(2026, 4, 1, 2, tzinfo=UTC)}

    days = grid.by_day(span, [item], "s", "e")

    assert days[date(2026, 3, 31)] == [{"item": item, "starts": True, "ends": False}]
    assert days[date(2026, 4, 1)] == [{"item": item, "starts": False, "ends": True}]
    assert days[date(2026, 4, 2)] == []
