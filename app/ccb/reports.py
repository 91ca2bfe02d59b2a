"""The CCB's compliance report: the decision log of the period, with quorum and approvals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.ccb.exports import COLUMNS, decision_row
from app.ccb.queries import list_boards, list_decisions, membership_history, names
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


MEMBERSHIP_COLUMNS = ["board", "board_id", "at", "change", "person", "person_id", "function",
                      "previous_function", "by", "reason"]


def membership_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every membership change of every board up to the period's end (founding members first),
    so who sat on a board at any moment of the period can be read from the report."""
    who = names(ctx.engine)
    rows = []
    for board in list_boards(ctx.engine):
        for change in membership_history(ctx.engine, board["id"], ctx.end):
            rows.append({"board": board["name"], "board_id": board["id"],
                         "at": cell(change["at"]), "change": change["change"],
                         "person": who.get(change["person_id"], ""),
                         "person_id": change["person_id"], "function": change["function"],
                         "previous_function": cell(change["previous_function"]),
                         "by": who.get(change["actor_id"] or "", cell(change["actor_id"])),
                         "reason": cell(change["reason"])})
    return rows


REPORTS: list[Report] = [
    Report("decision_log", "CCB decision log (quorum, votes, approvals, ratification)",
           DECISION_LOG_COLUMNS, decision_log_rows),
    Report("board_membership", "CCB membership changes up to the period's end (who sat on "
           "each board when, and why it changed)", MEMBERSHIP_COLUMNS, membership_rows),
]
"""This area's reports, in the order of the bundle's PDF sections."""
