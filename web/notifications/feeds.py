"""Private calendar feeds: ``/calendar/<token>.ics``, for calendar apps that cannot sign in.
The secret token in the URL is the only credential; a revoked or unknown one is a 404."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from app.oncall.calendar import person_calendar
from web.context import read_model, services

bp = Blueprint("calendar_feeds", __name__, url_prefix="/calendar")


@bp.get("/<token>.ics")
def feed(token: str) -> Response:
    """The feed's person's shifts across rotations (iCalendar)."""
    person_id = services().notifications.calendar_feed_person(token)
    ics = person_calendar(read_model(), person_id) if person_id else None
    if ics is None:
        abort(404, "no such calendar feed")
    response = Response(ics, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
