"""orjson reads the read models' JSON and writes the JSON answers: the same values, and for
answers the same text as Flask's own provider (``app/json_codec.py``, ``web/json_provider.py``)."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime, timezone
from decimal import Decimal
from uuid import UUID

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from app.json_codec import loads
from web import json_provider

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=20)


@given(values)
def test_a_document_decodes_to_what_the_standard_library_reads(value: object) -> None:
    text = json.dumps(value)
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)


def test_what_orjson_refuses_is_read_by_the_standard_library() -> None:
    assert math.isnan(loads('{"x": NaN}')["x"])
    assert loads("[Infinity, 123456789012345678901234567890]") == [
        math.inf, 123456789012345678901234567890]
    assert loads('"\\ud800"') == "\ud800"


def _apps() -> tuple[Flask, Flask]:
    plain, fast = Flask("plain"), Flask("fast")
    for app in (plain, fast):
        app.json.sort_keys = False  # type: ignore[attr-defined]
    json_provider.init_app(fast)
    assert isinstance(fast.json, json_provider.FastJSONProvider)
    assert not isinstance(plain.json, json_provider.FastJSONProvider)
    return plain, fast


def _answer(app: Flask, value: object) -> str:
    with app.app_context():
        return app.json.response(value).get_data(as_text=True)


ascii_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
              st.floats(allow_nan=False, allow_infinity=False),
              st.text(alphabet=st.characters(max_codepoint=126), max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(
        st.text(alphabet=st.characters(max_codepoint=126), max_size=5), inner, max_size=4)),
    max_leaves=20)


@given(ascii_values)
def test_an_answer_is_the_text_flask_writes(value: object) -> None:
    plain, fast = _apps()
    mine, theirs = _answer(fast, value), _answer(plain, value)
    assert json.loads(mine) == json.loads(theirs)
    if not _has_float(value):  # 1e16 is "1e16" to one and "1e+16" to the other
        assert mine == theirs


@given(values)
def test_text_outside_ascii_keeps_its_meaning(value: object) -> None:
    plain, fast = _apps()
    assert json.loads(_answer(fast, value)) == json.loads(_answer(plain, value))


@dataclasses.dataclass
class Point:
    x: int


def test_values_flask_writes_its_own_way_are_written_by_flask() -> None:
    plain, fast = _apps()
    value = {"at": datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc), "day": date(2026, 3, 2),
             "html": Markup("<b>x</b>"), "id": UUID(int=7), "n": Decimal("1.50"),
             "point": Point(3), 7: "int key", "big": 2**80}
    assert _answer(fast, value) == _answer(plain, value)


def test_sort_keys_and_indent_are_kept() -> None:
    plain, fast = _apps()
    plain.json.sort_keys = fast.json.sort_keys = True  # type: ignore[attr-defined]
    assert _answer(fast, {"b": 1, "a": 2}) == _answer(plain, {"b": 1, "a": 2}) == '{"a":2,"b":1}\n'
    plain.debug = fast.debug = True
    assert _answer(fast, {"a": [1]}) == _answer(plain, {"a": [1]})
    assert isinstance(DefaultJSONProvider(plain).dumps({"a": 1}), str)


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False
