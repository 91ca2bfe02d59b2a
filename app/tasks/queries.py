"""My work: every open thing that waits for one person, with a link and a due time.

Gathered from the areas' read models through their query functions (and a few bounded SQL
queries of their tables here): each kind is filtered in SQL to the person and to open records,
and capped at ``LIMIT`` rows, so no table is read whole. Works on any engine, so an as-of view
(``app/audit/as_of.py``) answers as the ledger stood then, judged at that moment (``now``).

A task names its page as ``(endpoint, values, anchor)``; the web layer turns it into a URL.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, or_, select

from app.ccb import queries as ccb_queries
from app.reviews import queries as review_queries
from app.reviews.action_item_queries import list_action_items
from domain.ccb.meeting import LIVE_PROXY
from domain.oncall.incident import ACK_TARGET_MINUTES, UNACKNOWLEDGED, UNRESOLVED
from domain.reviews.action_item import OPEN_STATUSES
from projections.base import from_db
from projections.ccb.meeting_state import states_of
from projections.ccb.tables import boards, meetings
from projections.changes.tables import change_requests
from projections.oncall.tables import incident_timeline, incidents, rotations, shifts, swaps
from projections.people.tables import people
from projections.programme.tables import programme_activities
from projections.reviews.tables import action_items, launches, reviews

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy import Engine

LIMIT = 50
"""At most this many tasks of one kind (the counts still say how many there are)."""
REVIEW_HORIZON = timedelta(days=14)
"""Scheduled reviews this close (or in progress) ask their action items' owners for updates."""
PAGED_TYPES = ("paged", "escalated", "handed_over")
"""Incident timeline entries that put an incident on a person."""

KINDS = ("incident", "vote", "check_in", "emergency_approval", "swap", "shift",
         "action_item", "review_update", "activity")
"""The kinds of task, in the order the list shows them (the most urgent first)."""

def my_tasks(engine: Engine, person_id: str, now: datetime,
             approvers: Callable[[str, int], Iterable[str]] | None = None) -> dict[str, Any]:
    """Every open thing waiting for ``person_id`` at ``now``: ``{"items": [...], "counts":
    {kind: n, "total": n, "overdue": n}}``.

    :param approvers: who has approved an emergency change so far, given its id and the version
        the read model holds (the approvals are not in a read model: the caller reads them from
        the log); without it, emergency changes the person already approved are listed too.
    """
    today = now.date()
    with engine.connect() as conn:  # one connection for this module's own queries (on
        # PostgreSQL each connection taken from the pool is a round trip of its own)
        incident = incident_tasks(conn, person_id, now)
        meeting = meeting_tasks(conn, person_id, now)
        swap = swap_tasks(conn, person_id, now)
        shift = shift_tasks(conn, person_id, now)
        activity = activity_tasks(conn, person_id, now)
    items = [*incident, *meeting, *emergency_tasks(engine, person_id, now, approvers), *swap,
             *shift, *action_item_tasks(engine, person_id, today),
             *review_tasks(engine, person_id, today), *activity]
    counts: dict[str, int] = {kind: 0 for kind in KINDS}
    for item in items:
        counts[item["kind"]] += 1
    for kind, total in _totals(items).items():
        counts[kind] = max(counts[kind], total)
    counts["total"] = sum(counts[k] for k in KINDS)
    counts["overdue"] = sum(1 for i in items if i["overdue"])
    return {"items": items, "counts": counts, "as_of": now}


def _totals(items: list[dict[str, Any]]) -> dict[str, int]:
    """Kinds capped at LIMIT carry their full count on their items (``of``)."""
    return {i["kind"]: i["of"] for i in items if "of" in i}


def _task(kind: str, title: str, link: tuple[str, dict[str, str], str | None],
          due_at: datetime | None, now: datetime, detail: str = "",
          overdue: bool | None = None, due_label: str = "due") -> dict[str, Any]:
    endpoint, values, anchor = link
    return {"kind": kind, "title": title, "detail": detail,
            "link": {"endpoint": endpoint, "values": values, "anchor": anchor},
            "due_at": due_at, "due_label": due_label,
            "overdue": (due_at is not None and due_at < now) if overdue is None else overdue}


def _end_of(day: Any) -> datetime:
    """A date as the last moment of that day in UTC (a due date means "by the end of it")."""
    return datetime.combine(day, time.max, UTC).replace(microsecond=0)


# -- on-call ------------------------------------------------------------------------------------

_timeline, _incident = incident_timeline.c, incidents.c
_INCIDENTS = (
    select(_incident.id, _incident.title, _incident.severity, _incident.status,
           _incident.opened_at, _incident.practice)
    .where(_incident.status.in_(UNRESOLVED), _incident.id.in_(
        select(_timeline.incident_id).where(_timeline.person_id == bindparam("person_id"),
                                            _timeline.type.in_(PAGED_TYPES))))
    .order_by(_incident.acknowledged_at.is_not(None), _incident.opened_at.desc(), _incident.id)
    .limit(LIMIT))
"""The person's unresolved paged incidents. Each of this module's statements is built once
(parameters bound by name when it runs): building one costs about as much as running it."""


def incident_tasks(conn: Any, person_id: str, now: datetime) -> list[dict[str, Any]]:
    """Unresolved incidents paged, escalated or handed over to the person: unacknowledged
    first (due within the acknowledgement target), then the newest."""
    rows = conn.execute(_INCIDENTS, {"person_id": person_id}).all()
    tasks = []
    for r in rows:
        waiting = r.status in UNACKNOWLEDGED
        due = from_db(r.opened_at) + timedelta(minutes=ACK_TARGET_MINUTES) if waiting else None
        verb = "Acknowledge" if waiting else "Work on"
        tasks.append(_task(
            "incident", f"{verb} {r.severity} incident: {r.title}",
            ("oncall.incident", {"incident_id": r.id}, None), due, now,
            detail=("paged to you, not acknowledged" if waiting else f"you are a responder "
                    f"({r.status})") + (" · practice" if r.practice else "")))
    return tasks


_swap, _shift = swaps.c, shifts.c
_SWAPS = (
    select(_swap.id, _swap.rotation_id, _swap.role, _swap.week_start, _swap.return_week_start,
           rotations.c.name.label("rotation"), _shift.starts_at, people.c.name.label("requester"))
    .join(rotations, rotations.c.id == _swap.rotation_id)
    .outerjoin(people, people.c.id == _swap.requester_id)
    .outerjoin(shifts, and_(_shift.rotation_id == _swap.rotation_id,
                            _shift.week_start == _swap.week_start))
    .where(_swap.counterpart_id == bindparam("person_id"), _swap.status == "requested")
    .order_by(_swap.week_start, _swap.id).limit(LIMIT))


def swap_tasks(conn: Any, person_id: str, now: datetime) -> list[dict[str, Any]]:
    """Swap requests addressed to the person and not answered yet, due when the week starts."""
    rows = conn.execute(_SWAPS, {"person_id": person_id}).all()
    return [_task("swap", f"Swap request from {r.requester or 'someone'}: their "
                  f"{r.role} week of {r.week_start} on {r.rotation}",
                  ("oncall.rotation", {"rotation_id": r.rotation_id}, "swaps"),
                  from_db(r.starts_at), now,
                  detail=(f"you take it{f', they take your week of {r.return_week_start}' if r.return_week_start else ''}"))
            for r in rows]


_SHIFTS = (
    select(_shift.rotation_id, _shift.week_start, _shift.starts_at, _shift.ends_at,
           _shift.primary_id,
           rotations.c.name.label("rotation"))
    .join(rotations, rotations.c.id == _shift.rotation_id)
    .where(or_(_shift.primary_id == bindparam("person_id"),
               _shift.secondary_id == bindparam("person_id")),
           _shift.ends_at > bindparam("now"))
    .order_by(_shift.starts_at, _shift.rotation_id).limit(LIMIT))


def shift_tasks(conn: Any, person_id: str, now: datetime) -> list[dict[str, Any]]:
    """The person's current shift (due when it ends) and their next one (due when it starts)."""
    rows = conn.execute(_SHIFTS, {"person_id": person_id, "now": now}).all()
    current = [r for r in rows if from_db(r.starts_at) <= now]
    upcoming = [r for r in rows if from_db(r.starts_at) > now][:1]
    tasks = []
    for r in current + upcoming:
        role = "primary" if r.primary_id == person_id else "secondary"
        link = ("oncall.rotation", {"rotation_id": r.rotation_id}, None)
        if from_db(r.starts_at) <= now:
            tasks.append(_task("shift", f"You are on call now: {role} on {r.rotation}", link,
                               from_db(r.ends_at), now, detail="hand-over", overdue=False,
                               due_label="ends"))
        else:
            tasks.append(_task("shift", f"Your next shift: {role} on {r.rotation}", link,
                               from_db(r.starts_at), now, detail=f"week of {r.week_start}",
                               overdue=False, due_label="starts"))
    return tasks


# -- Change Control Board -----------------------------------------------------------------------

_OPEN_MEETINGS = (
    select(meetings.c.id, meetings.c.deferral_reason, meetings.c.scheduled_end,
           boards.c.name, boards.c.members, boards.c.charter)
    .join(boards, boards.c.id == meetings.c.board_id)
    .where(meetings.c.status == "open")
    .order_by(meetings.c.scheduled_start, meetings.c.id).limit(LIMIT))


def meeting_tasks(conn: Any, person_id: str, now: datetime) -> list[dict[str, Any]]:
    """On every open meeting of a board the person sits on: check in if absent; once present,
    each undecided item they (or a grantor whose proxy they hold) may vote on and have not."""
    rows = conn.execute(_OPEN_MEETINGS).all()
    states = states_of(conn, {r.id: r.deferral_reason for r in rows
                              if person_id in {m["person_id"] for m in r.members}})
    titles: dict[str, str] = {}
    tasks: list[dict[str, Any]] = []
    for r in rows:
        members = {m["person_id"] for m in r.members}
        if person_id not in members:
            continue
        state, due = states[r.id], from_db(r.scheduled_end)
        present = {a["person_id"] for a in state["attendance"]}
        link = ("ccb.meeting", {"meeting_id": r.id}, None)
        if person_id not in present:
            tasks.append(_task("check_in", f"Meeting of {r.name} is open: check in to vote",
                               link, due, now, detail="scheduled to end", due_label="ends"))
            continue
        voters = [(person_id, None)] + [
            (p["grantor_id"], p) for p in state["proxies"]
            if p["holder_id"] == person_id and p["status"] in LIVE_PROXY
            and p["grantor_id"] in members and p["grantor_id"] not in present]
        names = ccb_queries.names_of(conn.engine, [v for v, _ in voters[1:]])
        open_items = [i for i in state["items"] if i["decision"] is None]
        missing = [i["change_request_id"] for i in open_items
                   if i["change_request_id"] not in titles]
        titles.update({k: v["title"] for k, v in ccb_queries.change_titles(
            conn.engine, missing).items()})
        for item in open_items:
            change_id = item["change_request_id"]
            for voter, proxy in voters:
                if voter in item["votes"]:
                    continue
                if item["requester_id"] == voter and not r.charter["requester_may_vote"]:
                    continue
                whose = "" if proxy is None else f" for {names.get(voter, 'a member')} (proxy)"
                tasks.append(_task(
                    "vote", f"Vote{whose} on {titles.get(change_id, 'a change request')}",
                    ("ccb.meeting", {"meeting_id": r.id}, change_id), due, now,
                    detail=f"meeting of {r.name}", due_label="meeting ends"))
    return tasks


_change = change_requests.c
_EMERGENCY_BOARDS = (
    select(_change.board_id).distinct()
    .where(_change.category == "emergency", _change.status.in_(ccb_queries.OPEN_EMERGENCY),
           _change.board_id.is_not(None), _change.requester_id != bindparam("person_id"))
    .order_by(_change.board_id).limit(LIMIT))
_SEATS = (select(boards.c.id, boards.c.name, boards.c.members)
          .where(boards.c.id.in_(bindparam("board_ids", expanding=True))).order_by(boards.c.id))


def emergency_tasks(engine: Engine, person_id: str, now: datetime,
                    approvers: Callable[[str, int], Iterable[str]] | None,
                    ) -> list[dict[str, Any]]:
    """Emergency changes on the person's boards that wait for approvals they may give: not
    their own, not approved by them yet; due at the change's planned start."""
    with engine.connect() as conn:
        board_ids = list(conn.scalars(_EMERGENCY_BOARDS, {"person_id": person_id}))
        seats = conn.execute(_SEATS, {"board_ids": board_ids}).all() if board_ids else []
    tasks = []
    for board in seats:  # only the boards the person sits on are read further
        if person_id not in {m["person_id"] for m in board.members}:
            continue
        for change in ccb_queries.open_emergency_changes(engine, board.id):
            if change["requester_id"] == person_id:
                continue
            if approvers is not None and person_id in set(
                    approvers(change["id"], change["version"])):
                continue
            tasks.append(_task(
                "emergency_approval", f"Approve emergency change: {change['title']}",
                ("changes.detail", {"change_id": change["id"]}, None),
                from_db(change["planned_start"]), now, detail=f"board {board.name}"))
    return tasks[:LIMIT]


# -- action items and reviews -------------------------------------------------------------------

def action_item_tasks(engine: Engine, person_id: str, today: Any) -> list[dict[str, Any]]:
    """Open action items the person owns, overdue first (earliest due first)."""
    page = list_action_items(engine, today, owner_id=person_id, open_only=True, limit=LIMIT)
    now = datetime.combine(today, time.min, UTC)
    tasks = [_task("action_item", f"{item['priority']} action item: {item['title']}",
                   ("actions.detail", {"item_id": item["id"]}, None), _end_of(item["due"]),
                   now, detail=item["status"].replace("_", " "), overdue=item["overdue"])
             for item in page["items"]]
    if tasks and page["total"] > len(tasks):
        tasks[0]["of"] = page["total"]
    return tasks


_OWNS_OPEN = select(action_items.c.id).where(
    action_items.c.owner_id == bindparam("person_id"),
    action_items.c.status.in_(OPEN_STATUSES)).limit(1)
_review = reviews.c
_NEXT_REVIEWS = (
    select(_review.id, _review.launch_id, _review.seq, _review.kind, _review.scheduled_for,
           launches.c.name)
    .join(launches, launches.c.id == _review.launch_id)
    .where(or_(_review.status == "in_progress",
               and_(_review.status == "scheduled", _review.scheduled_for <= bindparam("horizon"))))
    .order_by(_review.scheduled_for, _review.seq, _review.id).limit(LIMIT))


def review_tasks(engine: Engine, person_id: str, today: Any) -> list[dict[str, Any]]:
    """Each launch's next review (in progress, or scheduled within ``REVIEW_HORIZON``) where an
    open action item the person owns still needs its status update (``missing_updates``)."""
    with engine.connect() as conn:
        owns_open = conn.execute(_OWNS_OPEN, {"person_id": person_id}).first()
        if owns_open is None:  # nothing of theirs can wait for an update: no review to read
            return []
        rows = conn.execute(_NEXT_REVIEWS, {"horizon": today + REVIEW_HORIZON}).all()
    now = datetime.combine(today, time.min, UTC)
    tasks, seen = [], set()
    for r in rows:
        if r.launch_id in seen:  # the launch's next review asks; later ones ask in their turn
            continue
        seen.add(r.launch_id)
        mine = [i for i in review_queries.missing_updates(engine, r.id)
                if i["owner_id"] == person_id]
        if mine:
            tasks.append(_task(
                "review_update", f"Status update for {len(mine)} action item"
                f"{'s' if len(mine) != 1 else ''} in the {r.kind} review of {r.name}",
                ("reviews.detail", {"review_id": r.id}, None),
                datetime.combine(r.scheduled_for, time.min, UTC), now,
                detail=", ".join(i["title"] for i in mine[:3])
                + (" …" if len(mine) > 3 else "")))
    return tasks


# -- programme ----------------------------------------------------------------------------------

_activity = programme_activities.c
_ACTIVITIES = (select(_activity.id, _activity.name, _activity.status, _activity.started_at,
                      _activity.timebox_hours)
               .where(_activity.owner_id == bindparam("person_id"), _activity.status != "completed")
               .order_by(_activity.position, _activity.id).limit(LIMIT))


def activity_tasks(conn: Any, person_id: str, now: datetime) -> list[dict[str, Any]]:
    """Programme activities the person owns and has not completed: an activity in progress is
    due when its timebox runs out from its start."""
    rows = conn.execute(_ACTIVITIES, {"person_id": person_id}).all()
    tasks = []
    for r in rows:
        started = from_db(r.started_at)
        due = started + timedelta(hours=r.timebox_hours) if started else None
        tasks.append(_task("activity", f"Programme activity: {r.name}",
                           ("programme.index", {}, r.id), due, now,
                           detail=r.status.replace("_", " ")))
    return tasks
