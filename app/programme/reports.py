"""The programme's report for compliance bundles: readiness per criterion at the period's end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.programme import readiness
from app.reporting import Report

if TYPE_CHECKING:
    from app.reporting import ReportContext


def readiness_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every success criterion as it stood at the end of the period, with its evidence."""
    return [{"track": c["track"], "criterion": c["id"], "title": c["title"],
             "kind": c["kind"], "status": c["status"],
             "evidence": "; ".join(e["label"] for e in c["evidence"]),
             "missing": "; ".join(c["missing"])}
            for c in readiness.evaluate(ctx.engine, ctx.end)]


REPORTS = [Report("programme_readiness", "Track 4 programme readiness (success criteria)",
                  ["track", "criterion", "title", "kind", "status", "evidence", "missing"],
                  readiness_rows)]
