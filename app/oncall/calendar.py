"""iCalendar (RFC 5545) feeds of on-call shifts, built with the ``icalendar`` library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from app.calendar_grid import feed_window
from domain.base import now

if TYPE_CHECKING:
    from collections.abc import Iterable

PRODID = "-//Governance Ledger//On-call//EN"


def shift_uid(rotation_id: str, week_start: str, role: str) -> str:
    """The stable UID of one slot: the same across re-plans, overrides and swaps."""
    return f"{rotation_id}-{week_start}-{role}@govledger"


def segment_uid(rotation_id: str, segment: dict[str, Any]) -> str:
    """The UID of one stretch of a slot: an interval override's own UID; the scheduled part
    from the shift's start keeps the slot's UID, a part after an override is named by it."""
    week, role = segment["week_start"], segment["role"]
    if segment.get("cover"):
        return f"override-{segment['cover']['id']}@govledger"
    if segment["starts_at"] == segment["shift_starts_at"]:
        return shift_uid(rotation_id, week, role)
    return f"{rotation_id}-{week}-{role}-{segment['starts_at']:%Y%m%dT%H%M%SZ}@govledger"


def build_calendar(title: str, entries: Iterable[dict[str, Any]]) -> bytes:
    """A VCALENDAR with one VEVENT per entry; times in each rotation's time zone.

    Each entry has uid, rotation_name, timezone, starts_at, ends_at, role, person_name and
    ``override`` (the replaced person's name when the entry is an interval override, else
    absent).
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
        event.add("uid", entry["uid"])
        event.add("dtstamp", stamp)
        event.add("dtstart", entry["starts_at"].astimezone(zone))
        event.add("dtend", entry["ends_at"].astimezone(zone))
        cover = " (override)" if "override" in entry else ""
        event.add("summary", f"{entry['role'].title()} on-call{cover}: "
                             f"{entry['person_name'] or 'nobody (gap)'} ({entry['rotation_name']})")
        if "override" in entry:
            event.add("description", f"Covering for {entry['override'] or 'a vacant shift'}"
                                     f"{': ' + entry['reason'] if entry.get('reason') else ''}")
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["on-call", entry["role"]])
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _entry(segment: dict[str, Any], rotation_name: str, timezone: str,
           who: dict[str, str]) -> dict[str, Any]:
    entry = {"uid": segment_uid(segment["rotation_id"], segment),
             "rotation_name": rotation_name, "timezone": timezone,
             "starts_at": segment["starts_at"], "ends_at": segment["ends_at"],
             "role": segment["role"], "person_name": who.get(segment["person_id"] or "")}
    if segment.get("cover"):
        entry["override"] = who.get(segment["scheduled_id"] or "")
        entry["reason"] = segment["cover"].get("reason")
    return entry


def rotation_entries(rotation: dict[str, Any], segments: list[dict[str, Any]],
                     who: dict[str, str]) -> list[dict[str, Any]]:
    """Calendar entries for every role of every shift of one rotation, split around interval
    overrides (``segments`` from ``queries.shift_segments``)."""
    return [_entry(s, rotation["name"], rotation["timezone"], who) for s in segments]


def person_entries(person_id: str, segments: list[dict[str, Any]],
                   who: dict[str, str]) -> list[dict[str, Any]]:
    """Calendar entries for the stretches one person holds, across rotations
    (``segments`` from ``queries.person_shifts``)."""
    return [_entry(s, s["rotation_name"], s["timezone"], who) for s in segments
            if s["person_id"] == person_id]


def person_calendar(engine: Any, person_id: str) -> bytes | None:
    """One person's shifts across rotations in the feed window (the last 92 days and the
    next 366) as an iCalendar file (None: no such person)."""
    from app.oncall import queries

    who = queries.names(engine)
    name = who.get(person_id)
    if name is None:
        return None
    held = queries.person_shifts(engine, person_id, *feed_window(now()))
    return build_calendar(f"On-call: {name}", person_entries(person_id, held, who))
