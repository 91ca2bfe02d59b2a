"""JSON read back from the read models, decoded by orjson (3-4x the standard library's speed on
their documents), and JSON answers encoded by it (``web/json_provider.py``).

Only decoding and the web's answers use it: what projections write is still ``json.dumps``
text, so stored read models are byte for byte what they were. Whatever orjson refuses and the
standard library reads (``NaN``, lone surrogates) is read by the standard library, and so is
any document with a run of 19 or more digits (orjson reads an integer beyond 64 bits as a
float), so every document decodes to the same value as before.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson


LONG = re.compile(r"\d{19}")
LONG_BYTES = re.compile(rb"\d{19}")


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, by orjson whenever it can."""
    if (LONG_BYTES if isinstance(text, bytes) else LONG).search(text):  # type: ignore[arg-type]
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
