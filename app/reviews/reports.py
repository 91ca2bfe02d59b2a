"""Post-launch reviews' compliance report: reviews held in the period, metrics against targets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.reporting import Report, cell
from app.reviews.queries import (
    incidents_between,
    launch_reviews,
    launches_reviewed_between,
    list_launches,
    mtta_mttr,
)
from domain.base import now
from domain.reviews.review import compare_metrics

if TYPE_CHECKING:
    from app.reporting import ReportContext

METRICS = {"uptime_pct": "uptime", "error_rate_pct": "error_rate", "p95_ms": "p95"}
COLUMNS = ["review_id", "launch", "system", "kind", "scheduled_for", "period_start",
           "period_end", "status", "finalised", "finalised_at",
           *(f"{m}{s}" for m in METRICS.values() for s in ("", "_target", "_met")),
           "active_users", "support_tickets", "incidents", "mtta_min", "mttr_min"]


def review_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Reviews scheduled in the period and held (started, finalised, or due by the period's end
    or today, whichever is earlier), by date: each metric next to its target and whether it met
    it; finalised reviews use the targets and incidents they froze, others the live ones."""
    last_day = min(ctx.end, now()).date()
    held = launches_reviewed_between(ctx.engine, ctx.start.date(), ctx.end.date())
    rows = []
    for launch in list_launches(ctx.engine):
        if launch["id"] not in held:
            continue  # none of its reviews is scheduled in the period
        for review in launch_reviews(ctx.engine, launch["id"]):
            day = review["scheduled_for"]
            if review["status"] == "cancelled" or not ctx.start.date() <= day <= ctx.end.date():
                continue
            if review["status"] == "scheduled" and day > last_day:
                continue
            rows.append(_row(ctx, launch, review))
    return sorted(rows, key=lambda r: (r["scheduled_for"], r["launch"], r["review_id"]))


def _row(ctx: ReportContext, launch: dict[str, Any], review: dict[str, Any]) -> dict[str, Any]:
    finalised = review["status"] == "finalised"
    targets = review["targets"] if finalised and review["targets"] else launch["targets"]
    incidents = review["incidents"] if finalised and review["incidents"] is not None else (
        incidents_between(ctx.engine, review["period_start"], review["period_end"]))
    mtta, mttr = mtta_mttr(incidents)
    row = {"review_id": review["id"], "launch": launch["name"], "system": launch["system"],
           "kind": review["kind"], "scheduled_for": review["scheduled_for"],
           "period_start": review["period_start"], "period_end": review["period_end"],
           "status": review["status"], "finalised": finalised,
           "finalised_at": review["finalised_at"], "active_users": review["active_users"],
           "support_tickets": sum(review["tickets"].values()) if review["tickets"] else None,
           "incidents": len(incidents), "mtta_min": mtta, "mttr_min": mttr}
    for metric in compare_metrics(review, targets):
        name = METRICS[metric["key"]]
        row |= {name: metric["value"], f"{name}_target": metric["target"].replace("≥", ">="),
                f"{name}_met": metric["met"]}
    return {k: cell(v) for k, v in row.items()}


REPORTS: list[Report] = [
    Report("reviews", "Post-launch reviews held in the period (metrics against targets)",
           COLUMNS, review_rows),
]
"""This area's reports, in the order of the bundle's PDF sections."""
