"""The one CSV writer of every export (API, pages, the audit bundle's reports): a cell a
spreadsheet would run as a formula — text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return — is written with a leading apostrophe (OWASP's CSV injection rule)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, or the text with an apostrophe in front when it would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]], *,
             lineterminator: str = "\r\n") -> str:
    """A header row of ``columns``, then one line per row (a mapping by column name, where
    other keys are ignored, or a sequence in column order), every cell made safe."""
    return "".join(csv_lines(columns, rows, lineterminator=lineterminator))


def csv_lines(columns: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]], *,
              lineterminator: str = "\r\n") -> Iterator[str]:
    """``csv_text`` line by line, as the rows arrive: a streamed download holds one row at a
    time, however long the list."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(columns)
    yield _take(out)
    for row in rows:
        cells = ([row.get(c, "") for c in columns] if hasattr(row, "get")
                 else list(row))  # type: ignore[union-attr]
        writer.writerow([safe_cell(c) for c in cells])
        yield _take(out)


def _take(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text
