"""Rehearsal pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rehearsals", __name__, url_prefix="/rehearsals")
