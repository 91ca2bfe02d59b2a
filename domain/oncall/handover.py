"""Hand-over arithmetic in a rotation's own time zone (DST-correct, via zoneinfo)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = timezone.utc


def check_timezone(name: str) -> ZoneInfo:
    """Return the zone or raise ValueError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def known_timezones() -> list[str]:
    """Every IANA zone name this machine knows (for form choices)."""
    return sorted(available_timezones())


def handover(week_start: date, tz: str, at: str) -> datetime:
    """The UTC instant of the hand-over on local date ``week_start`` at local time ``at``."""
    local = datetime.combine(week_start, time.fromisoformat(at), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def shift_bounds(week_start: date, tz: str, at: str) -> tuple[datetime, datetime]:
    """Start and end (next hand-over) of the weekly shift beginning on ``week_start``.

    The end is the next week's local hand-over time, so a DST week lasts 167 or 169 hours.
    """
    return handover(week_start, tz, at), handover(week_start + timedelta(days=7), tz, at)


def week_start_for(moment: datetime, tz: str, weekday: int, at: str) -> date:
    """The local date of the hand-over that began the shift containing ``moment``."""
    local = moment.astimezone(ZoneInfo(tz))
    candidate = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    if handover(candidate, tz, at) > moment:
        candidate -= timedelta(days=7)
    return candidate


def next_week_start(moment: datetime, tz: str, weekday: int, at: str) -> date:
    """The local date of the first hand-over strictly after ``moment``."""
    return week_start_for(moment, tz, weekday, at) + timedelta(days=7)


def weeks_overlapping(start: date, end: date, first_week: date, weeks: int) -> set[int]:
    """Indexes of the weeks (from ``first_week``) whose local dates meet [start, end]."""
    hits = set()
    for i in range(weeks):
        week = first_week + timedelta(days=7 * i)
        if start < week + timedelta(days=7) and end >= week:
            hits.add(i)
    return hits
