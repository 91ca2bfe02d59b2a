"""Pages of a list: the database filters, orders, counts and slices; Python only converts the
rows of one page. Every list the product serves (pages, API, CSV) goes through here, so no
request loads a whole read-model table.

An API list answers ``{"items": [...], "total", "limit", "offset"}``: ``total`` counts every
row matching the filters, ``limit`` is the page size that applied (a larger one asked for is
clamped to ``LIMIT_CAP``) and ``offset`` the number of rows skipped. Exports stream every
matching row in batches (``stream``) through the one CSV writer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from marshmallow import fields, validate
from sqlalchemy import func, select

from app.schemas import FormSchema, Integer, Limit, Schema

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine, Row, Select

DEFAULT_LIMIT = 50
"""Rows on a page when the client does not say."""
LIMIT_CAP = 500
"""The most rows one page holds; a larger ``limit`` is clamped to this."""
STREAM_BATCH = 500
"""Rows fetched at a time while streaming an export."""

Counter = Callable[["Engine", "Select[Any]", "Callable[[], int]"], int]
_counter: Counter | None = None


def count_with(counter: Counter | None) -> None:
    """Have ``fetch_page`` count a page's matching rows through ``counter(engine, total,
    count)`` (which may answer without calling ``count``: the web layer keeps each count while
    no read model moves, ``web/context.py`` ``kept_count``); None: always count."""
    global _counter  # one setting, made once by the web app factory
    _counter = counter


class PageArgsSchema(Schema):
    """``limit`` (default 50, above 500 clamped to 500) and ``offset`` (default 0) of a list;
    a limit below 1 or a negative offset is a 422 naming the field."""

    limit = Limit(cap=LIMIT_CAP, load_default=DEFAULT_LIMIT,
                  metadata={"description": f"page size, at most {LIMIT_CAP} (larger is clamped)"})
    offset = Integer(load_default=0, validate=validate.Range(min=0),
                     metadata={"description": "rows to skip"})


class PageQueryArgsSchema(FormSchema, PageArgsSchema):
    """The page of a list without filters (from a query string: blank is absent)."""


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The response schema ``name``: one page of ``item`` rows with the paging facts."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item), metadata={"description": "at most `limit` rows"}),
        "total": Integer(metadata={"description": "rows matching the filters, on every page"}),
        "limit": Integer(metadata={"description": "the page size that applied"}),
        "offset": Integer(metadata={"description": "rows skipped before this page"}),
    }, name=name + "Schema")


def fetch_page(engine: Engine, query: Select[Any], *, limit: int, offset: int,
               convert: Callable[[Row[Any]], dict[str, Any]],
               total: Select[Any] | None = None) -> dict[str, Any]:
    """One page of the (filtered and ordered) ``query``, each row through ``convert``, with the
    number of matching rows counted by ``total`` (a cheaper equivalent count query) or by
    counting ``query`` itself."""
    with engine.connect() as conn:
        rows = [convert(r) for r in conn.execute(query.limit(limit).offset(offset))]
        if total is not None:
            def count() -> int:
                return int(conn.scalar(total) or 0)

            matching = _counter(engine, total, count) if _counter else count()
        elif offset == 0 and len(rows) < limit:
            matching = len(rows)  # the whole list fits on the first page: nothing to count
        else:
            matching = int(conn.scalar(select(func.count()).select_from(
                query.order_by(None).subquery())) or 0)
    return {"items": rows, "total": matching, "limit": limit, "offset": offset}


def stream(engine: Engine, query: Select[Any],
           convert: Callable[[Row[Any]], Any]) -> Iterator[Any]:
    """Every row of ``query``, converted, fetched ``STREAM_BATCH`` at a time (never the whole
    result in memory)."""
    with engine.connect() as conn:
        options: dict[str, Any] = {"yield_per": STREAM_BATCH}
        if conn.dialect.name == "postgresql":  # a server-side cursor lives in a transaction,
            options["isolation_level"] = conn.default_isolation_level  # also on a reader
        result = conn.execution_options(**options).execute(query)
        for row in result:
            yield convert(row)
