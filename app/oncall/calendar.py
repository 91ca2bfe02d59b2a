"""iCalendar (RFC 5545) feeds of on-call shifts, built with the ``icalendar`` library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from domain.base import now

if TYPE_CHECKING:
    from collections.abc import Iterable

PRODID = "-//Governance Ledger//On-call//EN"


def shift_uid(rotation_id: str, week_start: str, role: str) -> str:
    """The stable UID of one slot: the same across re-plans, overrides and swaps."""
    return f"{rotation_id}-{week_start}-{role}@govledger"


def build_calendar(title: str, entries: Iterable[dict[str, Any]]) -> bytes:
    """A VCALENDAR with one VEVENT per (shift, role); times in each rotation's time zone.

    Each entry has rotation_id, rotation_name, timezone, week_start, starts_at, ends_at, role,
    person_name.
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", title)
    stamp = now()
    for entry in entries:
        zone = ZoneInfo(entry["timezone"])
        event = Event()
        event.add("uid", shift_uid(entry["rotation_id"], entry["week_start"], entry["role"]))
        event.add("dtstamp", stamp)
        event.add("dtstart", entry["starts_at"].astimezone(zone))
        event.add("dtend", entry["ends_at"].astimezone(zone))
        event.add("summary", f"{entry['role'].title()} on-call: "
                             f"{entry['person_name'] or 'nobody (gap)'} ({entry['rotation_name']})")
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["on-call", entry["role"]])
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def rotation_entries(rotation: dict[str, Any], shifts: list[dict[str, Any]]
                     ) -> list[dict[str, Any]]:
    """Calendar entries for every role of every shift of one rotation."""
    return [{"rotation_id": rotation["id"], "rotation_name": rotation["name"],
             "timezone": rotation["timezone"], "week_start": s["week_start"],
             "starts_at": s["starts_at"], "ends_at": s["ends_at"], "role": role,
             "person_name": s[f"{role}_name"]}
            for s in shifts for role in ("primary", "secondary")]


def person_entries(person_id: str, person_name: str,
                   shifts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Calendar entries for the shifts one person holds, across rotations."""
    return [{"rotation_id": s["rotation_id"], "rotation_name": s["rotation_name"],
             "timezone": s["timezone"], "week_start": s["week_start"],
             "starts_at": s["starts_at"], "ends_at": s["ends_at"], "role": role,
             "person_name": person_name}
            for s in shifts for role in ("primary", "secondary")
            if s[f"{role}_id"] == person_id]


def person_calendar(engine: Any, person_id: str) -> bytes | None:
    """One person's shifts across rotations as an iCalendar file (None: no such person)."""
    from app.oncall import queries

    name = queries.names(engine).get(person_id)
    if name is None:
        return None
    return build_calendar(f"On-call: {name}",
                          person_entries(person_id, name, queries.person_shifts(engine,
                                                                               person_id)))
