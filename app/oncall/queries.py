"""On-call read side: answers from the rm_* tables only."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select

from app.paging import DEFAULT_LIMIT, fetch_page
from app.sql import elapsed_us, utc_day
from domain.errors import NotFound
from domain.oncall.incident import (
    ACK_TARGET_MINUTES,
    UNACKNOWLEDGED,
    UNRESOLVED,
    acknowledged_within_target,
)
from domain.oncall.rotation import ROLES, segments
from domain.oncall.runbook import diff, training_status
from projections.base import from_db
from projections.oncall.tables import (
    incident_timeline,
    incidents,
    rotations,
    runbook_revisions,
    runbook_sign_offs,
    runbooks,
    shift_covers,
    shift_notices,
    shifts,
    swaps,
    trainings,
    unavailability,
)
from projections.people.tables import people

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

UTC = timezone.utc
NIGHT_HOURS = (22, 6)
"""Night hours are 22:00–06:00 in the rotation's time zone."""


def _rows(engine: Engine, query: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [_aware(dict(r._mapping)) for r in conn.execute(query)]


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    return {k: from_db(v) if isinstance(v, datetime) else v for k, v in row.items()}


def _one(engine: Engine, table: Table, key: str, kind: str) -> dict[str, Any]:
    rows = _rows(engine, select(table).where(table.c.id == key))
    if not rows:
        raise NotFound(f"no {kind} with id {key}", id=key)
    return rows[0]


def names(engine: Engine) -> dict[str, str]:
    """Person id → name."""
    return {r["id"]: r["name"] for r in _rows(engine, select(people.c.id, people.c.name))}


# -- rotations ----------------------------------------------------------------------------------

def list_rotations(engine: Engine) -> list[dict[str, Any]]:
    """Every rotation, by name."""
    return _rows(engine, select(rotations).order_by(rotations.c.name))


def get_rotation(engine: Engine, rotation_id: str) -> dict[str, Any]:
    """One rotation with its roster's names."""
    rotation = _one(engine, rotations, rotation_id, "rotation")
    who = names(engine)
    rotation["members"] = [{"id": p, "name": who.get(p, p)} for p in rotation["roster"]]
    return rotation


def list_shifts(engine: Engine, rotation_id: str, start: datetime | None = None,
                end: datetime | None = None) -> list[dict[str, Any]]:
    """Shifts of a rotation overlapping [start, end), in time order, with names."""
    query = select(shifts).where(shifts.c.rotation_id == rotation_id)
    if start is not None:
        query = query.where(shifts.c.ends_at > start)
    if end is not None:
        query = query.where(shifts.c.starts_at < end)
    who = names(engine)
    rows = _rows(engine, query.order_by(shifts.c.starts_at))
    for row in rows:
        row["primary_name"] = who.get(row["primary_id"] or "")
        row["secondary_name"] = who.get(row["secondary_id"] or "")
    return rows


MOVES = ("override", "partial_override", "swap")
"""Causes of a moved shift the timeline marks (plans and roster changes are the schedule)."""


def timeline(engine: Engine, rotation_id: str, start: datetime,
             end: datetime) -> list[dict[str, Any]]:
    """The rotation's shifts starting in ``[start, end)`` (a shift belongs to the week it
    starts in, so consecutive pages neither repeat nor skip one), each with ``moves``: per
    role, the override or swap that put today's holder there (``from`` → ``to``, by whom,
    why, when), when the last change to that role in that week was one; and ``asked``: per
    role, the swap requests still waiting that would move it. Every query is bounded to the
    shifts shown."""
    who = names(engine)
    rows = _rows(engine, select(shifts).where(
        shifts.c.rotation_id == rotation_id, shifts.c.starts_at >= start,
        shifts.c.starts_at < end).order_by(shifts.c.starts_at))
    weeks = [r["week_start"] for r in rows]
    moves = _last_moves(engine, rotation_id, weeks) if weeks else {}
    asked = _waiting_swaps(engine, rotation_id, weeks, who) if weeks else {}
    for row in rows:
        row["primary_name"] = who.get(row["primary_id"] or "")
        row["secondary_name"] = who.get(row["secondary_id"] or "")
        row["moves"], row["asked"] = {}, {}
        for role in ("primary", "secondary"):
            move = moves.get((row["week_start"], role))
            if move and move["cause"] in MOVES:
                row["moves"][role] = {**move, "from_name": who.get(move["from_id"] or ""),
                                      "to_name": who.get(move["to_id"] or ""),
                                      "actor_name": who.get(move["actor_id"] or "")}
            row["asked"][role] = asked.get((row["week_start"], role), [])
    return rows


def _last_moves(engine: Engine, rotation_id: str,
                weeks: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """(week, role) → the last event that moved it: cause, who left, who came, by whom, why."""
    n = shift_notices.c
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for notice in _rows(engine, select(shift_notices).where(
            n.rotation_id == rotation_id, n.week_start.in_(weeks)).order_by(
            n.recorded_at, n.id)):
        key, event = (notice["week_start"], notice["role"]), notice["id"].rsplit(":", 1)[0]
        move = latest.get(key)
        if move is None or move["event"] != event:
            move = latest[key] = {"event": event, "cause": notice["cause"], "from_id": None,
                                  "to_id": None, "actor_id": notice["actor_id"],
                                  "reason": notice["reason"],
                                  "recorded_at": notice["recorded_at"]}
        move.update({k: v for k, v in notice.items() if k in ("starts_at", "ends_at")})
        move["from_id" if notice["change"] == "removed" else "to_id"] = notice["person_id"]
    return latest


def _waiting_swaps(engine: Engine, rotation_id: str, weeks: list[str],
                   who: dict[str, str]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(week, role) → the swap requests still waiting that would move it (either week)."""
    w = swaps.c
    asked: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for swap in _rows(engine, select(swaps).where(
            w.rotation_id == rotation_id, w.status == "requested",
            or_(w.week_start.in_(weeks), w.return_week_start.in_(weeks))).order_by(
            w.requested_at)):
        named = {**swap, "requester_name": who.get(swap["requester_id"]),
                 "counterpart_name": who.get(swap["counterpart_id"])}
        asked.setdefault((swap["week_start"], swap["role"]), []).append(named)
        if swap["return_week_start"]:
            asked.setdefault((swap["return_week_start"], swap["role"]), []).append(
                {**named, "in_return": True})
    return asked
def list_covers(engine: Engine, rotation_id: str, start: datetime | None = None,
                end: datetime | None = None) -> list[dict[str, Any]]:
    """Interval overrides of a rotation overlapping [start, end), by start, with names."""
    c = shift_covers.c
    query = select(shift_covers).where(c.rotation_id == rotation_id)
    if start is not None:
        query = query.where(c.ends_at > start)
    if end is not None:
        query = query.where(c.starts_at < end)
    who = names(engine)
    rows = _rows(engine, query.order_by(c.starts_at, c.id))
    for row in rows:
        row["person_name"] = who.get(row["person_id"])
        row["replaced_name"] = who.get(row["replaced_id"] or "")
    return rows


def _by_week(covers: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    weeks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cover in covers:
        weeks[cover["week_start"]].append(cover)
    return weeks


def shift_segments(engine: Engine, rotation_id: str, start: datetime | None = None,
                   end: datetime | None = None) -> list[dict[str, Any]]:
    """Who held each role when, shift by shift: the scheduled person around each interval
    override, the covering person during it (``cover`` is the override, or None)."""
    covers = _by_week(list_covers(engine, rotation_id))
    result = []
    for shift in list_shifts(engine, rotation_id, start, end):
        for role in ROLES:
            for segment in segments(shift, covers.get(shift["week_start"], []), role):
                result.append({**segment, "role": role, "week_start": shift["week_start"],
                               "rotation_id": rotation_id, "scheduled_id": shift[f"{role}_id"],
                               "shift_starts_at": shift["starts_at"]})
    return result


def person_shifts(engine: Engine, person_id: str, start: datetime | None = None,
                  end: datetime | None = None) -> list[dict[str, Any]]:
    """Every stretch of on-call a person holds in any rotation (whole shifts, the parts of a
    shift others do not cover, and the intervals they cover) in shifts overlapping
    ``[start, end)``, with the rotation's name."""
    rotation_ids = {r["rotation_id"] for r in _rows(engine, select(shifts.c.rotation_id).where(
        or_(shifts.c.primary_id == person_id, shifts.c.secondary_id == person_id)))}
    rotation_ids |= {r["rotation_id"] for r in _rows(engine, select(
        shift_covers.c.rotation_id).where(shift_covers.c.person_id == person_id))}
    rows = []
    for rotation in _rows(engine, select(rotations.c.id, rotations.c.name, rotations.c.timezone)
                          .where(rotations.c.id.in_(sorted(rotation_ids)))):
        rows += [{**seg, "rotation_name": rotation["name"], "timezone": rotation["timezone"]}
                 for seg in shift_segments(engine, rotation["id"], start, end)
                 if seg["person_id"] == person_id]
    return sorted(rows, key=lambda r: (r["starts_at"], r["rotation_id"], r["role"]))


def oncall_at(engine: Engine, rotation_id: str, at: datetime) -> dict[str, Any]:
    """Who is primary and secondary at ``at`` (None where nobody is): the person covering an
    interval override in force, else the scheduled one. ``overrides`` lists those in force."""
    get_rotation(engine, rotation_id)
    rows = _rows(engine, select(shifts).where(shifts.c.rotation_id == rotation_id,
                                              shifts.c.starts_at <= at, shifts.c.ends_at > at))
    shift = rows[0] if rows else {}
    result = {"primary_id": shift.get("primary_id"), "secondary_id": shift.get("secondary_id"),
              "week_start": shift.get("week_start"), "at": at, "overrides": []}
    for cover in list_covers(engine, rotation_id, at, at + timedelta(microseconds=1)):
        result[f"{cover['role']}_id"] = cover["person_id"]
        result["overrides"].append(cover)
    return result


def coverage_gaps(engine: Engine, rotation_id: str, start: datetime,
                  end: datetime) -> list[dict[str, Any]]:
    """Intervals in [start, end) without a primary or without a secondary (24/7 coverage);
    an interval override fills the part of a vacant shift it covers."""
    get_rotation(engine, rotation_id)
    gaps: list[dict[str, Any]] = []

    def add(frm: datetime, to: datetime, missing: list[str]) -> None:
        frm, to = max(frm, start), min(to, end)
        if frm >= to or not missing:
            return
        if gaps and gaps[-1]["end"] == frm and gaps[-1]["missing"] == missing:
            gaps[-1]["end"] = to
        else:
            gaps.append({"start": frm, "end": to, "missing": missing})

    cursor = start
    covers = _by_week(list_covers(engine, rotation_id, start, end))
    for shift in list_shifts(engine, rotation_id, start, end):
        add(cursor, shift["starts_at"], ["primary", "secondary"])
        parts = {role: segments(shift, covers.get(shift["week_start"], []), role)
                 for role in ROLES}
        cuts = sorted({p[k] for role in ROLES for p in parts[role]
                       for k in ("starts_at", "ends_at")})
        for a, b in zip(cuts, cuts[1:]):
            add(a, b, [role for role in ROLES if any(
                p["starts_at"] <= a < p["ends_at"] and not p["person_id"]
                for p in parts[role])])
        cursor = max(cursor, shift["ends_at"])
    add(cursor, end, ["primary", "secondary"])
    return gaps


def _hours(start: datetime, end: datetime, tz: str) -> tuple[int, int]:
    """(weekend hours, night hours) of [start, end) in local time, counted hour by hour."""
    zone, weekend, night = ZoneInfo(tz), 0, 0
    moment = start
    while moment < end:
        local = moment.astimezone(zone)
        weekend += local.weekday() >= 5
        night += local.hour >= NIGHT_HOURS[0] or local.hour < NIGHT_HOURS[1]
        moment += timedelta(hours=1)
    return weekend, night


def fairness_report(engine: Engine, rotation_id: str, start: datetime | None = None,
                    end: datetime | None = None) -> list[dict[str, Any]]:
    """Per person: primary and secondary weeks scheduled; hours actually on call per role
    (interval overrides counted for the person who covered, by the hour), hours covered for
    others and covered by others; weekend and night hours on call; pages received."""
    rotation = get_rotation(engine, rotation_id)
    report: dict[str, dict[str, Any]] = {}
    who = names(engine)

    def entry(pid: str) -> dict[str, Any]:
        return report.setdefault(pid, {"person_id": pid, "name": who.get(pid, pid),
                                       "primary_weeks": 0, "secondary_weeks": 0,
                                       "primary_hours": 0.0, "secondary_hours": 0.0,
                                       "covered_hours": 0.0, "covered_by_others_hours": 0.0,
                                       "weekend_hours": 0, "night_hours": 0, "pages": 0})

    for pid in rotation["roster"]:
        entry(pid)
    for shift in list_shifts(engine, rotation_id, start, end):
        for role in ROLES:
            if shift[f"{role}_id"]:
                entry(shift[f"{role}_id"])[f"{role}_weeks"] += 1
    for seg in shift_segments(engine, rotation_id, start, end):
        if not seg["person_id"]:
            continue
        row = entry(seg["person_id"])
        weekend, night = _hours(seg["starts_at"], seg["ends_at"], rotation["timezone"])
        hours = (seg["ends_at"] - seg["starts_at"]).total_seconds() / 3600
        row[f"{seg['role']}_hours"] += hours
        row["weekend_hours"] += weekend
        row["night_hours"] += night
        if seg["cover"] is not None:
            row["covered_hours"] += hours
            if seg["scheduled_id"]:
                entry(seg["scheduled_id"])["covered_by_others_hours"] += hours
    t = incident_timeline.c
    pages = select(t.person_id, func.count()).join(
        incidents, incidents.c.id == t.incident_id).where(
        incidents.c.rotation_id == rotation_id, t.person_id.is_not(None),
        t.type.in_(("paged", "escalated")),
        *([t.at >= start] if start is not None else []),
        *([t.at < end] if end is not None else [])).group_by(t.person_id)
    with engine.connect() as conn:
        for person_id, count in conn.execute(pages):
            entry(person_id)["pages"] += count
    return sorted(report.values(), key=lambda r: r["name"])


def _notice_query(person_id: str, rotation_id: str | None,
                  since: datetime | None) -> Any:
    query = select(shift_notices, rotations.c.name.label("rotation_name")).join(
        rotations, rotations.c.id == shift_notices.c.rotation_id).where(
        shift_notices.c.person_id == person_id)
    if rotation_id:
        query = query.where(shift_notices.c.rotation_id == rotation_id)
    if since is not None:
        query = query.where(shift_notices.c.starts_at >= since)
    return query.order_by(shift_notices.c.recorded_at.desc(), shift_notices.c.id)


def notices(engine: Engine, person_id: str, rotation_id: str | None = None,
            since: datetime | None = None) -> list[dict[str, Any]]:
    """The shifts of one person that a plan, roster change, override or swap moved."""
    return _rows(engine, _notice_query(person_id, rotation_id, since))


def notice_page(engine: Engine, person_id: str, *, limit: int = DEFAULT_LIMIT,
                offset: int = 0) -> dict[str, Any]:
    """One page of a person's moved shifts, newest first, with how many there are."""
    return fetch_page(engine, _notice_query(person_id, None, None), limit=limit,
                      offset=offset, convert=lambda r: _aware(dict(r._mapping)))


def list_swaps(engine: Engine, rotation_id: str) -> list[dict[str, Any]]:
    """Swaps of a rotation, newest first."""
    return _rows(engine, select(swaps).where(swaps.c.rotation_id == rotation_id)
                 .order_by(swaps.c.requested_at.desc()))


def list_unavailability(engine: Engine, rotation_id: str) -> list[dict[str, Any]]:
    """Declared unavailability of a rotation's people."""
    return _rows(engine, select(unavailability).where(unavailability.c.rotation_id == rotation_id)
                 .order_by(unavailability.c.start))


def plan_warnings(engine: Engine, rotation_id: str, after: datetime) -> list[dict[str, Any]]:
    """Upcoming shifts held by people whose training status is not ``trained``."""
    status = training_statuses(engine)
    who = names(engine)
    warnings = []
    for shift in list_shifts(engine, rotation_id, after):
        for role in ("primary", "secondary"):
            pid = shift[f"{role}_id"]
            if pid and status.get(pid, "untrained") != "trained":
                warnings.append({"person_id": pid, "name": who.get(pid, pid), "role": role,
                                 "week_start": shift["week_start"],
                                 "training_status": status.get(pid, "untrained")})
    return warnings


# -- incidents ----------------------------------------------------------------------------------

def _derive(incident: dict[str, Any]) -> dict[str, Any]:
    opened = incident["opened_at"]
    ack, resolved = incident["acknowledged_at"], incident["resolved_at"]
    incident["time_to_acknowledge_s"] = (ack - opened).total_seconds() if ack else None
    incident["time_to_resolve_s"] = (resolved - opened).total_seconds() if resolved else None
    incident["ack_within_target"] = acknowledged_within_target(opened, ack)
    return incident


def _incident_filters(status: str | None = None, severity: str | None = None,
                      category: str | None = None, practice: bool | None = None,
                      rotation_id: str | None = None, opened_from: datetime | None = None,
                      opened_to: datetime | None = None) -> list[Any]:
    """The incident list's filters as SQL conditions (``opened_to`` inclusive)."""
    c = incidents.c
    conditions = [col == value for col, value in ((c.status, status), (c.severity, severity),
                  (c.category, category), (c.rotation_id, rotation_id)) if value]
    if practice is not None:
        conditions.append(c.practice == practice)
    if opened_from is not None:
        conditions.append(c.opened_at >= opened_from)
    if opened_to is not None:
        conditions.append(c.opened_at <= opened_to)
    return conditions


NEWEST_FIRST = (incidents.c.opened_at.desc(), incidents.c.id)


LISTED = ("id", "title", "severity", "category", "practice", "status", "level", "opened_at",
          "acknowledged_at", "resolved_at")
"""The columns the incident lists of the pages show (with the times derived from them): not
the escalation policy, the responders or the debrief (documents the API carries)."""


def incident_page(engine: Engine, *, limit: int = DEFAULT_LIMIT, offset: int = 0,
                  columns: tuple[str, ...] | None = None, **filters: Any) -> dict[str, Any]:
    """One page of incidents, newest first, matching every filter (see ``_incident_filters``),
    with the number of matching incidents (only ``columns`` of each, e.g. ``LISTED``, when
    given)."""
    conditions = _incident_filters(**filters)
    chosen = [incidents.c[c] for c in columns] if columns else [incidents]
    return fetch_page(engine, select(*chosen).where(*conditions).order_by(*NEWEST_FIRST),
                      limit=limit, offset=offset, convert=lambda r: _derive(_aware(dict(
                          r._mapping))),
                      total=select(func.count()).select_from(incidents).where(*conditions))


def list_incidents(engine: Engine, **filters: Any) -> list[dict[str, Any]]:
    """Incidents, newest first, filtered: for bounded sets (a report's period); lists the
    product serves use ``incident_page``."""
    return [_derive(r) for r in _rows(engine, select(incidents).where(
        *_incident_filters(**filters)).order_by(*NEWEST_FIRST))]


def get_incident(engine: Engine, incident_id: str) -> dict[str, Any]:
    """One incident with its derived times and its timeline (names filled in)."""
    incident = _derive(_one(engine, incidents, incident_id, "incident"))
    who = names(engine)
    timeline = _rows(engine, select(incident_timeline)
                     .where(incident_timeline.c.incident_id == incident_id)
                     .order_by(incident_timeline.c.version))
    for row in timeline:
        row["person_name"] = who.get(row["person_id"] or "")
        row["actor_name"] = who.get(row["actor_id"] or "", "system" if row["actor_id"] else None)
    incident["timeline"] = timeline
    incident["responder_names"] = {k: who.get(v or "") for k, v in incident["responders"].items()}
    return incident


def open_incident_ids(engine: Engine) -> list[str]:
    """Incidents not resolved yet (candidates for clock-driven escalation)."""
    return [r["id"] for r in _rows(engine, select(incidents.c.id)
                                   .where(incidents.c.status.in_(UNRESOLVED)))]


GROUPS = ("period", "severity", "category", "practice")


ACK_TARGET_US = ACK_TARGET_MINUTES * 60 * 1_000_000
"""``acknowledged_within_target``'s bound, in the microseconds the SQL aggregates count."""


def incident_metrics(engine: Engine, group_by: str = "severity", period: str = "month",
                     start: datetime | None = None,
                     end: datetime | None = None) -> list[dict[str, Any]]:
    """MTTA and MTTR (seconds) per group: period (week|month), severity, category or practice.
    The database sums and counts (per day when grouping by period, folded into weeks or months
    here), so the answer costs one row per group, not one per incident."""
    c = incidents.c
    tta, ttr = elapsed_us(c.opened_at, c.acknowledged_at), elapsed_us(c.opened_at, c.resolved_at)
    key = utc_day(c.opened_at) if group_by == "period" else c[group_by]
    conditions = [c.opened_at >= start] if start else []
    if end:
        conditions.append(c.opened_at < end)
    query = select(key.label("key"), func.count().label("incidents"),
                   func.count(tta).label("acknowledged"), func.sum(tta).label("tta_us"),
                   func.count(ttr).label("resolved"), func.sum(ttr).label("ttr_us"),
                   func.sum(case((tta <= ACK_TARGET_US, 1), else_=0)).label("within"),
                   ).where(*conditions).group_by(key)
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with engine.connect() as conn:
        for row in conn.execute(query):
            totals = groups[_group_key(row.key, group_by, period)]
            for name in ("incidents", "acknowledged", "tta_us", "resolved", "ttr_us", "within"):
                totals[name] += int(getattr(row, name) or 0)
    return [_metrics(name, groups[name]) for name in sorted(groups)]


def _metrics(group: str, t: dict[str, int]) -> dict[str, Any]:
    return {"group": group, "incidents": t["incidents"], "acknowledged": t["acknowledged"],
            "resolved": t["resolved"],
            "mtta_s": t["tta_us"] / t["acknowledged"] / 1e6 if t["acknowledged"] else None,
            "mttr_s": t["ttr_us"] / t["resolved"] / 1e6 if t["resolved"] else None,
            "ack_within_target": t["within"]}


def _group_key(value: Any, group_by: str, period: str) -> str:
    """The group a row's key falls in (for ``period``, the key is the UTC day opened)."""
    if group_by == "practice":
        return "practice" if value else "real"
    if group_by == "period":
        opened = date.fromisoformat(value)
        if period == "week":
            year, week, _ = opened.isocalendar()
            return f"{year}-W{week:02d}"
        return opened.strftime("%Y-%m")
    return str(value)


# -- runbooks and training ----------------------------------------------------------------------

def list_runbooks(engine: Engine) -> list[dict[str, Any]]:
    """Every runbook with its current revision and sign-off state."""
    signed = _rows(engine, select(runbook_sign_offs.c.runbook_id, runbook_sign_offs.c.revision,
                                  runbook_sign_offs.c.kind).join(
        runbooks, (runbooks.c.id == runbook_sign_offs.c.runbook_id)
        & (runbooks.c.revision == runbook_sign_offs.c.revision)))  # current revisions only
    result = []
    for book in _rows(engine, select(runbooks).order_by(runbooks.c.category)):
        current = [s for s in signed if s["runbook_id"] == book["id"]
                   and s["revision"] == book["revision"]]
        book["reviewed"] = any(s["kind"] == "reviewed" for s in current)
        book["validated"] = any(s["kind"] == "validated" for s in current)
        result.append(book)
    return result


def get_runbook(engine: Engine, runbook_id: str) -> dict[str, Any]:
    """One runbook with its revisions (newest first) and sign-offs."""
    book = _one(engine, runbooks, runbook_id, "runbook")
    who = names(engine)
    book["revisions"] = _rows(engine, select(runbook_revisions).where(
        runbook_revisions.c.runbook_id == runbook_id).order_by(runbook_revisions.c.revision.desc()))
    book["sign_offs"] = _rows(engine, select(runbook_sign_offs).where(
        runbook_sign_offs.c.runbook_id == runbook_id).order_by(runbook_sign_offs.c.recorded_at))
    for row in book["sign_offs"]:
        row["by_name"] = who.get(row["by"] or "")
    current = [s for s in book["sign_offs"] if s["revision"] == book["revision"]]
    book["reviewed"] = any(s["kind"] == "reviewed" for s in current)
    book["validated"] = any(s["kind"] == "validated" for s in current)
    return book


def runbook_diff(engine: Engine, runbook_id: str, old: int, new: int) -> dict[str, Any]:
    """Unified diff between two revisions of a runbook."""
    texts = {r["revision"]: r["content"] for r in _rows(engine, select(runbook_revisions).where(
        runbook_revisions.c.runbook_id == runbook_id))}
    if not texts:
        raise NotFound(f"no runbook with id {runbook_id}", id=runbook_id)
    for revision in (old, new):
        if revision not in texts:
            raise NotFound(f"no revision {revision} of this runbook", revision=revision)
    return {"from": old, "to": new,
            "diff": diff(texts[old], texts[new], f"revision {old}", f"revision {new}")}


def list_trainings(engine: Engine) -> list[dict[str, Any]]:
    """Training sessions, newest first."""
    return _rows(engine, select(trainings).order_by(trainings.c.held_on.desc()))


def training_statuses(engine: Engine) -> dict[str, str]:
    """Person id → trained | partial | untrained, from the topics of sessions attended."""
    topics: dict[str, set[str]] = defaultdict(set)
    for session in list_trainings(engine):
        for pid in session["attendee_ids"]:
            topics[pid].update(session["topics"])
    return {p["id"]: training_status(topics.get(p["id"], set()))
            for p in _rows(engine, select(people.c.id))}


def training_report(engine: Engine) -> list[dict[str, Any]]:
    """Each person's training status and the topics they covered."""
    topics: dict[str, set[str]] = defaultdict(set)
    for session in list_trainings(engine):
        for pid in session["attendee_ids"]:
            topics[pid].update(session["topics"])
    return [{"person_id": p["id"], "name": p["name"],
             "status": training_status(topics.get(p["id"], set())),
             "topics": sorted(topics.get(p["id"], set()))}
            for p in _rows(engine, select(people.c.id, people.c.name).order_by(people.c.name))]
