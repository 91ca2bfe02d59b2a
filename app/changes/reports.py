"""Change requests' compliance reports: the complete population of the period and the approval evidence (segregation of duties)."""

from __future__ import annotations

from typing import Any

from app.changes import queries as change_queries
from app.people import queries as people_queries
from app.reporting import Report, ReportContext


def _population(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every change request submitted in the period (the complete population)."""
    functions = {p["id"]: p["function"] for p in people_queries.list_people(ctx.engine)}
    rows = []
    for c in change_queries.submitted_between(ctx.engine, ctx.start, ctx.end):
        rows.append({"id": c["id"], "title": c["title"], "category": c["category"],
                     "risk": c["risk"], "systems": " ".join(c["systems"]),
                     "requester": c["requester_name"] or c["requester_id"],
                     "requester_function": functions.get(c["requester_id"], ""),
                     "submitted_at": c["submitted_at"].isoformat(),
                     "planned_start": c["planned_start"].isoformat(),
                     "planned_end": c["planned_end"].isoformat(),
                     "rollback_plan": "yes" if c["rollback_plan"] else "no",
                     "emergency": "yes" if c["category"] == "emergency" else "no",
                     "status": c["status"]})
    return rows


APPROVAL_WORDS = ("approv", "vote", "decid", "ratif", "reject")


def _change_of(e: dict[str, Any]) -> str | None:
    """The change request an event is about, if any."""
    change_id = (e["aggregate_id"] if "ChangeRequest" in e["topic"] else
                 e["data"].get("change_id") or e["data"].get("change_request_id"))
    return str(change_id) if change_id else None


def _evidence(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every event about a change request in the period: who did what, when, for whom, why —
    with segregation of duties checked (no approval-like event by the change's requester)."""
    names = people_queries.people_names(ctx.engine)
    about = [(e, _change_of(e)) for e in ctx.events]
    requesters = change_queries.requesters_of(ctx.engine, [c for _e, c in about if c])
    rows = []
    for e, change_id in about:
        if not change_id or change_id not in requesters:
            continue
        approval = any(w in e["type"].lower() for w in APPROVAL_WORDS)
        requester = requesters[change_id]
        rows.append({
            "change_id": change_id, "position": e["position"], "event": e["type"],
            "recorded_at": e["recorded_at"],
            "actor": names.get(e["actor_id"] or "", e["actor_id"] or ""),
            "on_behalf_of": names.get(e["on_behalf_of"] or "", e["on_behalf_of"] or ""),
            "reason": e["reason"] or "", "requester": names.get(requester, requester),
            "approval": "yes" if approval else "no",
            "segregation_of_duties": ("VIOLATED" if approval and requester in (
                e["actor_id"], e["on_behalf_of"]) else "held")})
    return rows


REPORTS: list[Report] = [
    Report("change_requests", "Change requests in the period (complete population)",
           ["id", "title", "category", "risk", "systems", "requester",
            "requester_function", "submitted_at", "planned_start", "planned_end",
            "rollback_plan", "emergency", "status"], _population),
    Report("change_approval_evidence",
           "Change approval evidence (SOC 2 CC8.1, ISO 27001 A.8.32 / A.5.3)",
           ["change_id", "position", "event", "recorded_at", "actor", "on_behalf_of",
            "reason", "requester", "approval", "segregation_of_duties"], _evidence),
]
"""This area's reports, in the order of the bundle's PDF sections."""
