"""Marshmallow schemas: the one description of input and output for forms, API, CLI and exports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import marshmallow
from marshmallow import (
    EXCLUDE,
    ValidationError,
    fields,
    pre_load,
    validate,
)
from marshmallow.utils import missing

__all__ = ["FormSchema", "Integer", "Limit", "Schema", "String", "Text", "ValidationError"]

UTC = timezone.utc

#: Control characters no text may hold: C0 (but tab, newline, carriage return), DEL and C1.
#: NUL cannot be stored by PostgreSQL at all; the others are never typed by a person.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class Schema(marshmallow.Schema):
    """Base of every schema of the product. Dumping a dict reads each field's key straight from
    it and formats it with the field (``Field._serialize``): the same result as marshmallow's
    ``Schema._serialize``, without its accessor chain of five calls a field (``serialize``,
    ``get_value``, ``get_attribute``, ``utils.get_value``, ``_get_value_for_key``), which was
    most of the time of an API list's dump. A key the dict lacks, a dotted ``attribute``, a
    field or schema with its own way of reading a value, and objects that are not dicts go
    through marshmallow's own path."""

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if many and obj is not None:
            return [self._serialize(d) for d in obj]
        if type(obj) is not dict:
            return super()._serialize(obj, many=False)
        plan = self.__dict__.get("_dump_plan")
        if plan is None:
            plan = self.__dict__["_dump_plan"] = _dump_plan(self)
        dumped = self.dict_class()
        for attr_name, key, source, field, direct in plan:
            if direct and source in obj:
                dumped[key] = field._serialize(obj[source], attr_name, obj)  # noqa: SLF001
            else:
                value = field.serialize(attr_name, obj, accessor=self.get_attribute)
                if value is not missing:
                    dumped[key] = value
        return dumped


def _dump_plan(schema: Schema) -> list[tuple[str, str, str, fields.Field, bool]]:
    """For each dumped field: its name, output key, the key it reads, the field, and whether it
    may be read directly (marshmallow's accessors would do nothing else for a dict holding it)."""
    plain = type(schema).get_attribute is marshmallow.Schema.get_attribute
    plan = []
    for attr_name, field in schema.dump_fields.items():
        source = attr_name if field.attribute is None else field.attribute
        direct = (plain and field._CHECK_ATTRIBUTE and "." not in source  # noqa: SLF001
                  and type(field).get_value is fields.Field.get_value
                  and type(field).serialize is fields.Field.serialize)
        plan.append((attr_name, field.data_key if field.data_key is not None else attr_name,
                     source, field, direct))
    return plan


class String(fields.String):
    """A string that holds no control character (tab, newline and carriage return excepted):
    the one edge check, so API bodies, query strings, forms and CLI arguments all refuse
    ``\\u0000`` and its kin with 422 naming the field, before any event is appended."""

    default_error_messages = {"control": "must not contain control characters (such as NUL)"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if CONTROL.search(text):
            raise self.make_error("control")
        return text


INT64 = (-(2 ** 63), 2 ** 63 - 1)
"""The range of a stored integer (PostgreSQL ``bigint``, SQLite ``INTEGER``)."""


class Integer(fields.Integer):
    """An integer a database can hold: outside the 64-bit range it is a 422 naming the field,
    never an overflow in a query (``?offset=9223372036854775808``)."""

    default_error_messages = {"out_of_range": "must be between -2^63 and 2^63 - 1"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number = super()._deserialize(value, attr, data, **kwargs)
        if not INT64[0] <= number <= INT64[1]:
            raise self.make_error("out_of_range")
        return number


class Limit(Integer):
    """A page size: at least 1; above ``cap`` it is clamped to ``cap`` (the answer says which
    limit applied), so a client asking for too much gets the most it may have."""

    def __init__(self, *, cap: int, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1), **kwargs)
        self.cap = cap

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        return min(super()._deserialize(value, attr, data, **kwargs), self.cap)


class Text(String):
    """A string with surrounding whitespace removed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def when(**kwargs: Any) -> fields.AwareDateTime:
    """An ISO 8601 date-time; one without an offset is taken as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


class FormSchema(Schema):
    """Base of every schema loaded from form-encoded input: an HTML form's fields, or the query
    string of a filter form. Never used for a JSON body (API input schemas stay strict); a form
    schema subclasses this and the input schema: ``class XFormSchema(FormSchema, XInputSchema)``.

    One ``pre_load`` turns what a browser sends into what the fields load:

    - a blank field (empty or only spaces, or a repeated field whose values are all blank) is
      missing, so its ``load_default`` applies (``None``, ``""``, ``[]`` …) and a required one is
      reported as missing;
    - a checkbox named in ``checkboxes`` is ``True`` when sent ("on", "true", "1" …) and
      ``False`` when absent (a browser sends nothing for an unchecked box);
    - a list field named in ``separators`` may arrive as one text, split at that pattern
      (a field sent several times, such as a multi-select, arrives as a list already);
    - fields the schema does not declare (buttons, a hidden ``tab`` or ``next``) are ignored;
    - last, ``reshape`` turns flat fields into the structure the schema loads (rows into a list,
      ``charter_*`` into a nested charter); override it where a form needs that.
    """

    class Meta:
        unknown = EXCLUDE

    checkboxes: ClassVar[tuple[str, ...]] = ()
    separators: ClassVar[dict[str, str]] = {}

    @pre_load
    def from_form(self, data: Any, **kwargs: Any) -> Any:
        """Blank fields are missing, checkboxes are booleans, separated lists are lists."""
        if not isinstance(data, Mapping):
            return data
        sent = {key: value for key, value in ((k, filled(v)) for k, v in data.items())
                if value is not None}
        for name in self.checkboxes:
            sent[name] = checked(sent.get(name))
        for name, pattern in self.separators.items():
            if isinstance(sent.get(name), str):
                sent[name] = [item.strip() for item in re.split(pattern, sent[name])
                              if item.strip()]
        return self.reshape(sent)

    def reshape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Turn the (already coerced) flat form fields into what the schema loads."""
        return data


def filled(value: Any) -> Any:
    """A form value, or None when it is blank (a list keeps its non-blank items)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, list):
        return [item for item in value if filled(item) is not None] or None
    return value


def checked(value: Any) -> Any:
    """A checkbox's value as a boolean: absent is False; anything else is left to the field."""
    if value is None:
        return False
    if isinstance(value, list):
        value = value[-1]
    if value in fields.Boolean.truthy:
        return True
    if value in fields.Boolean.falsy:
        return False
    return value


class HistoryEventSchema(Schema):
    """One event of an entity's history."""

    type = String()
    version = Integer()
    recorded_at = fields.DateTime()
    actor_id = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    on_behalf_of = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    data = fields.Function(lambda e: jsonable(e["data"]))
    position = Integer(allow_none=True)
    sealed = fields.Function(lambda e: None if not e.get("sealed") else {
        "included": e["sealed"]["included"], "checkpoint_id": e["sealed"]["checkpoint"]["id"],
        "tree_size": e["sealed"]["checkpoint"]["tree_size"]})


class HistorySchema(Schema):
    """An entity's events, oldest first, a page at a time: ``?limit=`` (default 100, at most
    500) and ``?offset=`` (events skipped); ``total`` is how many events the entity has."""

    events = fields.List(fields.Nested(HistoryEventSchema))
    total = fields.Integer(metadata={"description": "the entity's events, on every page"})
    limit = fields.Integer(metadata={"description": "the page size that applied"})
    offset = fields.Integer(metadata={"description": "events skipped before this page"})


class ErrorSchema(Schema):
    """The one error body: {"error": {"code", "message", "details"}}."""

    class ErrorBody(Schema):
        code = fields.String(required=True)
        message = fields.String(required=True)
        details = fields.Dict()

    error = fields.Nested(ErrorBody, required=True)


def jsonable(value: Any) -> Any:
    """Turn event data (datetimes, UUIDs, decimals, tuples) into JSON-ready values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    return value
