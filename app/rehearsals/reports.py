"""Release rehearsals' compliance report: the Go/No-Go decisions of the period (the rows and
columns live in ``app.rehearsals.queries``; the per-rehearsal document is ``rehearsal_report``)."""

from __future__ import annotations

from app.rehearsals.queries import DECISION_REPORT_COLUMNS, decision_rows
from app.reporting import Report

REPORTS: list[Report] = [
    Report("rehearsal_decisions", "Release rehearsal Go/No-Go decisions",
           DECISION_REPORT_COLUMNS, decision_rows),
]
"""This area's reports, in the order of the bundle's PDF sections."""
