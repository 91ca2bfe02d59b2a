"""Flask's JSON answers encoded by orjson (an 84 KB page of the decision log: ~1.4 ms by the
standard library, ~0.1 ms by orjson).

Only the compact text of an answer (``response``) is orjson's, the same JSON document
Flask's own provider writes, keys in the order given: values orjson does not write itself
the way Flask does (dates and times, subclasses of the basic types such as ``Markup``,
dataclasses) go to Flask's own ``default``; anything orjson cannot write at all (integers
beyond 64 bits), and every other call (an indent in debug mode, ``tojson`` in templates), is
written by Flask's provider as before. One difference in bytes, not in meaning:
text outside ASCII (and DEL) is written as UTF-8 rather than as ``\\u`` escapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from flask.json.provider import DefaultJSONProvider

if TYPE_CHECKING:
    from flask import Flask

OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
           | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)


COMPACT = {"separators": (",", ":")}


class FastJSONProvider(DefaultJSONProvider):
    """``DefaultJSONProvider`` whose ``dumps`` is orjson's when it can be."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs == COMPACT:  # what ``response`` asks for (every JSON answer)
            option = OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
            try:
                return orjson.dumps(obj, default=self.default, option=option).decode()
            except (TypeError, orjson.JSONEncodeError):
                pass  # e.g. an integer beyond 64 bits: the standard library writes it
        return super().dumps(obj, **kwargs)


def init_app(app: Flask) -> None:
    """Answer JSON through ``FastJSONProvider`` (keeping the app's ``sort_keys``)."""
    sort_keys = app.json.sort_keys  # type: ignore[attr-defined]
    app.json = FastJSONProvider(app)
    app.json.sort_keys = sort_keys  # type: ignore[attr-defined]
