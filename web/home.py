"""The signed-in landing page: my work (every open thing waiting for me), then the changes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from app.changes import queries as change_queries
from app.notifications import queries as notification_queries
from domain.notifications.preferences import PAGING_KINDS
from web.context import at_position, current_as_of, login_required, read_model, services
from web.changes.pages import listed
from web.tasks import my_recent_work, my_work_count

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    """Show what waits for the signed-in person, then the latest change requests."""
    engine = read_model()
    page = change_queries.list_change_requests(engine, limit=10)
    counts = at_position("change_requests", ("by-status",),
                         lambda: change_queries.count_change_requests_by_status(engine))
    return render_template("home.html", recent=listed(page["items"]), counts=counts, pages=_pages(),
                           work=my_recent_work(), labels=KIND_LABELS)


KIND_LABELS = {
    "incident": "Incidents paged to you", "vote": "Votes waiting for you",
    "check_in": "Open meetings to join", "emergency_approval": "Emergency changes to approve",
    "swap": "Swap requests for you", "shift": "Your on-call shifts",
    "action_item": "Your action items", "review_update": "Reviews waiting for your updates",
    "activity": "Your programme activities"}
"""Section headings of the home page, by task kind (app/tasks/queries.py KINDS)."""


@bp.app_context_processor
def nav_count() -> dict[str, Any]:
    """``my_work_count()`` for the navigation's badge on every page."""
    return {"my_work_count": my_work_count}


def _pages() -> list[dict[str, Any]]:
    """The signed-in person's latest pages ("you were paged"), not in as-of views."""
    if current_as_of() is not None:
        return []
    engine = services().notifications.read_model()
    sent = notification_queries.person_deliveries(engine, g.user["id"], limit=20)
    return [d for d in sent if d["kind"] in PAGING_KINDS][:5]
