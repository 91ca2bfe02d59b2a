"""The signed-in landing page."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, render_template

from app import queries
from web.context import login_required, read_model

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    """Show the change requests that need attention and counts by status."""
    page = queries.list_change_requests(read_model(), limit=10)
    counts = Counter(c["status"] for c in queries.list_change_requests(
        read_model(), limit=10_000)["items"])
    return render_template("home.html", recent=page["items"], counts=counts)
