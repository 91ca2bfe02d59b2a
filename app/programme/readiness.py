"""Readiness, derived from evidence: every success criterion of T4.1–T4.4 as a check.

Each check reads the other areas' read models (the evidence: meetings and their minutes, the
decision log, rehearsals, the rotation's weeks, incidents, runbooks, trainings, launches,
reviews, action items) from the engine it is given — the live read models, or an as-of view
(``app/audit/as_of.py``), so readiness can be shown as of any moment. Judgement criteria are
the sign-offs recorded on the programme. Nothing here writes; nothing is ticked by hand.

A check is ``{"id", "track", "title", "kind", "status", "evidence", "missing"}``: status
``met`` | ``partly`` | ``not_met``; each evidence item ``{"kind", "id", "label"}`` names a
record the web layer links to; ``missing`` says what is still needed.

Every check asks the database for what it decides on — a count, the first or latest matching
row, at most ``SHOWN`` rows of evidence — so its cost does not grow with the history: a list
of evidence longer than ``SHOWN`` ends with one item saying how many more there are (at a
million events the checks had read 300,000 rows and named 50,000 records). Only tables the
size of the organisation (boards, rotations, runbooks, trainings, launches, sign-offs) are
read whole.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import and_, exists, func, or_, select, true

from app.sql import in_chunks
from domain.oncall.incident import acknowledged_within_target
from domain.oncall.runbook import training_status
from domain.programme.guide import CRITERIA
from domain.programme.programme import sign_off_status
from domain.reviews.review import DAILY_REVIEWS, propose_schedule
from projections.base import from_db
from projections.ccb.tables import boards, decisions, meetings
from projections.changes.tables import change_requests
from projections.oncall.tables import (
    incident_timeline,
    incidents,
    rotations,
    runbook_revisions,
    runbook_sign_offs,
    runbooks,
    shifts,
    trainings,
)
from projections.people.tables import people
from projections.programme.tables import programme_sign_offs
from projections.rehearsals.tables import (
    rehearsal_checks,
    rehearsal_evaluations,
    rehearsal_issues,
    rehearsal_notes,
    rehearsal_rollbacks,
    rehearsals,
)
from projections.reviews.tables import action_item_updates, action_items, launches, reviews

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sqlalchemy import Connection, Engine, Select, Table

STAFFED_WEEKS = 4
PARITY_REQUIRED = Decimal("90")
THREE = 3
SHOWN = 10
"""The most records one criterion's evidence names (then: "and N more")."""
NOT_BOARD_REVIEWS = ("timebox", "not_decided_before_close")
"""Deferral reasons of items the board did not get to: not a review by the board."""


class Evidence:
    """The read models a check may read, through one connection, as of ``at``.

    ``rows(table)`` reads a table whole (cached): only for tables the size of the organisation.
    The others are asked with ``all``/``first``/``count``/``stream`` and a query."""

    SMALL = frozenset(t.name for t in (boards, rotations, runbooks, trainings, launches,
                                       programme_sign_offs))
    """The tables ``rows`` reads whole."""

    def __init__(self, conn: Connection, at: datetime) -> None:
        self.conn = conn
        self.at = at
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._names: dict[str, str] = {}

    def rows(self, table: Table) -> list[dict[str, Any]]:
        """Every row of a small ``table`` (datetimes as aware UTC), in the table's order."""
        if table.name not in self.SMALL:
            raise ValueError(f"{table.name} grows with the history: ask it with a query")
        if table.name not in self._cache:
            self._cache[table.name] = self.all(select(table))
        return self._cache[table.name]

    def stream(self, query: Select[Any]) -> Iterator[dict[str, Any]]:
        """The rows of ``query`` one by one (stop reading when done)."""
        for r in self.conn.execute(query):
            yield {k: from_db(v) if isinstance(v, datetime) else v
                   for k, v in r._mapping.items()}

    def scan(self, query: Select[Any], batch: int = 200) -> Iterator[dict[str, Any]]:
        """The rows of the ordered ``query``, read ``batch`` at a time: a check that stops at
        the first rows it wants reads only as many batches as it needs."""
        offset = 0
        while True:
            rows = self.all(query.limit(batch).offset(offset))
            yield from rows
            if len(rows) < batch:
                return
            offset += batch

    def all(self, query: Select[Any]) -> list[dict[str, Any]]:
        """Every row of ``query`` (which bounds them: a limit, or a small table)."""
        return list(self.stream(query))

    def first(self, query: Select[Any]) -> dict[str, Any] | None:
        """The first row of ``query``, or None."""
        return next(self.stream(query.limit(1)), None)

    def count(self, query: Select[Any]) -> int:
        """How many rows ``query`` selects."""
        return int(self.conn.scalar(select(func.count()).select_from(
            query.order_by(None).subquery())) or 0)

    def any(self, table: Table, *conditions: Any) -> bool:
        """Whether a row of ``table`` meets every condition."""
        return bool(self.conn.scalar(select(exists().where(*conditions).select_from(table))))

    def names(self, ids: Iterable[str | None] = ()) -> dict[str, str]:
        """Person id → name, for the ids given (looked up once each)."""
        wanted = {i for i in ids if i and i not in self._names}
        for chunk in in_chunks(sorted(wanted)):
            self._names.update(self.conn.execute(
                select(people.c.id, people.c.name).where(people.c.id.in_(chunk))).all())
        return self._names


def check(status: str, evidence: list[dict[str, Any]] | None = None,
          missing: list[str] | None = None) -> dict[str, Any]:
    """One check's outcome."""
    return {"status": status, "evidence": evidence or [], "missing": missing or []}


def item(kind: str, record_id: Any, label: str) -> dict[str, Any]:
    """One piece of evidence: a record the web layer links to."""
    return {"kind": kind, "id": None if record_id is None else str(record_id), "label": label}


def shown(evidence: list[dict[str, Any]], total: int, noun: str,
          kind: str | None = None) -> list[dict[str, Any]]:
    """``evidence`` (its first ``SHOWN``) and, when ``total`` is more, an item saying how many
    more ``noun`` there are (linked to the list of them when there is one, ``kind``)."""
    if total <= min(len(evidence), SHOWN):
        return evidence
    return [*evidence[:SHOWN], item(kind or "more", None, f"and {total - SHOWN:,} more {noun}")]


def day(value: datetime | None) -> str:
    """A moment as a short UTC date."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d") if value else "—"


def _non_empty(column: Any) -> Any:
    """A JSON list column holding at least one element (SQLite and PostgreSQL ``json``)."""
    return func.coalesce(func.json_array_length(column), 0) > 0


# -- T4.1 -------------------------------------------------------------------------------------

def inaugural_meeting(ev: Evidence) -> dict[str, Any]:
    """A closed meeting (its minutes are produced from its events)."""
    m = meetings.c
    first = ev.first(select(m.id, m.opened_at).where(m.status == "closed")
                     .order_by(m.closed_at, m.id))
    if first:
        return check("met", [item("meeting", first["id"], f"meeting of {day(first['opened_at'])}"),
                             item("minutes", first["id"], "its minutes")])
    opened = ev.first(select(m.id).where(m.status == "open").order_by(m.scheduled_start, m.id))
    if opened:
        return check("partly", [item("meeting", opened["id"], "meeting in progress")],
                     ["close the meeting so its minutes are complete"])
    planned = ev.all(select(m.id, m.scheduled_start).order_by(m.scheduled_start, m.id).limit(1))
    return check("not_met", [item("meeting", p["id"], f"scheduled {day(p['scheduled_start'])}")
                             for p in planned],
                 ["hold the inaugural CCB meeting (open it, record attendance, decide items, "
                  "close it)"])


def biweekly_schedule(ev: Evidence) -> dict[str, Any]:
    """A board whose charter cadence is bi-weekly, with a scheduled meeting series."""
    m = meetings.c
    biweekly = [b for b in ev.rows(boards) if b["charter"].get("cadence_frequency") == "biweekly"]
    rank = func.row_number().over(partition_by=m.board_id, order_by=(m.scheduled_start, m.id))
    first = select(m.board_id, m.id, m.scheduled_start, rank.label("n")).where(
        m.series_id.is_not(None), m.board_id.in_([b["id"] for b in biweekly])).subquery()
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in ev.stream(select(first).where(first.c.n <= 3).order_by(first.c.board_id,
                                                                        first.c.n)):
        series[row["board_id"]].append(row)  # each board's first three (one scan, not one a board)
    for board in biweekly:
        planned = series.get(board["id"], [])
        if len(planned) >= 2:
            return check("met", [item("board", board["id"], f"{board['name']}: bi-weekly charter"),
                                 *[item("meeting", p["id"], day(p["scheduled_start"]))
                                   for p in planned]])
    if biweekly:
        return check("partly", [item("board", b["id"], f"{b['name']}: bi-weekly charter")
                                for b in biweekly],
                     ["schedule the board's recurring meeting series"])
    return check("not_met", [item("board", b["id"], f"{b['name']}: "
                                  f"{b['charter'].get('cadence_frequency')} charter")
                             for b in ev.rows(boards)],
                 ["create a board whose charter cadence is bi-weekly and schedule its series"])


def board_review() -> Any:
    """Decisions the board actually took at meetings (deferrals for lack of time excluded)."""
    d = decisions.c
    return and_(d.kind == "meeting", or_(d.reason.is_(None), d.reason.not_in(NOT_BOARD_REVIEWS)))


def three_reviewed(ev: Evidence) -> dict[str, Any]:
    """At least three distinct change requests decided by the board at a meeting."""
    d = decisions.c
    first: dict[str, dict[str, Any]] = {}
    for row in ev.scan(select(d.change_request_id, d.outcome, d.decided_at)
                       .where(board_review()).order_by(d.decided_at, d.id)):
        first.setdefault(row["change_request_id"], row)
        if len(first) > SHOWN:
            break
    total = ev.count(select(d.change_request_id).where(board_review()).distinct()) \
        if len(first) > SHOWN else len(first)
    earliest = list(first.items())[:SHOWN]
    titles = dict(ev.conn.execute(select(change_requests.c.id, change_requests.c.title).where(
        change_requests.c.id.in_([cr for cr, _ in earliest]))).all())
    evidence = shown([item("change", cr, f"{titles.get(cr, cr)}: {row['outcome']} on "
                           f"{day(row['decided_at'])}") for cr, row in earliest],
                     total, "change requests reviewed by the board", "decision_log")
    if total >= THREE:
        return check("met", evidence)
    return check("partly" if total else "not_met", evidence,
                 [f"{THREE - total} more change request(s) reviewed by the board"])


def decision_log(ev: Evidence) -> dict[str, Any]:
    """The decision log holds decisions with their tally, quorum and evidence."""
    logged = ev.count(select(decisions.c.id))
    if logged:
        return check("met", [item("decision_log", None, f"{logged} decision(s) logged")])
    return check("not_met", missing=["record a first decision (at a meeting or an emergency "
                                     "approval)"])


def quorum_voting(ev: Evidence) -> dict[str, Any]:
    """A decision taken by vote with its quorum snapshot met."""
    d = decisions.c
    first = ev.first(select(d.meeting_id, d.quorum, d.votes).where(
        board_review(), d.quorum["met"].as_boolean() == true(), _non_empty(d.votes))
        .order_by(d.decided_at, d.id))
    if first:
        quorum = first["quorum"]
        return check("met", [item("meeting", first["meeting_id"],
                                  f"quorum met ({quorum.get('counted')} members, "
                                  f"{len(quorum.get('functions', []))} functions), "
                                  f"{len(first['votes'])} vote(s)"),
                             item("decision_log", None, "decision log")])
    if ev.any(decisions):
        return check("partly", [item("decision_log", None, "decisions without a quorate vote")],
                     ["decide an item by vote at a meeting with quorum"])
    return check("not_met", missing=["decide an item by vote at a meeting with quorum"])


# -- T4.2 -------------------------------------------------------------------------------------

def _percent(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def parity(ev: Evidence) -> dict[str, Any]:
    """The latest parity check passed with more than 90% of compared items matching."""
    c = rehearsal_checks.c
    last = ev.first(select(rehearsal_checks).where(c.kind == "parity")
                    .order_by(c.checked_at.desc()))
    if last is None:
        return check("not_met", missing=["run a parity check on a rehearsal's staging "
                                         "environment"])
    percent = _percent(last["parity_percent"])
    evidence = [item("rehearsal", last["rehearsal_id"],
                     f"parity {last['parity_percent']}% on {day(last['checked_at'])}")]
    if last["passed"] and percent is not None and percent > PARITY_REQUIRED:
        return check("met", evidence)
    return check("partly", evidence, ["bring staging to more than 90% parity and check again"])


def _listed(ev: Evidence, query: Select[Any], noun: str,
            label: Callable[[dict[str, Any]], dict[str, Any]]) -> list[dict[str, Any]]:
    """The first ``SHOWN`` rows of ``query`` as evidence, then how many more there are."""
    rows = ev.all(query.limit(SHOWN + 1))
    total = ev.count(query) if len(rows) > SHOWN else len(rows)
    return shown([label(r) for r in rows], total, noun)


def rehearsal_completed(ev: Evidence) -> dict[str, Any]:
    """A rehearsal completed with no unresolved critical issue."""
    r, i = rehearsals.c, rehearsal_issues.c
    blocked = exists().where(i.rehearsal_id == r.id, i.severity == "critical",
                             i.resolved_at.is_(None))
    done = r.status == "completed"
    clean = ev.first(select(r.id, r.release_version, r.ended_at).where(done, ~blocked)
                     .order_by(r.ended_at.desc(), r.id.desc()))
    if clean:
        label = f"{clean['release_version']} completed {day(clean['ended_at'])}"
        return check("met", [item("rehearsal", clean["id"], label)])
    started = done if ev.any(rehearsals, done) else r.status == "in_progress"
    evidence = _listed(ev, select(r.id, r.release_version, r.status).where(started)
                       .order_by(r.ended_at, r.id), "rehearsals",
                       lambda x: item("rehearsal", x["id"],
                                      f"{x['release_version']} {x['status']}"))
    return check("partly" if evidence else "not_met", evidence,
                 ["complete a full rehearsal with every critical issue resolved"])


def rollback(ev: Evidence) -> dict[str, Any]:
    """A rollback test performed and passed."""
    t = rehearsal_rollbacks.c
    passed = ev.first(select(t.rehearsal_id, t.duration_minutes, t.tested_at)
                      .where(t.performed == true(), t.passed == true())
                      .order_by(t.tested_at.desc()))
    if passed:
        return check("met", [item("rehearsal", passed["rehearsal_id"],
                                  f"rollback passed in {passed['duration_minutes']} min on "
                                  f"{day(passed['tested_at'])}")])
    evidence = _listed(ev, select(t.rehearsal_id, t.tested_at).where(t.performed == true())
                       .order_by(t.tested_at), "rollback tests",
                       lambda x: item("rehearsal", x["rehearsal_id"],
                                      f"rollback failed {day(x['tested_at'])}"))
    return check("partly" if evidence else "not_met", evidence, ["pass a rollback test"])


def report(ev: Evidence) -> dict[str, Any]:
    """A completed rehearsal with its Go/No-Go decision: the report is produced from it."""
    r, e = rehearsals.c, rehearsal_evaluations.c
    done = select(r.id, r.release_version).where(r.status == "completed").order_by(
        r.ended_at, r.id)
    decided = exists().where(e.rehearsal_id == r.id, e.decision.is_not(None), e.decision != "")
    reported = _listed(ev, done.where(decided), "reports",
                       lambda x: item("rehearsal_report", x["id"],
                                      f"report of {x['release_version']}"))
    if reported:
        return check("met", reported)
    evidence = _listed(ev, done, "completed rehearsals",
                       lambda x: item("rehearsal", x["id"], x["release_version"]))
    return check("partly" if evidence else "not_met", evidence,
                 ["complete a rehearsal and record its Go/No-Go decision"])


def runbook_updated(ev: Evidence) -> dict[str, Any]:
    """A runbook revised from a rehearsal's learnings."""
    v, n = runbook_revisions.c, rehearsal_notes.c
    revised = _listed(ev, select(v.runbook_id, v.revision, v.summary)
                      .where(v.source_type == "rehearsal").order_by(v.recorded_at, v.runbook_id,
                                                                    v.revision),
                      "revisions", lambda x: item("runbook", x["runbook_id"],
                                                  f"revision {x['revision']}: {x['summary']}"))
    if revised:
        return check("met", revised)
    proposed = ev.all(select(n.rehearsal_id, n.kind, n.text)
                      .where(n.kind.in_(("runbook_revision", "lesson")))
                      .order_by(n.recorded_at, n.rehearsal_id, n.version).limit(5))
    return check("partly" if proposed else "not_met",
                 [item("rehearsal", x["rehearsal_id"], f"{x['kind'].replace('_', ' ')}: "
                       f"{x['text'][:60]}") for x in proposed],
                 ["revise the runbook from the rehearsal (a revision whose source is the "
                  "rehearsal)"])


def sign_offs(criterion_id: str) -> Callable[[Evidence], dict[str, Any]]:
    """A judgement criterion: named people's sign-offs on the programme."""
    def evaluate(ev: Evidence) -> dict[str, Any]:
        rows = [s for s in ev.rows(programme_sign_offs) if s["criterion_id"] == criterion_id]
        names = ev.names(s["person_id"] for s in rows)
        status = sign_off_status(s["function"] for s in rows)
        missing = [] if status == "met" else [
            "sign-offs by people of at least two functions"]
        return check(status, [item("sign_off", s["person_id"],
                                   f"{names.get(s['person_id'], s['person_id'])} "
                                   f"({s['function']}) on {day(s['signed_at'])}")
                              for s in rows], missing)
    return evaluate


# -- T4.3 -------------------------------------------------------------------------------------

def staffed(ev: Evidence) -> dict[str, Any]:
    """A rotation whose next four weeks from the moment have a primary and a secondary."""
    horizon = ev.at + timedelta(weeks=STAFFED_WEEKS)
    s = shifts.c
    best: tuple[int, dict[str, Any], list[dict[str, Any]]] | None = None
    for rotation in ev.rows(rotations):
        weeks = ev.all(select(shifts).where(s.rotation_id == rotation["id"], s.ends_at > ev.at,
                                            s.starts_at < horizon).order_by(s.starts_at))
        covered, cursor = [], ev.at
        for week in weeks:
            if week["starts_at"] > cursor or not (week["primary_id"] and week["secondary_id"]):
                break
            covered.append(week)
            cursor = week["ends_at"]
        score = (cursor >= horizon, len(covered))
        if best is None or score > _score(best):
            best = (int(cursor >= horizon), rotation, covered)
    if best is None:
        return check("not_met", missing=["create an on-call rotation and plan 4 weeks ahead"])
    full, rotation, covered = best
    names = ev.names(p for w in covered for p in (w["primary_id"], w["secondary_id"]))
    evidence = [item("rotation", rotation["id"], rotation["name"])] + [
        item("rotation", rotation["id"],
             f"week {w['week_start']}: {names.get(w['primary_id'], '?')} / "
             f"{names.get(w['secondary_id'], '?')}") for w in covered]
    if full:
        return check("met", evidence)
    return check("partly" if covered else "not_met", evidence,
                 [f"plan and staff (primary and secondary) every week up to {day(horizon)}"])


def _score(best: tuple[int, dict[str, Any], list[dict[str, Any]]]) -> tuple[bool, int]:
    return (bool(best[0]), len(best[2]))


def escalation(ev: Evidence) -> dict[str, Any]:
    """The escalation path in a rotation's policy (documented) and taught in a training."""
    documented = [r for r in ev.rows(rotations) if r["policy"]]
    taught = [t for t in ev.rows(trainings) if "escalation" in t["topics"]]
    evidence = ([item("rotation", r["id"], f"{r['name']}: escalation policy")
                 for r in documented]
                + shown([item("training", t["id"], f"{t['title']} ({t['held_on']}): escalation")
                         for t in taught[:SHOWN]], len(taught), "trainings", "training"))
    missing = ([] if documented else ["an on-call rotation with its escalation policy"]) + (
        [] if taught else ["a training session covering escalation"])
    if documented and taught:
        return check("met", evidence)
    return check("partly" if evidence else "not_met", evidence, missing)


def runbooks_validated(ev: Evidence) -> dict[str, Any]:
    """Every runbook's current revision signed off as reviewed and as validated."""
    s, b = runbook_sign_offs.c, runbooks.c
    signed: dict[tuple[str, int], set[str]] = defaultdict(set)
    for row in ev.stream(select(s.runbook_id, s.revision, s.kind).join(
            runbooks, and_(b.id == s.runbook_id, b.revision == s.revision))):
        signed[(row["runbook_id"], row["revision"])].add(row["kind"])
    books = sorted(ev.rows(runbooks), key=lambda r: r["category"])
    wanted = {"reviewed", "validated"}
    done = [r for r in books if wanted <= signed[(r["id"], r["revision"])]]
    missing = [f"{r['title']}: {' and '.join(sorted(wanted - signed[(r['id'], r['revision'])]))}"
               f" (revision {r['revision']})" for r in books if r not in done]
    evidence = [item("runbook", r["id"], f"{r['title']} r{r['revision']}: reviewed and validated")
                for r in done]
    if books and not missing:
        return check("met", evidence)
    if not books:
        return check("not_met", missing=["write the incident runbooks"])
    return check("partly" if ev.any(runbook_sign_offs) else "not_met", evidence, missing)


def trained(ev: Evidence) -> dict[str, Any]:
    """Everyone on a rotation's roster attended sessions covering every training topic."""
    topics: dict[str, set[str]] = defaultdict(set)
    for session in ev.rows(trainings):
        for pid in session["attendee_ids"]:
            topics[pid].update(session["topics"])
    roster = sorted({pid for r in ev.rows(rotations) for pid in r["roster"]})
    if not roster:
        return check("not_met", missing=["an on-call rotation with its roster"])
    names = ev.names(roster)
    status = {pid: training_status(topics.get(pid, set())) for pid in roster}
    done = [pid for pid in roster if status[pid] == "trained"]
    evidence = [item("training", None, f"{names.get(pid, pid)}: trained") for pid in done]
    missing = [f"{names.get(pid, pid)}: {status[pid]}" for pid in roster if pid not in done]
    if not missing:
        return check("met", evidence)
    return check("partly" if done or any(s != "untrained" for s in status.values())
                 else "not_met", evidence, missing)


def practice(ev: Evidence) -> dict[str, Any]:
    """A practice incident resolved, acknowledged within the target, with its debrief."""
    c = incidents.c
    columns = (c.id, c.title, c.status, c.opened_at, c.acknowledged_at, c.debrief)
    drills = c.practice == true()
    for drill in ev.scan(select(*columns).where(drills, c.status == "resolved",
                                                 c.debrief.is_not(None))
                         .order_by(c.opened_at, c.id)):
        on_time = acknowledged_within_target(drill["opened_at"], drill["acknowledged_at"])
        if on_time and drill["debrief"]:
            return check("met", [item("incident", drill["id"],
                                      f"{drill['title']} ({day(drill['opened_at'])}): "
                                      "acknowledged within 15 min, resolved, debriefed")])
    last = ev.first(select(*columns).where(drills).order_by(c.opened_at.desc(), c.id.desc()))
    if last:
        gaps = [text for ok, text in (
            (last["status"] == "resolved", "resolve the drill"),
            (acknowledged_within_target(last["opened_at"], last["acknowledged_at"]),
             "acknowledge within 15 minutes"),
            (bool(last["debrief"]), "record the debrief")) if not ok]
        return check("partly", [item("incident", last["id"], last["title"])], gaps)
    return check("not_met", missing=["run a practice incident (fire drill)"])


def alerting(ev: Evidence) -> dict[str, Any]:
    """A rotation with its escalation policy that has paged someone."""
    t = incident_timeline.c
    first = ev.first(select(t.incident_id, t.person_id, t.at).where(
        t.type == "paged", t.person_id.is_not(None), t.person_id != "").order_by(t.at))
    rota = ev.rows(rotations)
    if rota and first:
        names = ev.names([first["person_id"]])
        return check("met", [item("rotation", rota[0]["id"], rota[0]["name"]),
                             item("incident", first["incident_id"],
                                  f"paged {names.get(first['person_id'], '?')} "
                                  f"{day(first['at'])}")])
    if rota:
        return check("partly", [item("rotation", r["id"], r["name"]) for r in rota],
                     ["a page delivered to the on-call person (a drill will do)"])
    return check("not_met", missing=["an on-call rotation with its escalation policy"])


# -- T4.4 -------------------------------------------------------------------------------------

def template(ev: Evidence) -> dict[str, Any]:
    """A launch with its metric targets: the review template's shape is filled from them."""
    found = [launch for launch in ev.rows(launches) if launch["targets"]]
    if found:
        return check("met", shown([item("launch", launch["id"], f"{launch['name']}: targets "
                                        f"{', '.join(sorted(launch['targets']))}")
                                   for launch in found[:SHOWN]], len(found), "launches"))
    return check("not_met", missing=["record a launch with its metric targets"])


def _live(kind: str, *conditions: Any) -> Any:
    r = reviews.c
    return and_(r.kind == kind, r.status != "cancelled", *conditions)


def _per_launch(ev: Evidence, counted: Any, status: Callable[[dict[str, Any], int], str],
                outcome: Callable[[dict[str, Any], int], dict[str, Any]],
                none: str) -> dict[str, Any]:
    """The best launch's outcome (met, then partly, then not met; the first launch of equals).
    ``n``, a launch's reviews matching ``counted``, is counted for every launch in one query;
    ``status(launch, n)`` ranks the launches and ``outcome(launch, n)``, with its evidence, is
    worked out for the best one only."""
    r = reviews.c
    numbers = dict(ev.conn.execute(select(r.launch_id, func.count()).where(counted)
                                   .group_by(r.launch_id)).all())
    order = {"met": 0, "partly": 1, "not_met": 2}
    ranked = [(order[status(launch, numbers.get(launch["id"], 0))], i, launch)
              for i, launch in enumerate(ev.rows(launches))]
    if not ranked:
        return check("not_met", missing=[none])
    best = min(ranked, key=lambda x: x[:2])[2]
    return outcome(best, numbers.get(best["id"], 0))


def _reviews_of(ev: Evidence, launch: dict[str, Any], condition: Any,
                limit: int | None = None) -> list[dict[str, Any]]:
    r = reviews.c
    query = select(r.id, r.scheduled_for, r.status).where(r.launch_id == launch["id"], condition) \
        .order_by(r.scheduled_for, r.id)
    return ev.all(query.limit(limit) if limit else query)


def daily_reviews(ev: Evidence) -> dict[str, Any]:
    """A launch's five daily reviews of the first week, finalised."""
    finalised = _live("daily", reviews.c.status == "finalised")

    def status(_: dict[str, Any], done: int) -> str:
        return "met" if done >= DAILY_REVIEWS else "partly" if done else "not_met"

    def outcome(launch: dict[str, Any], done: int) -> dict[str, Any]:
        evidence = [item("review", r["id"], f"daily {r['scheduled_for']}")
                    for r in _reviews_of(ev, launch, finalised)]
        missing = [] if done >= DAILY_REVIEWS else [
            f"{DAILY_REVIEWS - done} more daily review(s) finalised for {launch['name']}"]
        return check(status(launch, done), evidence, missing)
    return _per_launch(ev, finalised, status, outcome,
                       "record a launch (its daily reviews are scheduled)")


def weekly_scheduled(ev: Evidence) -> dict[str, Any]:
    """Every weekly review of the launch's first month on the calendar."""
    weekly = _live("weekly")

    def wanted(launch: dict[str, Any]) -> int:
        return sum(1 for p in propose_schedule(launch["launch_date"]) if p.kind == "weekly")

    def status(launch: dict[str, Any], scheduled: int) -> str:
        return "met" if scheduled and scheduled >= wanted(launch) else \
            "partly" if scheduled else "not_met"

    def outcome(launch: dict[str, Any], scheduled: int) -> dict[str, Any]:
        evidence = [item("review", r["id"], f"weekly {r['scheduled_for']} ({r['status']})")
                    for r in _reviews_of(ev, launch, weekly)]
        done = status(launch, scheduled)
        return check(done, evidence, [] if done == "met" else [
            f"{wanted(launch) - scheduled} weekly review(s) to schedule for {launch['name']}"])
    return _per_launch(ev, weekly, status, outcome,
                       "record a launch (its weekly reviews are scheduled)")


def monthly(ev: Evidence) -> dict[str, Any]:
    """A monthly review on the launch's calendar after its first month."""
    live = _live("monthly")

    def status(_: dict[str, Any], found: int) -> str:
        return "met" if found else "not_met"

    def outcome(launch: dict[str, Any], found: int) -> dict[str, Any]:
        if found:
            return check("met", [item("review", r["id"], f"monthly {r['scheduled_for']}")
                                 for r in _reviews_of(ev, launch, live, limit=2)])
        return check("not_met", [item("launch", launch["id"], launch["name"])],
                     ["schedule the monthly review"])
    return _per_launch(ev, live, status, outcome,
                       "record a launch (its monthly reviews are scheduled)")


def action_tracking(ev: Evidence) -> dict[str, Any]:
    """Action items with owners and due dates, whose status is updated in reviews."""
    u = action_item_updates.c
    items = ev.count(select(action_items.c.id))
    in_review = select(u.review_id).where(u.review_id.is_not(None), u.review_id != "")
    first = ev.first(in_review.order_by(u.at, u.item_id, u.version)) if items else None
    if items and first:
        return check("met", [item("action_items", None, f"{items} action item(s)"),
                             item("review", first["review_id"],
                                  f"{ev.count(in_review)} status update(s) given in reviews")])
    if items:
        return check("partly", [item("action_items", None, f"{items} action item(s)")],
                     ["give the items' status updates in a review"])
    return check("not_met", missing=["raise action items with owner and due date"])


def backlog(ev: Evidence) -> dict[str, Any]:
    """A finalised review whose continuous-improvement backlog has entries."""
    r = reviews.c
    kept = select(r.id, r.kind, r.scheduled_for, r.backlog).where(_non_empty(r.backlog)) \
        .order_by(r.scheduled_for.desc(), r.id.desc()).limit(3)
    final = ev.all(kept.where(r.status == "finalised"))
    latest = final or ev.all(kept)
    evidence = [item("review", x["id"], f"{x['kind']} {x['scheduled_for']}: "
                     f"{len(x['backlog'])} backlog item(s)") for x in reversed(latest)]
    if final:
        return check("met", evidence)
    return check("partly" if latest else "not_met", evidence,
                 ["record the continuous-improvement backlog in a finalised review"])


CHECKS: dict[str, Callable[[Evidence], dict[str, Any]]] = {
    "t41.inaugural-meeting": inaugural_meeting,
    "t41.biweekly-schedule": biweekly_schedule,
    "t41.three-reviewed": three_reviewed,
    "t41.decision-log": decision_log,
    "t41.quorum-voting": quorum_voting,
    "t42.parity": parity,
    "t42.rehearsal": rehearsal_completed,
    "t42.rollback": rollback,
    "t42.report": report,
    "t42.runbook-updated": runbook_updated,
    "t42.confidence": sign_offs("t42.confidence"),
    "t43.staffed": staffed,
    "t43.escalation": escalation,
    "t43.runbooks": runbooks_validated,
    "t43.trained": trained,
    "t43.practice": practice,
    "t43.alerting": alerting,
    "t44.template": template,
    "t44.daily-reviews": daily_reviews,
    "t44.weekly-scheduled": weekly_scheduled,
    "t44.monthly": monthly,
    "t44.action-tracking": action_tracking,
    "t44.backlog": backlog,
}
"""Every criterion of the guide → the check that derives it from the evidence."""


def evaluate(engine: Engine, at: datetime) -> list[dict[str, Any]]:
    """Every success criterion, in the guide's order, as it stands in ``engine`` at ``at``."""
    with engine.connect() as conn:
        ev = Evidence(conn, at)
        return [{**criterion, **CHECKS[criterion["id"]](ev)} for criterion in CRITERIA]


def met_criteria(engine: Engine, at: datetime) -> set[str]:
    """The ids of the criteria met at ``at``."""
    return {c["id"] for c in evaluate(engine, at) if c["status"] == "met"}
