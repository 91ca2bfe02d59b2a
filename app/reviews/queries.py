"""Read side of launches and reviews: schedules, the review document, incidents of a period
(from the on-call area's ``rm_incidents`` when it exists) and the metrics dashboard."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal
from statistics import mean
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, Table, bindparam, func, inspect, or_, select

from app.paging import DEFAULT_LIMIT, fetch_page
from domain.errors import NotFound
from domain.reviews.action_item import OPEN_STATUSES, is_overdue
from domain.reviews.review import SEVERITIES, compare_metrics, needs_status_update
from projections.base import from_db
from projections.people.tables import people
from projections.tables import UtcDateTime
from projections.reviews.tables import (
    action_item_updates,
    action_items,
    launches,
    review_addenda,
    reviews,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

UTC = timezone.utc
INCIDENTS_TABLE = "rm_incidents"


# -- launches and schedules -----------------------------------------------------------------------

def _launch(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["recorded_at"], data["updated_at"] = from_db(data["recorded_at"]), from_db(
        data["updated_at"])
    return data


def _review(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    for key in ("metrics_at", "finalised_at", "updated_at"):
        data[key] = from_db(data[key])
    for key in ("uptime_pct", "error_rate_pct"):
        data[key] = Decimal(data[key]) if data[key] is not None else None
    data["tickets"] = data["tickets"] or {}
    return data


def list_launches(engine: Engine) -> list[dict[str, Any]]:
    """Every launch, newest first."""
    with engine.connect() as conn:
        return [_launch(r) for r in conn.execute(
            select(launches).order_by(launches.c.launch_date.desc(), launches.c.id))]


def launch_page(engine: Engine, *, limit: int = DEFAULT_LIMIT,
                offset: int = 0) -> dict[str, Any]:
    """One page of launches, newest first, with how many there are."""
    return fetch_page(engine, select(launches).order_by(launches.c.launch_date.desc(),
                                                        launches.c.id),
                      limit=limit, offset=offset, convert=_launch,
                      total=select(func.count()).select_from(launches))


def get_launch(engine: Engine, launch_id: str) -> dict[str, Any]:
    """One launch with its reviews in date order, or raise NotFound."""
    with engine.connect() as conn:
        row = conn.execute(select(launches).where(launches.c.id == launch_id)).first()
    if row is None:
        raise NotFound(f"no launch with id {launch_id}", id=launch_id)
    return {**_launch(row), "reviews": launch_reviews(engine, launch_id)}


def launch_reviews(engine: Engine, launch_id: str) -> list[dict[str, Any]]:
    """A launch's reviews by date, each with the period it covers (from the previous review)."""
    with engine.connect() as conn:
        rows = [_review(r) for r in conn.execute(select(reviews).where(
            reviews.c.launch_id == launch_id).order_by(reviews.c.scheduled_for, reviews.c.seq))]
        start = conn.scalar(select(launches.c.launch_date).where(launches.c.id == launch_id))
    for r in rows:
        r["period_start"], r["period_end"] = start, r["scheduled_for"]
        if r["status"] != "cancelled":
            start = r["scheduled_for"]
    return rows


def launches_reviewed_between(engine: Engine, first: date, last: date) -> set[str]:
    """The launches with a review scheduled from ``first`` to ``last`` (inclusive)."""
    c = reviews.c
    with engine.connect() as conn:
        return set(conn.scalars(select(c.launch_id).where(
            c.scheduled_for >= first, c.scheduled_for <= last).distinct()))


def _review_filters(status: str | None, launch_id: str | None) -> list[Any]:
    return ([reviews.c.status == status] if status else []) + (
        [reviews.c.launch_id == launch_id] if launch_id else [])


LISTED = ("id", "launch_id", "seq", "kind", "scheduled_for", "status")
"""The columns a list of reviews shows (``review_page(brief=True)``): not the documents'
findings, backlog, metrics and targets, which are most of a row."""


def _review_query(status: str | None = None, launch_id: str | None = None,
                  brief: bool = False) -> Any:
    columns = [reviews.c[c] for c in LISTED] if brief else [reviews]
    return select(*columns, launches.c.name.label("launch_name")).join(
        launches, launches.c.id == reviews.c.launch_id).where(
        *_review_filters(status, launch_id)).order_by(
        reviews.c.scheduled_for, reviews.c.seq, reviews.c.id)


def list_reviews(engine: Engine, *, status: str | None = None,
                 launch_id: str | None = None) -> list[dict[str, Any]]:
    """Reviews of every launch by date, with the launch's name (bounded uses: one launch's;
    lists the product serves use ``review_page``)."""
    with engine.connect() as conn:
        return [_review(r) for r in conn.execute(_review_query(status, launch_id))]


def review_page(engine: Engine, *, status: str | None = None, launch_id: str | None = None,
                limit: int = DEFAULT_LIMIT, offset: int = 0, brief: bool = False,
                ) -> dict[str, Any]:
    """One page of reviews by date matching the filters, with how many match (counted over
    the same join and filters, without the wide columns); ``brief``: only the ``LISTED``
    columns and the launch's name."""
    conditions = _review_filters(status, launch_id)
    total = select(func.count()).select_from(
        reviews.join(launches, launches.c.id == reviews.c.launch_id)).where(*conditions)
    return fetch_page(engine, _review_query(status, launch_id, brief), limit=limit,
                      offset=offset, convert=(lambda r: dict(r._mapping)) if brief else _review,
                      total=total)


# -- incidents (owned by the on-call area; read only when its table exists) -----------------------

def _when(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def incidents_between(engine: Engine, start: date, end: date) -> list[dict[str, Any]]:
    """Real (not practice) incidents opened in [start, end), oldest first (selected by the
    database); none without the incident area's table."""
    if not inspect(engine).has_table(INCIDENTS_TABLE):
        return []
    table = Table(INCIDENTS_TABLE, MetaData(), autoload_with=engine)
    lo, hi = datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC)
    opened, practice = table.c.opened_at, table.c.practice
    query = select(table).where(
        opened >= bindparam("lo", lo, type_=UtcDateTime()),
        opened < bindparam("hi", hi, type_=UtcDateTime()),
        or_(practice.is_(None), practice == False),  # noqa: E712 - SQL, not Python
    ).order_by(opened, table.c.id)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    found = []
    for r in rows:
        found.append({"id": str(r["id"]), "title": str(r.get("title") or ""),
                      "severity": str(r.get("severity") or ""),
                      "status": str(r.get("status") or ""),
                      "opened_at": _iso(_when(r.get("opened_at"))),
                      "acknowledged_at": _iso(_when(r.get("acknowledged_at"))),
                      "resolved_at": _iso(_when(r.get("resolved_at")))})
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def by_severity(incidents: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Incidents grouped by severity, P0/P1/P2 always present."""
    groups: dict[str, list[dict[str, Any]]] = {s: [] for s in SEVERITIES}
    for incident in incidents:
        groups.setdefault(incident["severity"], []).append(incident)
    return groups


def mtta_mttr(incidents: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """Mean minutes to acknowledge and to resolve (None without data)."""
    def minutes(key: str) -> float | None:
        spans = [(_when(i[key]) - _when(i["opened_at"])).total_seconds() / 60  # type: ignore[operator]
                 for i in incidents if i.get(key)]
        return round(mean(spans), 1) if spans else None

    return minutes("acknowledged_at"), minutes("resolved_at")


# -- the review document --------------------------------------------------------------------------

def get_review(engine: Engine, review_id: str) -> dict[str, Any]:
    """Everything a review shows, in the template's order, with the previous review compared."""
    with engine.connect() as conn:
        launch_id = conn.scalar(select(reviews.c.launch_id).where(reviews.c.id == review_id))
    if launch_id is None:
        raise NotFound(f"no review with id {review_id}", id=review_id)
    launch = get_launch(engine, launch_id)
    schedule = launch["reviews"]
    index = next(n for n, r in enumerate(schedule) if r["id"] == review_id)
    review = schedule[index]
    previous = next((r for r in reversed(schedule[:index]) if r["status"] != "cancelled"), None)
    following = next((r for r in schedule[index + 1:] if r["status"] != "cancelled"), None)
    finalised = review["status"] == "finalised"
    incidents = review["incidents"] if finalised else incidents_between(
        engine, review["period_start"], review["period_end"])
    targets = review["targets"] if finalised else launch["targets"]
    names = _names(engine)
    return {
        "review": review, "launch": launch, "previous": previous, "following": following,
        "names": names,
        "metrics": compare_metrics(review, targets), "targets": targets,
        "incidents": incidents, "incidents_by_severity": by_severity(incidents),
        "previous_items": _previous_items(engine, review, previous, names),
        "new_issues": _items_from(engine, review_id, names),
        "missing_updates": [] if finalised or review["status"] == "cancelled"
        else missing_updates(engine, review_id),
        "next_review_date": review["next_review_date"] or (
            following["scheduled_for"] if following else None),
        "comparison": _comparison(engine, review, incidents, previous),
        "addenda": _addenda(engine, review_id, names),
    }


def _names(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.id: r.name for r in conn.execute(select(people.c.id, people.c.name))}


def _updates_in(engine: Engine, review_id: str) -> dict[str, dict[str, Any]]:
    u = action_item_updates.c
    with engine.connect() as conn:
        return {r.item_id: dict(r._mapping) for r in conn.execute(
            select(action_item_updates).where(u.review_id == review_id, u.kind == "status")
            .order_by(u.version))}


def _item_rows(engine: Engine, *conditions: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(action_items).where(*conditions).order_by(action_items.c.raised_at,
                                                             action_items.c.id))]


def _carried(engine: Engine, review_id: str) -> Any:
    """The condition selecting items carried into a review: raised by the launch's earlier
    reviews (by sequence) or linked to the launch (``Launch.carried_sources``)."""
    with engine.connect() as conn:
        row = conn.execute(select(reviews.c.launch_id, reviews.c.seq)
                           .where(reviews.c.id == review_id)).one()
        earlier = list(conn.scalars(select(reviews.c.id).where(
            reviews.c.launch_id == row.launch_id, reviews.c.seq < row.seq)))
    a = action_items.c
    return or_((a.source_type == "review") & a.source_id.in_(earlier),
               (a.source_type == "launch") & (a.source_id == row.launch_id))


def _previous_items(engine: Engine, review: dict[str, Any], previous: dict[str, Any] | None,
                    names: dict[str, str]) -> list[dict[str, Any]]:
    """Items updated in this review, then the items raised in the previous one and the other
    open items carried into it (earlier reviews of the launch, items linked to the launch)
    not updated here."""
    updates = _updates_in(engine, review["id"])
    rows = _item_rows(engine, action_items.c.id.in_(list(updates))) if updates else []
    seen = set(updates)
    carried = []
    if previous:
        carried += _item_rows(engine, action_items.c.source_type == "review",
                              action_items.c.source_id == previous["id"])
    carried += _item_rows(engine, _carried(engine, review["id"]),
                          action_items.c.status.in_(OPEN_STATUSES))
    for r in carried:
        if r["id"] not in seen:
            seen.add(r["id"])
            rows.append(r)
    return [{"id": r["id"], "title": r["title"], "priority": r["priority"],
             "owner": names.get(r["owner_id"], r["owner_id"]),
             "status": updates[r["id"]]["status"] if r["id"] in updates else r["status"],
             "note": updates[r["id"]]["note"] if r["id"] in updates else "",
             "updated_here": r["id"] in updates} for r in rows]


def _items_from(engine: Engine, review_id: str, names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "title": r["title"], "priority": r["priority"], "due": r["due"],
             "owner": names.get(r["owner_id"], r["owner_id"]), "status": r["status"]}
            for r in _item_rows(engine, action_items.c.source_type == "review",
                                action_items.c.source_id == review_id)]


def missing_updates(engine: Engine, review_id: str) -> list[dict[str, Any]]:
    """Open items carried into the review (raised by the launch's earlier reviews or linked to
    the launch) with no status update in it yet."""
    updated = set(_updates_in(engine, review_id))
    raised = {r["id"] for r in _item_rows(engine, action_items.c.source_type == "review",
                                          action_items.c.source_id == review_id)}
    return [{"id": r["id"], "title": r["title"], "status": r["status"], "owner_id": r["owner_id"]}
            for r in _item_rows(engine, action_items.c.status.in_(OPEN_STATUSES),
                                _carried(engine, review_id))
            if needs_status_update(r["id"], updated, raised)]


def _comparison(engine: Engine, review: dict[str, Any], incidents: list[dict[str, Any]],
                previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    if previous is None:
        return []
    before = previous["incidents"] if previous["status"] == "finalised" else incidents_between(
        engine, previous["period_start"], previous["period_end"])
    rows = [("Uptime (%)", previous["uptime_pct"], review["uptime_pct"]),
            ("Error rate (%)", previous["error_rate_pct"], review["error_rate_pct"]),
            ("Response time p95 (ms)", previous["p95_ms"], review["p95_ms"]),
            ("Active users", previous["active_users"], review["active_users"]),
            ("Support tickets", _total(previous["tickets"]), _total(review["tickets"])),
            ("Incidents", len(before), len(incidents))]
    return [{"label": label, "previous": a, "current": b,
             "change": None if a is None or b is None else b - a} for label, a, b in rows]


def _total(tickets: dict[str, int] | None) -> int | None:
    return sum(tickets.values()) if tickets else None


def _addenda(engine: Engine, review_id: str, names: dict[str, str]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [{"text": r.text, "by": names.get(r.actor_id or "", "system"),
                 "at": from_db(r.at)} for r in conn.execute(
            select(review_addenda).where(review_addenda.c.review_id == review_id)
            .order_by(review_addenda.c.version))]


# -- dashboard ------------------------------------------------------------------------------------

def dashboard(engine: Engine, launch_id: str, today: date) -> dict[str, Any]:
    """Trends over a launch's held reviews: metrics, incidents, MTTA/MTTR, and the action-item
    flow as each review recorded it (opened: new issues raised in it; closed: items marked
    completed in it; overdue: items updated in it while past their due date on its day)."""
    launch = get_launch(engine, launch_id)
    held = [r for r in launch["reviews"] if r["status"] != "cancelled"
            and (r["status"] in ("in_progress", "finalised") or r["scheduled_for"] <= today)]
    opened = _raised_in(engine, [r["id"] for r in held])
    points = []
    for r in held:
        incidents = r["incidents"] if r["status"] == "finalised" else incidents_between(
            engine, r["period_start"], r["period_end"])
        mtta, mttr = mtta_mttr(incidents)
        recorded = _updates_in(engine, r["id"])
        items = {i["id"]: i for i in _item_rows(engine, action_items.c.id.in_(list(recorded)))
                 } if recorded else {}
        updates = [(items[k], u) for k, u in recorded.items() if k in items]
        points.append({
            "label": r["scheduled_for"].strftime("%d %b"), "date": r["scheduled_for"],
            "kind": r["kind"], "id": r["id"],
            "uptime_pct": _float(r["uptime_pct"]), "error_rate_pct": _float(r["error_rate_pct"]),
            "p95_ms": r["p95_ms"], "active_users": r["active_users"],
            "incidents": {s: len(v) for s, v in by_severity(incidents).items()},
            "opened": opened.get(r["id"], 0),
            "closed": sum(1 for _, u in updates if u["status"] == "completed"),
            "overdue": sum(1 for i, u in updates
                           if is_overdue(i["due"], u["status"], r["scheduled_for"])),
            "mtta_min": mtta, "mttr_min": mttr})
    return {"launch": launch, "points": points,
            "has_incident_times": any(p["mtta_min"] is not None or p["mttr_min"] is not None
                                      for p in points)}


def _raised_in(engine: Engine, review_ids: list[str]) -> dict[str, int]:
    """Review id → how many action items it raised (counted by the database)."""
    if not review_ids:
        return {}
    c = action_items.c
    with engine.connect() as conn:
        return {source: n for source, n in conn.execute(
            select(c.source_id, func.count()).where(
                c.source_type == "review", c.source_id.in_(review_ids)).group_by(c.source_id))}


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
