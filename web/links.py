"""``url_for`` at the cost of a string join: a list page builds a link per row (a 50-row action
item list builds ~230), and werkzeug's ``MapAdapter.build`` is ~8 µs a link.

The first time an endpoint is built with a given set of arguments (in a given script root), the
URL is built once by Flask with a sentinel in place of each value and kept as its literal
pieces; later links of that shape are the pieces joined around the values. The result is
exactly Flask's, because only what cannot come out differently takes the fast path:

- the endpoint has one rule, without defaults, so no rule is chosen by value; values that are
  not the rule's arguments go to the query string in the order given (the map does not sort
  them), and a ``None`` value (which Flask leaves out) is never taken on the fast path;
- every value's text is unreserved URL characters (``A-Z a-z 0-9 . _ ~ -``, which neither a
  converter nor the query string quotes), so ids, numbers and dates, not free text;
- no ``_anchor``/``_external``/``_method``/``_scheme``, no relative ``.endpoint``, and the app
  registers no ``url_defaults`` callback.

Anything else, and any shape Flask cannot build with sentinels (an ``int`` converter), is
Flask's ``url_for`` as it is.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask.globals import _cv_request  # the request context, without a proxy per link

if TYPE_CHECKING:
    from flask import Flask

UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+\Z")
SENTINEL = "zQ{}Qz"
"""A value no URL of the app contains, in place of argument ``{}``."""

_NOT_FAST: tuple[Any, ...] = ()


class Links:
    """The app's link builder (``app.extensions["govledger_links"]``). A kept shape is the
    URL's literal pieces with, at every odd place, the index of the value that goes there."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._shapes: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._lock = threading.Lock()

    def url_for(self, endpoint: str, /, **values: Any) -> str:
        """Flask's ``url_for(endpoint, **values)``, built from a kept shape when it can be."""
        ctx = _cv_request.get(None)
        if ctx is None or endpoint[:1] == ".":
            return self.app.url_for(endpoint, **values)
        key = (ctx.request.script_root, endpoint, *values)
        pieces = self._shapes.get(key)
        if pieces is None:
            pieces = self._learn(key, endpoint, tuple(values))
        if pieces:
            texts = [str(v) for v in values.values()]
            if None not in values.values() and all(UNRESERVED.match(t) for t in texts):
                out = list(pieces)
                for slot in range(1, len(out), 2):
                    out[slot] = texts[out[slot]]
                return "".join(out)
        return self.app.url_for(endpoint, **values)

    def _learn(self, key: tuple[Any, ...], endpoint: str,
               names: tuple[Any, ...]) -> tuple[Any, ...]:
        pieces = self._shape(endpoint, names)
        with self._lock:
            self._shapes[key] = pieces
        return pieces

    def _shape(self, endpoint: str, names: tuple[Any, ...]) -> tuple[Any, ...]:
        if any(n[:1] == "_" for n in names) or any(self.app.url_default_functions.values()):
            return _NOT_FAST
        rules = self.app.url_map._rules_by_endpoint.get(endpoint, [])  # noqa: SLF001
        if (len(rules) != 1 or rules[0].defaults or not set(rules[0].arguments) <= set(names)
                or self.app.url_map.sort_parameters):
            return _NOT_FAST
        try:
            built = self.app.url_for(endpoint, **{n: SENTINEL.format(i)
                                                  for i, n in enumerate(names)})
        except Exception:  # noqa: BLE001 - a converter refused the sentinel: build it each time
            return _NOT_FAST
        places = sorted((built.find(SENTINEL.format(i)), i) for i in range(len(names)))
        if any(at < 0 or built.count(SENTINEL.format(i)) != 1 for at, i in places):
            return _NOT_FAST
        pieces: list[Any] = []
        start = 0
        for at, i in places:
            pieces += (built[start:at], i)
            start = at + len(SENTINEL.format(i))
        pieces.append(built[start:])
        return tuple(pieces)


def url_for(endpoint: str, /, **values: Any) -> str:
    """The current app's ``url_for``, through its ``Links`` when it has one."""
    links = current_app.extensions.get("govledger_links")
    if links is None:
        return current_app.url_for(endpoint, **values)
    return links.url_for(endpoint, **values)  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    """Templates' ``url_for`` builds links through ``Links``."""
    links = Links(app)
    app.extensions["govledger_links"] = links
    app.jinja_env.globals["url_for"] = links.url_for
