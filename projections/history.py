"""Read models that keep their history: every row carries the log position it is valid from.

Each read-model table ``T`` of a projection gets a ``valid_from`` column (the notification id of
the event that wrote the row as it is) and a companion table ``T_past`` holding every version a
later event replaced or deleted, with ``valid_to`` (the notification id of that event). So the
read models as they stood after position ``P`` are, for each table::

    SELECT … FROM T      WHERE valid_from <= P
    UNION ALL
    SELECT … FROM T_past WHERE valid_from <= P AND valid_to > P

``projections/base.py`` ``Writer`` keeps the history as the handlers write (whatever the batch
size: a row changed by several events of one batch leaves one version per event), and
``app/audit/as_of.py`` reads the past through views of that shape, without replaying the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Column, Index, Table

if TYPE_CHECKING:
    from sqlalchemy import Dialect

VALID_FROM = "valid_from"
VALID_TO = "valid_to"

PAST: dict[Table, Table] = {}
"""Each versioned table → the table of its replaced versions."""


def versioned(table: Table) -> Table:
    """Give ``table`` its ``valid_from`` column and its ``<name>_past`` table (once); returns
    the past table."""
    if table in PAST:
        return PAST[table]
    if table.name.endswith("_past"):
        raise ValueError(f"{table.name}: a past table has no history of its own")
    table.append_column(Column(VALID_FROM, BigInteger, nullable=False, default=0,
                               server_default="0"))
    key = [c.name for c in table.primary_key.columns]
    past = Table(
        f"{table.name}_past", table.metadata,
        *[Column(c.name, c.type, nullable=True) for c in table.columns],
        Column(VALID_TO, BigInteger, nullable=False),
        Index(f"ix_{table.name}_past_to", VALID_TO),
        *([Index(f"ix_{table.name}_past_key", *key, VALID_TO)] if key else []),
    )
    PAST[table] = past
    return past


def view_sql(table: Table, position: int, schema: str, dialect: Dialect) -> str:
    """``CREATE TEMP VIEW`` of ``table`` (a versioned table or a past table) as it stood after
    ``position``, over the real table in ``schema``; the view has the table's name, so the
    same queries read it on a connection where it exists."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(c.name) for c in table.columns)
    name, at = quote(table.name), int(position)
    source = f"{quote(schema)}.{name}"
    if table in PAST:
        past = f"{quote(schema)}.{quote(PAST[table].name)}"
        body = (f"SELECT {columns} FROM {source} WHERE {VALID_FROM} <= {at} UNION ALL "
                f"SELECT {columns} FROM {past} WHERE {VALID_FROM} <= {at} AND {VALID_TO} > {at}")
    else:  # a past table: the versions replaced by then
        body = f"SELECT {columns} FROM {source} WHERE {VALID_TO} <= {at}"
    return f"CREATE TEMP VIEW {name} AS {body}"  # noqa: S608 - names from the table definitions
