"""The product's ``Schema`` dumps exactly what marshmallow's own ``Schema`` dumps: the same
schema built on either base gives the same output for any dict (keys missing or present,
``None``, nested dicts and lists) and for objects that are not dicts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import marshmallow
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import fields

from app.schemas import Schema, String, when


def schema_on(base: type[marshmallow.Schema]) -> type[marshmallow.Schema]:
    """One schema with every kind of field the product dumps, built on ``base``."""

    class Tally(base):  # type: ignore[valid-type, misc]
        approve = fields.Integer()
        reject = fields.Integer(dump_default=0)

    class Row(base):  # type: ignore[valid-type, misc]
        id = String()
        title = fields.String(allow_none=True)
        count = fields.Integer()
        at = when()
        amount = fields.Decimal(as_string=True, allow_none=True)
        flag = fields.Boolean()
        tags = fields.List(fields.String())
        extra = fields.Dict()
        tally = fields.Nested(Tally, allow_none=True)
        tallies = fields.List(fields.Nested(Tally))
        renamed = fields.String(attribute="source_name")
        shown_as = fields.String(data_key="shownAs")
        dotted = fields.Integer(attribute="tally.approve")
        computed = fields.Function(lambda obj: len(obj.get("tags") or []) if isinstance(
            obj, dict) else -1)
        secret = fields.String(load_only=True)
        items = fields.String()  # a key that is also a dict method, when missing

    return Row


OURS, THEIRS = schema_on(Schema), schema_on(marshmallow.Schema)

TALLY = st.fixed_dictionaries({}, optional={"approve": st.integers(0, 9),
                                            "reject": st.integers(0, 9)})
ROW = st.fixed_dictionaries({}, optional={
    "id": st.uuids().map(str), "title": st.one_of(st.none(), st.text(max_size=8)),
    "count": st.integers(-3, 10**9),
    "at": st.datetimes(timezones=st.just(UTC)) | st.datetimes(),
    "amount": st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    "flag": st.booleans(), "tags": st.lists(st.text(max_size=4), max_size=3),
    "extra": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    "tally": st.none() | TALLY, "tallies": st.lists(TALLY, max_size=2),
    "source_name": st.text(max_size=5), "shownAs": st.text(max_size=3),
    "shown_as": st.text(max_size=3), "secret": st.text(max_size=3), "items": st.text(max_size=3),
    # keys named like fields that read another key: never the ones dumped
    "renamed": st.text(max_size=3), "dotted": st.integers(), "computed": st.integers(),
})


@given(rows=st.lists(ROW, max_size=4))
def test_a_dict_dumps_as_marshmallow_dumps_it(rows: list[dict[str, Any]]) -> None:
    assert OURS(many=True).dump(rows) == THEIRS(many=True).dump(rows)
    for row in rows:
        assert OURS().dump(row) == THEIRS().dump(row)


@given(row=ROW)
def test_an_object_that_is_not_a_dict_dumps_as_marshmallow_dumps_it(row: dict[str, Any]) -> None:
    obj = SimpleNamespace(**row)
    assert OURS().dump(obj) == THEIRS().dump(obj)


def test_only_and_exclude_and_the_plan_of_each_instance() -> None:
    row = {"id": "a", "title": "T", "count": 2, "at": datetime(2026, 1, 2, tzinfo=UTC),
           "amount": Decimal("1.50"), "tally": {"approve": 1}}
    assert OURS(only=("id", "tally")).dump(row) == {"id": "a", "tally": {"approve": 1,
                                                                          "reject": 0}}
    assert OURS(exclude=("tally", "tallies", "computed")).dump(row) == THEIRS(
        exclude=("tally", "tallies", "computed")).dump(row)
    assert OURS().dump(row)["amount"] == "1.50"
    lacking = {"id": "x"}  # "items" missing: marshmallow falls back to the dict's attribute
    assert OURS().dump(lacking) == THEIRS().dump(lacking)
