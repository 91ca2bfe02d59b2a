"""On-call compliance reports: the schedule, the incidents with their response times, and
MTTA/MTTR of the period."""

from __future__ import annotations

from datetime import timedelta
from statistics import mean
from typing import TYPE_CHECKING, Any

from app.oncall.queries import (
    incident_metrics,
    list_covers,
    list_incidents,
    list_rotations,
    list_shifts,
)
from app.reporting import Report, cell

if TYPE_CHECKING:
    from app.reporting import ReportContext

SCHEDULE_COLUMNS = ["rotation", "timezone", "week_start", "starts_at", "ends_at", "primary",
                    "secondary", "primary_id", "secondary_id"]
INCIDENT_COLUMNS = ["id", "title", "severity", "category", "practice", "status", "rotation",
                    "opened_at", "acknowledged_at", "mitigated_at", "resolved_at",
                    "time_to_acknowledge_s", "time_to_resolve_s", "ack_within_target"]
METRIC_COLUMNS = ["group_by", "group", "incidents", "acknowledged", "resolved", "mtta_s",
                  "mttr_s", "ack_within_target"]


def schedule_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every shift overlapping the period, by rotation then time, with who was on call."""
    rows = []
    for rotation in list_rotations(ctx.engine):
        for shift in list_shifts(ctx.engine, rotation["id"], ctx.start, ctx.end):
            rows.append({"rotation": rotation["name"], "timezone": rotation["timezone"],
                         "week_start": shift["week_start"],
                         "starts_at": cell(shift["starts_at"]), "ends_at": cell(shift["ends_at"]),
                         "primary": cell(shift["primary_name"]),
                         "secondary": cell(shift["secondary_name"]),
                         "primary_id": cell(shift["primary_id"]),
                         "secondary_id": cell(shift["secondary_id"])})
    return rows


OVERRIDE_COLUMNS = ["rotation", "week_start", "role", "starts_at", "ends_at", "covering",
                    "covering_id", "instead_of", "instead_of_id", "reason", "recorded_at"]


def override_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every interval override overlapping the period: who covered which role when, instead of
    whom, and why (the schedule report shows the weeks as planned)."""
    rows = []
    for rotation in list_rotations(ctx.engine):
        for cover in list_covers(ctx.engine, rotation["id"], ctx.start, ctx.end):
            rows.append({"rotation": rotation["name"], "week_start": cover["week_start"],
                         "role": cover["role"], "starts_at": cell(cover["starts_at"]),
                         "ends_at": cell(cover["ends_at"]),
                         "covering": cell(cover["person_name"]),
                         "covering_id": cover["person_id"],
                         "instead_of": cell(cover["replaced_name"]),
                         "instead_of_id": cell(cover["replaced_id"]),
                         "reason": cell(cover["reason"]),
                         "recorded_at": cell(cover["recorded_at"])})
    return rows


def _in_period(ctx: ReportContext) -> list[dict[str, Any]]:
    return sorted(list_incidents(ctx.engine, opened_from=ctx.start, opened_to=ctx.end),
                  key=lambda i: (i["opened_at"], i["id"]))


def incident_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every incident opened in the period, oldest first, with its times to acknowledge and to
    resolve (seconds; empty while not yet acknowledged or resolved)."""
    rotations = {r["id"]: r["name"] for r in list_rotations(ctx.engine)}
    return [{**{k: cell(incident.get(k)) for k in INCIDENT_COLUMNS},
             "rotation": rotations.get(incident["rotation_id"], incident["rotation_id"])}
            for incident in _in_period(ctx)]


def metric_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """MTTA and MTTR (seconds) of the incidents opened in the period: all of them, then by
    severity and by real versus practice."""
    incidents = _in_period(ctx)
    tta = [i["time_to_acknowledge_s"] for i in incidents
           if i["time_to_acknowledge_s"] is not None]
    ttr = [i["time_to_resolve_s"] for i in incidents if i["time_to_resolve_s"] is not None]
    rows = [{"group_by": "all", "group": "all", "incidents": len(incidents),
             "acknowledged": len(tta), "resolved": len(ttr),
             "mtta_s": mean(tta) if tta else None, "mttr_s": mean(ttr) if ttr else None,
             "ack_within_target": sum(1 for i in incidents if i["ack_within_target"])}]
    end = ctx.end + timedelta(microseconds=1)  # incident_metrics excludes its end
    for group_by in ("severity", "practice"):
        rows += [{"group_by": group_by, **m}
                 for m in incident_metrics(ctx.engine, group_by, start=ctx.start, end=end)]
    return [{k: cell(v) for k, v in row.items()} for row in rows]


REPORTS: list[Report] = [
    Report("oncall_schedule", "On-call schedule (shifts overlapping the period)",
           SCHEDULE_COLUMNS, schedule_rows),
    Report("oncall_overrides", "On-call interval overrides overlapping the period",
           OVERRIDE_COLUMNS, override_rows),
    Report("incidents", "Incidents opened in the period, with time to acknowledge and "
           "to resolve", INCIDENT_COLUMNS, incident_rows),
    Report("incident_metrics", "Incident MTTA/MTTR (seconds) for the period",
           METRIC_COLUMNS, metric_rows),
]
"""This area's reports, in the order of the bundle's PDF sections."""
