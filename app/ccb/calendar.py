"""iCalendar (RFC 5545) feed of a board's meetings, from the read models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from icalendar import Calendar, Event

from app.ccb import queries as q

if TYPE_CHECKING:
    from sqlalchemy import Engine

STATUS = {"scheduled": "CONFIRMED", "open": "CONFIRMED", "closed": "CONFIRMED"}


def board_calendar(engine: Engine, board_id: str) -> bytes:
    """Every meeting of the board as a VCALENDAR (DTSTAMP is the meeting's last event time)."""
    board = q.get_board(engine, board_id)
    titles = q.change_titles(engine)
    cal = Calendar()
    cal.add("prodid", "-//Governance Ledger//CCB meetings//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{board['name']} meetings")
    for meeting in reversed(q.list_meetings(engine, board_id)):
        event = Event()
        event.add("uid", f"{meeting['id']}@govledger")
        event.add("dtstamp", meeting["updated_at"])
        event.add("dtstart", meeting["scheduled_start"])
        event.add("dtend", meeting["scheduled_end"])
        event.add("summary", f"{board['name']} meeting")
        event.add("status", STATUS[meeting["status"]])
        agenda = [titles.get(i["change_request_id"], {}).get("title", i["change_request_id"])
                  for i in meeting["state"]["items"]]
        event.add("description", "Agenda:\n" + "\n".join(f"- {t}" for t in agenda)
                  if agenda else "Agenda to be set.")
        if meeting["series_id"]:
            event.add("categories", ["CCB", "series"])
        cal.add_component(event)
    return cal.to_ical()
