"""What every template may use: ``can(...)`` and ``why_not(...)`` (role-aware pages), the
``words`` filter (codes as words) and ``rule_message``, ``ref(kind, id)`` (a reference as a
name with a link), and the ``readable`` filter (history values for people)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import g

from web.context import can, current_as_of
from web.messages import ADMIN_ONLY, event_words, field_label, rule_message, words
from web import links, references
from web.references import readable, ref

if TYPE_CHECKING:
    from flask import Flask


def why_not(*roles: str) -> str:
    """The sentence saying why the signed-in person may not use a form that needs ``roles``
    (empty when they may)."""
    if can(*roles):
        return ""
    user = g.get("user") or {}
    if current_as_of() is not None:
        return rule_message("as_of_read_only")
    held = set(user.get("roles", ()))
    if "auditor" in held or not held & {"admin", "member"}:
        return rule_message("read_only_role")
    return ADMIN_ONLY if set(roles) == {"admin"} else rule_message("role_required")


def init_app(app: Flask) -> None:
    """Register the helpers on the app's Jinja environment."""
    app.jinja_env.globals.update(can=can, why_not=why_not, ref=ref, rule_message=rule_message)
    app.jinja_env.filters["words"] = words
    app.jinja_env.filters["readable"] = readable
    app.jinja_env.filters["event_words"] = event_words
    app.jinja_env.filters["field_label"] = field_label
    references.init_app(app)
    links.init_app(app)
