"""Read side of the programme: readiness per track, activities planned vs actual, risks."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.programme import readiness
from domain.programme.guide import TRACKS
from domain.programme.programme import unmet_prerequisites
from projections.base import from_db
from projections.people.tables import people
from projections.programme.tables import (
    programme_activities,
    programme_risks,
    programme_time,
    programmes,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

STATUSES = ("met", "partly", "not_met")


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [{k: from_db(v) if isinstance(v, datetime) else v for k, v in r._mapping.items()}
            for r in conn.execute(query)]


def overview(engine: Engine, at: datetime) -> dict[str, Any]:
    """The programme as it stands at ``at`` in ``engine``: every track's criteria with their
    evidence, its activities (owner, timebox, time logged, prerequisites), the totals, risks."""
    checks = readiness.evaluate(engine, at)
    met = {c["id"] for c in checks if c["status"] == "met"}
    with engine.connect() as conn:
        programme = next(iter(_rows(conn, select(programmes))), None)
        activities = _rows(conn, select(programme_activities).order_by(
            programme_activities.c.position))
        entries = _rows(conn, select(programme_time).order_by(programme_time.c.version))
        names = {r["id"]: r["name"] for r in _rows(conn, select(people.c.id, people.c.name))}
    logged: dict[str, float] = defaultdict(float)
    for entry in entries:
        logged[entry["activity_id"]] += entry["hours"]
        entry["person_name"] = names.get(entry["person_id"])
    by_id = {a["id"]: a for a in activities}
    for a in activities:
        a["actual_hours"] = round(logged[a["id"]], 2)
        a["owner_name"] = names.get(a["owner_id"]) if a["owner_id"] else None
        a["unmet_prerequisites"] = unmet_prerequisites(a["prerequisites"], by_id, met)
    tracks = [_track(code, title, checks, activities) for code, title in TRACKS.items()]
    return {"programme": programme, "at": at, "tracks": tracks,
            "summary": {s: sum(1 for c in checks if c["status"] == s) for s in STATUSES},
            "totals": {"planned_hours": sum(t["planned_hours"] for t in tracks),
                       "actual_hours": round(sum(t["actual_hours"] for t in tracks), 2),
                       "estimate": (programme or {}).get("estimate")},
            "risks": risks(engine), "time_entries": entries}


def _track(code: str, title: str, checks: list[dict[str, Any]],
           activities: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [a for a in activities if a["track"] == code]
    criteria = [c for c in checks if c["track"] == code]
    return {"id": code, "title": title, "criteria": criteria, "activities": mine,
            "met": sum(1 for c in criteria if c["status"] == "met"), "total": len(criteria),
            "planned_hours": sum(a["timebox_hours"] for a in mine),
            "actual_hours": round(sum(a["actual_hours"] for a in mine), 2)}


def risks(engine: Engine) -> list[dict[str, Any]]:
    """The programme's risks with mitigation, owner and status (none before it is created)."""
    with engine.connect() as conn:
        rows = _rows(conn, select(programme_risks).order_by(programme_risks.c.position))
        names = {r["id"]: r["name"] for r in _rows(conn, select(people.c.id, people.c.name))}
    for r in rows:
        r["owner_name"] = names.get(r["owner_id"]) if r["owner_id"] else None
    return rows
