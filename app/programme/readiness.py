"""Readiness, derived from evidence: every success criterion of T4.1–T4.4 as a check.

Each check reads the other areas' read models (the evidence: meetings and their minutes, the
decision log, rehearsals, the rotation's weeks, incidents, runbooks, trainings, launches,
reviews, action items) from the engine it is given — the live read models, or an as-of view
(``app/audit/as_of.py``), so readiness can be shown as of any moment. Judgement criteria are
the sign-offs recorded on the programme. Nothing here writes; nothing is ticked by hand.

A check is ``{"id", "track", "title", "kind", "status", "evidence", "missing"}``: status
``met`` | ``partly`` | ``not_met``; each evidence item ``{"kind", "id", "label"}`` names a
record the web layer links to; ``missing`` says what is still needed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import select

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
    from sqlalchemy import Connection, Engine, Table

STAFFED_WEEKS = 4
PARITY_REQUIRED = Decimal("90")
THREE = 3


class Evidence:
    """Every table a check may read, loaded once per evaluation (one connection).

    Wide columns no check reads (``UNREAD``) are left out: a decision's evidence is most of a
    decision, so decoding it was most of a report's time over a large history."""

    UNREAD: dict[str, frozenset[str]] = {
        decisions.name: frozenset({"evidence", "tally"}),
    }

    def __init__(self, conn: Connection, at: datetime) -> None:
        self.conn = conn
        self.at = at
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def rows(self, table: Table) -> list[dict[str, Any]]:
        """Every row of ``table`` (datetimes as aware UTC)."""
        if table.name not in self._cache:
            self._cache[table.name] = [
                {k: from_db(v) if isinstance(v, datetime) else v for k, v in r._mapping.items()}
                for r in self.conn.execute(select(*self.columns(table)))]
        return self._cache[table.name]

    def columns(self, table: Table) -> list[Any]:
        """The columns of ``table`` the checks read."""
        unread = self.UNREAD.get(table.name, frozenset())
        return [c for c in table.columns if c.name not in unread]

    def names(self) -> dict[str, str]:
        """Person id → name."""
        return {p["id"]: p["name"] for p in self.rows(people)}


def check(status: str, evidence: list[dict[str, Any]] | None = None,
          missing: list[str] | None = None) -> dict[str, Any]:
    """One check's outcome."""
    return {"status": status, "evidence": evidence or [], "missing": missing or []}


def item(kind: str, record_id: Any, label: str) -> dict[str, Any]:
    """One piece of evidence: a record the web layer links to."""
    return {"kind": kind, "id": None if record_id is None else str(record_id), "label": label}


def day(value: datetime | None) -> str:
    """A moment as a short UTC date."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d") if value else "—"


# -- T4.1 -------------------------------------------------------------------------------------

def inaugural_meeting(ev: Evidence) -> dict[str, Any]:
    """A closed meeting (its minutes are produced from its events)."""
    held = sorted((m for m in ev.rows(meetings) if m["status"] == "closed"),
                  key=lambda m: m["closed_at"])
    if held:
        first = held[0]
        return check("met", [item("meeting", first["id"], f"meeting of {day(first['opened_at'])}"),
                             item("minutes", first["id"], "its minutes")])
    opened = [m for m in ev.rows(meetings) if m["status"] == "open"]
    if opened:
        return check("partly", [item("meeting", opened[0]["id"], "meeting in progress")],
                     ["close the meeting so its minutes are complete"])
    planned = sorted((m for m in ev.rows(meetings)), key=lambda m: m["scheduled_start"])
    return check("not_met", [item("meeting", m["id"], f"scheduled {day(m['scheduled_start'])}")
                             for m in planned[:1]],
                 ["hold the inaugural CCB meeting (open it, record attendance, decide items, "
                  "close it)"])


def biweekly_schedule(ev: Evidence) -> dict[str, Any]:
    """A board whose charter cadence is bi-weekly, with a scheduled meeting series."""
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in ev.rows(meetings):
        if m["series_id"]:
            series[m["board_id"]].append(m)
    biweekly = [b for b in ev.rows(boards) if b["charter"].get("cadence_frequency") == "biweekly"]
    for board in biweekly:
        planned = sorted(series.get(board["id"], []), key=lambda m: m["scheduled_start"])
        if len(planned) >= 2:
            return check("met", [item("board", board["id"], f"{board['name']}: bi-weekly charter"),
                                 *[item("meeting", m["id"], day(m["scheduled_start"]))
                                   for m in planned[:3]]])
    if biweekly:
        return check("partly", [item("board", b["id"], f"{b['name']}: bi-weekly charter")
                                for b in biweekly],
                     ["schedule the board's recurring meeting series"])
    return check("not_met", [item("board", b["id"], f"{b['name']}: "
                                  f"{b['charter'].get('cadence_frequency')} charter")
                             for b in ev.rows(boards)],
                 ["create a board whose charter cadence is bi-weekly and schedule its series"])


def board_reviews(ev: Evidence) -> list[dict[str, Any]]:
    """Decisions the board actually took at meetings (deferrals for lack of time excluded)."""
    return [d for d in ev.rows(decisions) if d["kind"] == "meeting"
            and d["reason"] not in ("timebox", "not_decided_before_close")]


def three_reviewed(ev: Evidence) -> dict[str, Any]:
    """At least three distinct change requests decided by the board at a meeting."""
    reviewed: dict[str, dict[str, Any]] = {}
    for d in sorted(board_reviews(ev), key=lambda d: d["decided_at"]):
        reviewed.setdefault(d["change_request_id"], d)
    titles = {c["id"]: c["title"] for c in ev.rows(change_requests)}
    evidence = [item("change", cr, f"{titles.get(cr, cr)}: {d['outcome']} on "
                     f"{day(d['decided_at'])}") for cr, d in reviewed.items()]
    if len(reviewed) >= THREE:
        return check("met", evidence)
    return check("partly" if reviewed else "not_met", evidence,
                 [f"{THREE - len(reviewed)} more change request(s) reviewed by the board"])


def decision_log(ev: Evidence) -> dict[str, Any]:
    """The decision log holds decisions with their tally, quorum and evidence."""
    rows = ev.rows(decisions)
    if rows:
        return check("met", [item("decision_log", None, f"{len(rows)} decision(s) logged")])
    return check("not_met", missing=["record a first decision (at a meeting or an emergency "
                                     "approval)"])


def quorum_voting(ev: Evidence) -> dict[str, Any]:
    """A decision taken by vote with its quorum snapshot met."""
    voted = [d for d in board_reviews(ev) if (d["quorum"] or {}).get("met") and d["votes"]]
    if voted:
        first = min(voted, key=lambda d: d["decided_at"])
        quorum = first["quorum"]
        return check("met", [item("meeting", first["meeting_id"],
                                  f"quorum met ({quorum.get('counted')} members, "
                                  f"{len(quorum.get('functions', []))} functions), "
                                  f"{len(first['votes'])} vote(s)"),
                             item("decision_log", None, "decision log")])
    if ev.rows(decisions):
        return check("partly", [item("decision_log", None, "decisions without a quorate vote")],
                     ["decide an item by vote at a meeting with quorum"])
    return check("not_met", missing=["decide an item by vote at a meeting with quorum"])


# -- T4.2 -------------------------------------------------------------------------------------

def _latest(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: r[key])


def _percent(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def parity(ev: Evidence) -> dict[str, Any]:
    """The latest parity check passed with more than 90% of compared items matching."""
    checks = _latest([c for c in ev.rows(rehearsal_checks) if c["kind"] == "parity"],
                     "checked_at")
    if not checks:
        return check("not_met", missing=["run a parity check on a rehearsal's staging "
                                         "environment"])
    last = checks[-1]
    percent = _percent(last["parity_percent"])
    evidence = [item("rehearsal", last["rehearsal_id"],
                     f"parity {last['parity_percent']}% on {day(last['checked_at'])}")]
    if last["passed"] and percent is not None and percent > PARITY_REQUIRED:
        return check("met", evidence)
    return check("partly", evidence, ["bring staging to more than 90% parity and check again"])


def _completed_rehearsals(ev: Evidence) -> list[dict[str, Any]]:
    return _latest([r for r in ev.rows(rehearsals) if r["status"] == "completed"], "ended_at")


def rehearsal_completed(ev: Evidence) -> dict[str, Any]:
    """A rehearsal completed with no unresolved critical issue."""
    blockers: dict[str, int] = defaultdict(int)
    for issue in ev.rows(rehearsal_issues):
        if issue["severity"] == "critical" and issue["resolved_at"] is None:
            blockers[issue["rehearsal_id"]] += 1
    done = _completed_rehearsals(ev)
    clean = [r for r in done if not blockers[r["id"]]]
    if clean:
        r = clean[-1]
        return check("met", [item("rehearsal", r["id"],
                                  f"{r['release_version']} completed {day(r['ended_at'])}")])
    started = done or [r for r in ev.rows(rehearsals) if r["status"] == "in_progress"]
    return check("partly" if started else "not_met",
                 [item("rehearsal", r["id"], f"{r['release_version']} {r['status']}")
                  for r in started],
                 ["complete a full rehearsal with every critical issue resolved"])


def rollback(ev: Evidence) -> dict[str, Any]:
    """A rollback test performed and passed."""
    tests = _latest([t for t in ev.rows(rehearsal_rollbacks) if t["performed"]], "tested_at")
    passed = [t for t in tests if t["passed"]]
    if passed:
        t = passed[-1]
        return check("met", [item("rehearsal", t["rehearsal_id"],
                                  f"rollback passed in {t['duration_minutes']} min on "
                                  f"{day(t['tested_at'])}")])
    return check("partly" if tests else "not_met",
                 [item("rehearsal", t["rehearsal_id"], f"rollback failed {day(t['tested_at'])}")
                  for t in tests], ["pass a rollback test"])


def report(ev: Evidence) -> dict[str, Any]:
    """A completed rehearsal with its Go/No-Go decision: the report is produced from it."""
    decided = {e["rehearsal_id"] for e in ev.rows(rehearsal_evaluations) if e["decision"]}
    done = _completed_rehearsals(ev)
    reported = [r for r in done if r["id"] in decided]
    if reported:
        return check("met", [item("rehearsal_report", r["id"], f"report of {r['release_version']}")
                             for r in reported])
    return check("partly" if done else "not_met",
                 [item("rehearsal", r["id"], r["release_version"]) for r in done],
                 ["complete a rehearsal and record its Go/No-Go decision"])


def runbook_updated(ev: Evidence) -> dict[str, Any]:
    """A runbook revised from a rehearsal's learnings."""
    revised = [r for r in ev.rows(runbook_revisions) if r["source_type"] == "rehearsal"]
    if revised:
        return check("met", [item("runbook", r["runbook_id"], f"revision {r['revision']}: "
                                  f"{r['summary']}") for r in revised])
    proposed = [n for n in ev.rows(rehearsal_notes) if n["kind"] in ("runbook_revision", "lesson")]
    return check("partly" if proposed else "not_met",
                 [item("rehearsal", n["rehearsal_id"], f"{n['kind'].replace('_', ' ')}: "
                       f"{n['text'][:60]}") for n in proposed[:5]],
                 ["revise the runbook from the rehearsal (a revision whose source is the "
                  "rehearsal)"])


def sign_offs(criterion_id: str) -> Callable[[Evidence], dict[str, Any]]:
    """A judgement criterion: named people's sign-offs on the programme."""
    def evaluate(ev: Evidence) -> dict[str, Any]:
        rows = [s for s in ev.rows(programme_sign_offs) if s["criterion_id"] == criterion_id]
        names = ev.names()
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
    best: tuple[int, dict[str, Any], list[dict[str, Any]]] | None = None
    names = ev.names()
    for rotation in ev.rows(rotations):
        weeks = sorted((s for s in ev.rows(shifts) if s["rotation_id"] == rotation["id"]
                        and s["ends_at"] > ev.at and s["starts_at"] < horizon),
                       key=lambda s: s["starts_at"])
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
                + [item("training", t["id"], f"{t['title']} ({t['held_on']}): escalation")
                   for t in taught])
    missing = ([] if documented else ["an on-call rotation with its escalation policy"]) + (
        [] if taught else ["a training session covering escalation"])
    if documented and taught:
        return check("met", evidence)
    return check("partly" if evidence else "not_met", evidence, missing)


def runbooks_validated(ev: Evidence) -> dict[str, Any]:
    """Every runbook's current revision signed off as reviewed and as validated."""
    signed: dict[tuple[str, int], set[str]] = defaultdict(set)
    for s in ev.rows(runbook_sign_offs):
        signed[(s["runbook_id"], s["revision"])].add(s["kind"])
    books = sorted(ev.rows(runbooks), key=lambda b: b["category"])
    done = [b for b in books if {"reviewed", "validated"} <= signed[(b["id"], b["revision"])]]
    missing = [f"{b['title']}: {' and '.join(sorted({'reviewed', 'validated'} - signed[(b['id'], b['revision'])]))}"
               f" (revision {b['revision']})" for b in books if b not in done]
    evidence = [item("runbook", b["id"], f"{b['title']} r{b['revision']}: reviewed and validated")
                for b in done]
    if books and not missing:
        return check("met", evidence)
    if not books:
        return check("not_met", missing=["write the incident runbooks"])
    return check("partly" if ev.rows(runbook_sign_offs) else "not_met", evidence, missing)


def trained(ev: Evidence) -> dict[str, Any]:
    """Everyone on a rotation's roster attended sessions covering every training topic."""
    topics: dict[str, set[str]] = defaultdict(set)
    for session in ev.rows(trainings):
        for pid in session["attendee_ids"]:
            topics[pid].update(session["topics"])
    roster = sorted({pid for r in ev.rows(rotations) for pid in r["roster"]})
    if not roster:
        return check("not_met", missing=["an on-call rotation with its roster"])
    names = ev.names()
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
    drills = sorted((i for i in ev.rows(incidents) if i["practice"]),
                    key=lambda i: i["opened_at"])
    for drill in drills:
        on_time = acknowledged_within_target(drill["opened_at"], drill["acknowledged_at"])
        if drill["status"] == "resolved" and on_time and drill["debrief"]:
            return check("met", [item("incident", drill["id"],
                                      f"{drill['title']} ({day(drill['opened_at'])}): "
                                      "acknowledged within 15 min, resolved, debriefed")])
    if drills:
        last = drills[-1]
        gaps = [text for ok, text in (
            (last["status"] == "resolved", "resolve the drill"),
            (acknowledged_within_target(last["opened_at"], last["acknowledged_at"]),
             "acknowledge within 15 minutes"),
            (bool(last["debrief"]), "record the debrief")) if not ok]
        return check("partly", [item("incident", last["id"], last["title"])], gaps)
    return check("not_met", missing=["run a practice incident (fire drill)"])


def alerting(ev: Evidence) -> dict[str, Any]:
    """A rotation with its escalation policy that has paged someone."""
    pages = sorted((t for t in ev.rows(incident_timeline)
                    if t["type"] == "paged" and t["person_id"]), key=lambda t: t["at"])
    rota = ev.rows(rotations)
    if rota and pages:
        names = ev.names()
        first = pages[0]
        return check("met", [item("rotation", rota[0]["id"], rota[0]["name"]),
                             item("incident", first["incident_id"],
                                  f"paged {names.get(first['person_id'], '?')} "
                                  f"{day(first['at'])}")])
    if rota:
        return check("partly", [item("rotation", r["id"], r["name"]) for r in rota],
                     ["a page delivered to the on-call person (a drill will do)"])
    return check("not_met", missing=["an on-call rotation with its escalation policy"])


# -- T4.4 -------------------------------------------------------------------------------------

def _live_reviews(ev: Evidence, launch_id: str, kind: str) -> list[dict[str, Any]]:
    return sorted((r for r in ev.rows(reviews) if r["launch_id"] == launch_id
                   and r["kind"] == kind and r["status"] != "cancelled"),
                  key=lambda r: r["scheduled_for"])


def template(ev: Evidence) -> dict[str, Any]:
    """A launch with its metric targets: the review template's shape is filled from them."""
    found = [launch for launch in ev.rows(launches) if launch["targets"]]
    if found:
        return check("met", [item("launch", launch["id"], f"{launch['name']}: targets "
                                  f"{', '.join(sorted(launch['targets']))}") for launch in found])
    return check("not_met", missing=["record a launch with its metric targets"])


def _per_launch(ev: Evidence, evaluate: Callable[[dict[str, Any]], dict[str, Any]],
                none: str) -> dict[str, Any]:
    results = [evaluate(launch) for launch in ev.rows(launches)]
    order = {"met": 0, "partly": 1, "not_met": 2}
    if not results:
        return check("not_met", missing=[none])
    return min(results, key=lambda r: order[r["status"]])


def daily_reviews(ev: Evidence) -> dict[str, Any]:
    """A launch's five daily reviews of the first week, finalised."""
    def evaluate(launch: dict[str, Any]) -> dict[str, Any]:
        daily = _live_reviews(ev, launch["id"], "daily")
        done = [r for r in daily if r["status"] == "finalised"]
        evidence = [item("review", r["id"], f"daily {r['scheduled_for']}") for r in done]
        if len(done) >= DAILY_REVIEWS:
            return check("met", evidence)
        return check("partly" if done else "not_met", evidence,
                     [f"{DAILY_REVIEWS - len(done)} more daily review(s) finalised for "
                      f"{launch['name']}"])
    return _per_launch(ev, evaluate, "record a launch (its daily reviews are scheduled)")


def weekly_scheduled(ev: Evidence) -> dict[str, Any]:
    """Every weekly review of the launch's first month on the calendar."""
    def evaluate(launch: dict[str, Any]) -> dict[str, Any]:
        wanted = [p for p in propose_schedule(launch["launch_date"]) if p.kind == "weekly"]
        weekly = _live_reviews(ev, launch["id"], "weekly")
        evidence = [item("review", r["id"], f"weekly {r['scheduled_for']} ({r['status']})")
                    for r in weekly]
        if weekly and len(weekly) >= len(wanted):
            return check("met", evidence)
        return check("partly" if weekly else "not_met", evidence,
                     [f"{len(wanted) - len(weekly)} weekly review(s) to schedule for "
                      f"{launch['name']}"])
    return _per_launch(ev, evaluate, "record a launch (its weekly reviews are scheduled)")


def monthly(ev: Evidence) -> dict[str, Any]:
    """A monthly review on the launch's calendar after its first month."""
    def evaluate(launch: dict[str, Any]) -> dict[str, Any]:
        found = _live_reviews(ev, launch["id"], "monthly")
        if found:
            return check("met", [item("review", r["id"], f"monthly {r['scheduled_for']}")
                                 for r in found[:2]])
        return check("not_met", [item("launch", launch["id"], launch["name"])],
                     ["schedule the monthly review"])
    return _per_launch(ev, evaluate, "record a launch (its monthly reviews are scheduled)")


def action_tracking(ev: Evidence) -> dict[str, Any]:
    """Action items with owners and due dates, whose status is updated in reviews."""
    items = ev.rows(action_items)
    in_review = [u for u in ev.rows(action_item_updates) if u["review_id"]]
    if items and in_review:
        return check("met", [item("action_items", None, f"{len(items)} action item(s)"),
                             item("review", in_review[0]["review_id"],
                                  f"{len(in_review)} status update(s) given in reviews")])
    if items:
        return check("partly", [item("action_items", None, f"{len(items)} action item(s)")],
                     ["give the items' status updates in a review"])
    return check("not_met", missing=["raise action items with owner and due date"])


def backlog(ev: Evidence) -> dict[str, Any]:
    """A finalised review whose continuous-improvement backlog has entries."""
    kept = sorted((r for r in ev.rows(reviews) if r["backlog"]),
                  key=lambda r: r["scheduled_for"])
    final = [r for r in kept if r["status"] == "finalised"]
    evidence = [item("review", r["id"], f"{r['kind']} {r['scheduled_for']}: "
                     f"{len(r['backlog'])} backlog item(s)") for r in (final or kept)[-3:]]
    if final:
        return check("met", evidence)
    return check("partly" if kept else "not_met", evidence,
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
