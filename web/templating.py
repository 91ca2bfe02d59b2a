"""What every template may use: ``can(...)`` and ``why_not(...)`` (role-aware pages), the
``words`` filter (codes as words) and ``rule_message``, ``ref(kind, id)`` (a reference as a
name with a link), and the ``readable`` filter (history values for people)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import g
from flask.templating import Environment
from jinja2.compiler import CodeGenerator
from markupsafe import Markup
from markupsafe import escape as _markupsafe_escape

try:
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - markupsafe without its C extension
    from markupsafe._native import _escape_inner

from web.context import can, current_as_of
from web.messages import ADMIN_ONLY, event_words, field_label, rule_message, words
from web import links, references
from web.references import readable, ref

if TYPE_CHECKING:
    from flask import Flask


DICT_ATTRIBUTES = frozenset(dir(dict))
"""Names a dict has as attributes (``items``, ``get``, …): Jinja reads those as the method."""


_new_str = str.__new__


def escape(value: Any) -> Markup:
    """``markupsafe.escape`` as the templates call it for every ``{{ … }}`` (~700 times on a
    list page): the same result, but a plain text's ``Markup`` is made without
    ``Markup.__new__``'s Python-level ``__html__`` check (8% of a list page's CPU at 1M
    events), a ``Markup`` is passed on as it is and an ``int`` is not searched."""
    kind = type(value)
    if kind is str:
        return _new_str(Markup, _escape_inner(value))  # type: ignore[no-any-return]
    if kind is Markup:
        return value  # type: ignore[no-any-return]
    if kind is int:  # digits and a sign: nothing to escape
        return _new_str(Markup, str(value))  # type: ignore[no-any-return]
    return _markupsafe_escape(value)


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with compiled templates escaping through :func:`escape`."""

    def writeline(self, x: str, node: Any = None, extra: int = 0) -> None:
        super().writeline(x, node, extra)
        if x.startswith("from jinja2.runtime import "):
            super().writeline("from web.templating import escape")


class LedgerEnvironment(Environment):
    """Flask's Jinja environment, reading ``row.title`` of a dict straight from its key.

    The rows of every list are dicts; Jinja's own lookup tries the attribute first, and the
    ``AttributeError`` it catches for each cell was ~0.7 µs a lookup, ~8% of a list page. The
    answer is Jinja's: a name a dict has as an attribute (``d.items``) is still the method,
    and a missing key is still undefined. Templates escape with :func:`escape`."""

    code_generator_class = _CodeGenerator

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


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


def page_numbers(current: int, last: int) -> list[int]:
    """The pager's numbered pages (from 0): the first, the last and two either side of
    ``current`` — worked out here rather than by a template loop over every page (1,400 of
    them for the decision log at 1M events)."""
    return sorted({0, last, *range(max(0, current - 2), min(last, current + 2) + 1)})


def init_app(app: Flask) -> None:
    """Register the helpers on the app's Jinja environment."""
    app.jinja_env.globals.update(can=can, why_not=why_not, ref=ref, rule_message=rule_message,
                                 page_numbers=page_numbers)
    app.jinja_env.filters["words"] = words
    app.jinja_env.filters["readable"] = readable
    app.jinja_env.filters["event_words"] = event_words
    app.jinja_env.filters["field_label"] = field_label
    references.init_app(app)
    links.init_app(app)
