"""References as names with links, and history values for people.

``ref(kind, id)`` (a template global) resolves an id to its record's name and page — a board,
meeting, decision, change, incident, review, rehearsal, launch, rotation, runbook or person —
from the read models (``app/references.py``); an id it cannot resolve is shown as it is.
Inside a request it writes a placeholder and ``init_app``'s ``after_request`` resolves every
placeholder of the page at once — one query per kind, however many references the page shows. ``readable(value, key)`` renders a history value: lists as lists,
booleans as yes/no, None as "—", codes as words and ids of known fields as linked names.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context
from markupsafe import Markup, escape

from app import references
from web.context import read_model
from web.links import url_for
from web.messages import words

PAGES: dict[str, tuple[str, str]] = {
    "board": ("ccb.board", "board_id"), "meeting": ("ccb.meeting", "meeting_id"),
    "change": ("changes.detail", "change_id"), "incident": ("oncall.incident", "incident_id"),
    "rotation": ("oncall.rotation", "rotation_id"), "runbook": ("oncall.runbook", "runbook_id"),
    "launch": ("reviews.launch", "launch_id"), "review": ("reviews.detail", "review_id"),
    "rehearsal": ("rehearsals.detail", "rehearsal_id"), "person": ("people.person", "person_id"),
}
"""Kind → the endpoint of its page and the endpoint's id argument."""

FIELD_KINDS: dict[str, str] = {
    "board_id": "board", "meeting_id": "meeting", "change_request_id": "change",
    "change_id": "change", "incident_id": "incident", "review_id": "review",
    "rehearsal_id": "rehearsal", "launch_id": "launch", "rotation_id": "rotation",
    "runbook_id": "runbook", "decision_id": "decision", "owner_id": "person",
    "person_id": "person", "requester_id": "person", "chair_id": "person",
    "holder_id": "person", "grantor_id": "person", "assignee_id": "person",
    "primary_id": "person", "secondary_id": "person", "responder_id": "person",
    "decided_by": "person", "actor_id": "person", "on_behalf_of": "person",
    "members": "person", "roster": "person", "attendees": "person", "responders": "person",
}
"""History fields whose values are references (lists of ids too)."""

SOURCE_KINDS = {"meeting": "meeting", "incident": "incident", "review": "review",
                "rehearsal": "rehearsal", "launch": "launch", "drill": "incident"}
"""An action item's ``source_type`` → the kind of record its ``source_id`` names."""

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


OPEN, CLOSE = "\ue000", "\ue001"
"""Around a placeholder's number (private-use characters: never in a page's own text)."""
PLACEHOLDER = re.compile(f"{OPEN}(\\d+){CLOSE}")


def _names(kind: str, ref_id: str) -> dict[str, str]:
    """The names of ``kind`` known to this request, looked up first when ``ref_id`` is not:
    with it, every id the page's placeholders want, of every kind (one connection)."""
    cache = g.setdefault("reference_names", {})
    known = cache.setdefault(kind, {})
    if ref_id not in known:
        pending = g.get("reference_wanted", {})
        wanted = {k: set(ids) - set(cache.get(k, ())) for k, ids in pending.items()}
        wanted.setdefault(kind, set()).add(ref_id)
        pending.clear()
        found = references.names_by_kind(read_model(), wanted)
        for k, ids in wanted.items():
            names = cache.setdefault(k, {})
            names.update(found.get(k, {}))
            for i in ids:
                names.setdefault(i, "")
    return known


def resolve(kind: str, ref_id: Any) -> tuple[str, str | None]:
    """``(name, url)`` of a reference; ``(id, None)`` when it does not resolve."""
    if not ref_id:
        return "—", None
    ref_id = str(ref_id)
    name = _names(kind, ref_id).get(ref_id) or ""
    if not name:
        return ref_id, None
    page = PAGES.get(kind)
    if kind == "person":
        user = g.get("user") or {}
        if not ("admin" in user.get("roles", ()) or user.get("id") == ref_id):
            page = None  # only admins (and the person) may open a person's page
    if kind == "decision":
        return name, url_for("ccb.decision_log")
    return name, url_for(page[0], **{page[1]: ref_id}) if page else None


def ref(kind: str, ref_id: Any, label: str | None = None) -> Markup:
    """A reference as its name, linked to its page when it has one (inside a request: a
    placeholder that ``resolve_placeholders`` replaces with it)."""
    kind = SOURCE_KINDS.get(kind, kind) if kind not in PAGES else kind
    if not has_request_context() or not ref_id:
        return _linked(kind, ref_id, label)
    pending = g.setdefault("reference_placeholders", [])
    g.setdefault("reference_wanted", {}).setdefault(kind, set()).add(str(ref_id))
    pending.append((kind, ref_id, label))
    return Markup(f"{OPEN}{len(pending) - 1}{CLOSE}")


def linked(refs: list[tuple[str, Any]]) -> list[Markup]:
    """Each ``(kind, id)`` as ``ref`` shows it, resolved now (one query per kind for them all):
    for a list that knows its references before it is rendered, so the page has no
    placeholders to replace after rendering (a pass over the whole page)."""
    kinds = [SOURCE_KINDS.get(k, k) if k not in PAGES else k for k, _ in refs]
    if has_request_context():
        wanted = g.setdefault("reference_wanted", {})
        for kind, (_, ref_id) in zip(kinds, refs):
            if ref_id:
                wanted.setdefault(kind, set()).add(str(ref_id))
    return [_linked(kind, ref_id, None) for kind, (_, ref_id) in zip(kinds, refs)]


def _linked(kind: str, ref_id: Any, label: str | None) -> Markup:
    name, url = resolve(kind, ref_id)
    text = escape(label or name)
    return Markup(f'<a href="{escape(url)}">{text}</a>') if url else Markup(text)


def resolve_placeholders(response: Response) -> Response:
    """Replace the page's reference placeholders with names and links (one query per kind)."""
    pending = g.get("reference_placeholders")
    if not pending or response.direct_passthrough or response.is_streamed:
        return response
    body = response.get_data(as_text=True)
    if OPEN in body:
        done: dict[int, str] = {}

        def replace(match: re.Match[str]) -> str:
            number = int(match.group(1))
            if number >= len(pending):
                return match.group(0)
            if number not in done:
                done[number] = str(_linked(*pending[number]))
            return done[number]

        response.set_data(PLACEHOLDER.sub(replace, body))
    g.reference_placeholders = []
    return response


def init_app(app: Flask) -> None:
    """Resolve reference placeholders in every response."""
    app.after_request(resolve_placeholders)


def readable(value: Any, key: str | None = None) -> Markup:
    """A history value for people: ``['ci']`` → a list, ``False`` → "no", ``None`` → "—",
    ``in_progress`` → "In progress", an id of a reference field → its linked name."""
    kind = FIELD_KINDS.get(key or "")
    if value is None or value == "" or value == []:
        return Markup("—")
    if isinstance(value, bool):
        return Markup("yes" if value else "no")
    if isinstance(value, (list, tuple)):
        items = Markup("").join(Markup("<li>") + readable(v, key) + Markup("</li>")
                                for v in value)
        return Markup('<ul class="values">') + items + Markup("</ul>")
    if isinstance(value, dict):
        rows = Markup("").join(
            Markup("<li>") + escape(words(k)) + Markup(": ") + readable(v, str(k))
            + Markup("</li>") for k, v in value.items())
        return Markup('<ul class="values">') + rows + Markup("</ul>")
    if isinstance(value, datetime):
        return Markup(escape(value.strftime("%Y-%m-%d %H:%M UTC")))
    if isinstance(value, date):
        return Markup(escape(value.isoformat()))
    text = str(value)
    if kind and UUID.match(text):
        return ref(kind, text)
    if key in ("status", "outcome", "kind", "category", "risk", "choice", "severity",
               "priority", "source_type", "mode", "tie_breaker", "decision"):
        return Markup(escape(words(text)))
    return Markup(escape(text))
