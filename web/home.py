"""The signed-in landing page."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.changes import queries as change_queries
from web.context import login_required, read_model

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    """Show the change requests that need attention and counts by status."""
    engine = read_model()
    page = change_queries.list_change_requests(engine, limit=10)
    counts = change_queries.count_change_requests_by_status(engine)
    return render_template("home.html", recent=page["items"], counts=counts)
