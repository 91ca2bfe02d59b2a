"""The CCB's compliance report: the decision log of the period, with quorum and approvals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.ccb.exports import COLUMNS, decision_row
from app.ccb.queries import list_decisions, names
from app.reporting import Report, cell

if TYPE_CHECKING:
    from app.reporting import ReportContext

DECISION_LOG_COLUMNS = [*COLUMNS, "decided_by_name", "present_names"]


def decision_log_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every decision made in the period, oldest first, with the names of who decided and who
    was present (the columns of the CCB's decision log download, then the names)."""
    who = names(ctx.engine)
    rows = []
    for decision in list_decisions(ctx.engine, start=ctx.start, end=ctx.end):
        row = {k: cell(v) for k, v in decision_row(decision).items()}
        present = (decision.get("quorum") or {}).get("present", [])
        row["decided_by_name"] = who.get(decision["decided_by"] or "", "")
        row["present_names"] = "; ".join(who.get(p, p) for p in present)
        rows.append(row)
    return rows


REPORTS: list[Report] = [
    Report("decision_log", "CCB decision log (quorum, votes, approvals, ratification)",
           DECISION_LOG_COLUMNS, decision_log_rows),
]
"""This area's reports, in the order of the bundle's PDF sections."""
