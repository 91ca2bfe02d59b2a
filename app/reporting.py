"""Human-readable reports for compliance bundles: a registry every area appends to.

A report is a title, columns and a function ``rows(ctx)`` returning dicts; ``ctx`` holds the
read-model ``engine`` (as it stood at the end of the period), the period (``start``, ``end``),
and the period's decoded ``events`` (dicts: position, type, topic, aggregate_id, actor_id,
on_behalf_of, reason, recorded_at, data). Each report becomes a CSV file and a section of
``reports.pdf``. Each area lists its reports in ``app/<area>/reports.py``::

    REPORTS = [Report("incidents", "Incidents with MTTA/MTTR", ["id", ...], my_rows)]

and ``app/bootstrap.py`` puts every area's list, in the order of the PDF's sections, on
``Services.reports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class ReportContext:
    """What a report may read."""

    engine: Engine
    start: datetime
    end: datetime
    events: list[dict[str, Any]]


@dataclass
class Report:
    """One report: CSV file ``<name>.csv`` and a section of the PDF."""

    name: str
    title: str
    columns: list[str]
    rows: Callable[[ReportContext], list[dict[str, Any]]]


def cell(value: Any) -> str:
    """A report cell: empty for None, yes/no for booleans, ISO 8601 for times, else ``str``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
