"""Calendar grids for pages: which month or ISO week is shown, its days, and which days a
time interval touches. Days are UTC days (the times the pages show are UTC)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from domain.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable

UTC = timezone.utc
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FEED_PAST_DAYS = 92
"""How far back an iCalendar feed (a board's meetings, a rotation's shifts) goes."""
FEED_AHEAD_DAYS = 366
"""How far ahead it goes."""


def feed_window(at: datetime) -> tuple[datetime, datetime]:
    """The ``[start, end)`` an iCalendar feed covers at ``at``: what a calendar client shows,
    not the whole history (a board's feed of every meeting was 340 KB at 1M events)."""
    return at - timedelta(days=FEED_PAST_DAYS), at + timedelta(days=FEED_AHEAD_DAYS)


def parse_month(value: str | None, today: date) -> date:
    """``YYYY-MM`` → the month's first day (today's month when empty).

    :raise InvalidInput: naming ``month`` when the value is not a month.
    """
    if not value:
        return today.replace(day=1)
    match = MONTH.match(value)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise InvalidInput.field("month", f"{value!r} is not a month: write it as YYYY-MM, "
                                 "e.g. 2026-03")
    return date(int(match[1]), int(match[2]), 1)


def parse_week(value: str | None, today: date) -> date:
    """``YYYY-Www`` (ISO week) → its Monday (this week's when empty).

    :raise InvalidInput: naming ``week`` when the value is not an ISO week.
    """
    if not value:
        return today - timedelta(days=today.weekday())
    match = WEEK.match(value)
    try:
        if not match:
            raise ValueError(value)
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidInput.field("week", f"{value!r} is not an ISO week: write it as YYYY-Www, "
                                 "e.g. 2026-W10") from None


def month_label(first: date) -> str:
    """``2026-03`` for a month's first day."""
    return f"{first.year:04d}-{first.month:02d}"


def week_label(day: date) -> str:
    """``2026-W10``: the ISO week of ``day``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``first``'s."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def midnight(day: date) -> datetime:
    """The UTC instant a day starts."""
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class Span:
    """The days shown, ``start`` to ``end`` (exclusive), as whole weeks from Monday."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants the span starts and ends (for a query bounded to it)."""
        return midnight(self.start), midnight(self.end)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def weeks(self) -> list[list[date]]:
        days = self.days()
        return [days[i:i + 7] for i in range(0, len(days), 7)]

    def touched(self, start: datetime, end: datetime) -> list[date]:
        """The days of the span that the interval ``[start, end)`` overlaps."""
        first = max(start.astimezone(UTC).date(), self.start)
        last_instant = max(end, start + timedelta(microseconds=1)) - timedelta(microseconds=1)
        last = min(last_instant.astimezone(UTC).date(), self.end - timedelta(days=1))
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def month_span(first: date) -> Span:
    """The whole weeks (Monday to Sunday) that hold a month."""
    start = first - timedelta(days=first.weekday())
    last = add_months(first, 1) - timedelta(days=1)
    return Span(start, last + timedelta(days=7 - last.weekday()))


def week_span(monday: date, weeks: int = 1) -> Span:
    """``weeks`` weeks from a Monday."""
    return Span(monday, monday + timedelta(weeks=weeks))


def by_day(span: Span, items: Iterable[dict[str, Any]], start: str,
           end: str) -> dict[date, list[dict[str, Any]]]:
    """Each day of ``span`` → the items whose ``[item[start], item[end])`` touches it, each as
    ``{"item", "starts", "ends"}`` (whether it starts or ends that day)."""
    days: dict[date, list[dict[str, Any]]] = {d: [] for d in span.days()}
    for item in items:
        first, last = item[start].astimezone(UTC).date(), (
            item[end] - timedelta(microseconds=1)).astimezone(UTC).date()
        for day in span.touched(item[start], item[end]):
            days[day].append({"item": item, "starts": day == first, "ends": day == last})
    return days
