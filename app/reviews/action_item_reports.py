"""The action item tracker's compliance report: items raised in the period or open at its end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.reporting import Report, cell
from app.reviews.action_item_queries import iter_action_items

if TYPE_CHECKING:
    from app.reporting import ReportContext

COLUMNS = ["id", "title", "source_type", "source_id", "owner", "owner_id", "priority", "due",
           "status", "raised_at", "completed_at", "overdue_at_period_end", "status_note"]


def action_item_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Items raised in the period or still open at its end, in the order they were raised, with
    their status as the period ended and whether they were overdue then."""
    items = iter_action_items(ctx.engine, ctx.end.date(), raised_until=ctx.end,
                              open_or_raised_since=ctx.start)
    rows = []
    for item in sorted(items, key=lambda i: (i["raised_at"], i["id"])):
        rows.append({**{k: cell(item.get(k)) for k in COLUMNS},
                     "owner": cell(item["owner_name"] or item["owner_id"]),
                     "overdue_at_period_end": cell(item["overdue"])})
    return rows


REPORTS: list[Report] = [
    Report("action_items", "Action items raised in the period or open at its end",
           COLUMNS, action_item_rows),
]
"""This area's reports, in the order of the bundle's PDF sections."""
