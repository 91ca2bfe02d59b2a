"""The signed-in landing page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from app.changes import queries as change_queries
from app.notifications import queries as notification_queries
from domain.notifications.preferences import PAGING_KINDS
from web.context import current_as_of, login_required, read_model, services

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    """Show the change requests that need attention and counts by status."""
    engine = read_model()
    page = change_queries.list_change_requests(engine, limit=10)
    counts = change_queries.count_change_requests_by_status(engine)
    return render_template("home.html", recent=page["items"], counts=counts, pages=_pages())


def _pages() -> list[dict[str, Any]]:
    """The signed-in person's latest pages ("you were paged"), not in as-of views."""
    if current_as_of() is not None:
        return []
    engine = services().notifications.read_model()
    sent = notification_queries.person_deliveries(engine, g.user["id"], limit=20)
    return [d for d in sent if d["kind"] in PAGING_KINDS][:5]
