"""Links from a criterion's evidence to the pages that show it."""

from __future__ import annotations

from typing import Any

from flask import url_for
from werkzeug.routing import BuildError

ENDPOINTS: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "meeting": ("ccb.meeting", "meeting_id", {}),
    "minutes": ("ccb.minutes", "meeting_id", {}),
    "decision_log": ("ccb.decision_log", None, {}),
    "change": ("changes.detail", "change_id", {}),
    "board": ("ccb.board", "board_id", {}),
    "rehearsal": ("rehearsals.detail", "rehearsal_id", {}),
    "rehearsal_report": ("rehearsals.download", "rehearsal_id", {"ext": "md"}),
    "rotation": ("oncall.rotation", "rotation_id", {}),
    "incident": ("oncall.incident", "incident_id", {}),
    "runbook": ("oncall.runbook", "runbook_id", {}),
    "training": ("oncall.trainings", None, {}),
    "launch": ("reviews.launch", "launch_id", {}),
    "review": ("reviews.detail", "review_id", {}),
    "action_items": ("actions.index", None, {}),
}
"""Evidence kind → (endpoint, its id parameter, fixed parameters); sign-offs have no page."""


def href(evidence: dict[str, Any], **extra: Any) -> str | None:
    """The page of one piece of evidence (None when it has none)."""
    endpoint = ENDPOINTS.get(evidence["kind"])
    if endpoint is None:
        return None
    name, param, fixed = endpoint
    values = {**fixed, **extra, **({param: evidence["id"]} if param else {})}
    try:
        return url_for(name, **values)
    except BuildError:
        return None


def linked(overview: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The overview with every evidence item's ``href`` (``extra``: e.g. the as_of moment)."""
    for track in overview["tracks"]:
        for criterion in track["criteria"]:
            for evidence in criterion["evidence"]:
                evidence["href"] = href(evidence, **extra)
    return overview
