"""Read side of release rehearsals: lists, the live checklist, reports and estimate accuracy."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.paging import DEFAULT_LIMIT, fetch_page
from domain.errors import NotFound
from domain.rehearsals.rehearsal import (
    PREFLIGHT_KINDS,
    PREFLIGHT_LABELS,
    STEP_DONE,
    as_percent,
    estimate_accuracy,
    variance_fraction,
    variance_seconds,
)
from projections.people.tables import people
from projections.rehearsals.tables import (
    rehearsal_checks,
    rehearsal_evaluations,
    rehearsal_issues,
    rehearsal_notes,
    rehearsal_rollbacks,
    rehearsal_steps,
    rehearsals,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


def _names(conn: Connection) -> dict[str, str]:
    return {r.id: r.name for r in conn.execute(select(people.c.id, people.c.name))}


def _rehearsal_query(status: str | None = None, release_version: str | None = None,
                     playbook: str | None = None) -> Any:
    c = rehearsals.c
    conditions = [col == v for col, v in ((c.status, status),
                                          (c.release_version, release_version),
                                          (c.playbook, playbook)) if v]
    return select(rehearsals).where(*conditions).order_by(c.planned_at.desc(), c.id)


def _with_progress(conn: Connection, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each rehearsal's step counts and estimate accuracy, reading only these rehearsals'
    steps."""
    ids = [item["id"] for item in items]
    steps = _rows(conn, select(rehearsal_steps).where(
        rehearsal_steps.c.rehearsal_id.in_(ids))) if ids else []
    by_rehearsal: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        by_rehearsal.setdefault(step["rehearsal_id"], []).append(step)
    for item in items:
        mine = by_rehearsal.get(item["id"], [])
        item["steps_total"] = len(mine)
        item["steps_done"] = sum(1 for s in mine if s["status"] in STEP_DONE)
        item["estimate_accuracy"] = _accuracy(mine)
    return items


def list_rehearsals(engine: Engine, *, status: str | None = None,
                    release_version: str | None = None,
                    playbook: str | None = None) -> list[dict[str, Any]]:
    """Every rehearsal matching the filters, newest first, with its estimate accuracy (bounded
    uses: one playbook's; lists the product serves use ``rehearsal_page``)."""
    with engine.connect() as conn:
        return _with_progress(conn, _rows(conn, _rehearsal_query(
            status, release_version, playbook)))


def rehearsal_page(engine: Engine, *, limit: int = DEFAULT_LIMIT, offset: int = 0,
                   **filters: Any) -> dict[str, Any]:
    """One page of rehearsals matching the filters, newest first, with their progress and how
    many match."""
    page = fetch_page(engine, _rehearsal_query(**filters), limit=limit, offset=offset,
                      convert=lambda r: dict(r._mapping))
    with engine.connect() as conn:
        _with_progress(conn, page["items"])
    return page


def _accuracy(steps: list[dict[str, Any]]) -> Decimal | None:
    pairs = [(s["planned_minutes"], s["actual_seconds"]) for s in steps
             if s["status"] == "finished"]
    accuracy = estimate_accuracy(pairs)
    return None if accuracy is None else as_percent(accuracy, 1)


def get_rehearsal(engine: Engine, rehearsal_id: str) -> dict[str, Any]:
    """One rehearsal with its steps, checks, issues, rollback tests, evaluations and notes."""
    with engine.connect() as conn:
        found = _rows(conn, select(rehearsals).where(rehearsals.c.id == rehearsal_id))
        if not found:
            raise NotFound(f"no rehearsal with id {rehearsal_id}", id=rehearsal_id)
        r = found[0]
        names = _names(conn)

        def child(table: Any, *order: Any) -> list[dict[str, Any]]:
            return _rows(conn, select(table).where(table.c.rehearsal_id == rehearsal_id)
                         .order_by(*order))

        r["steps"] = [_step(s, names) for s in child(rehearsal_steps, rehearsal_steps.c.number)]
        r["checks"] = child(rehearsal_checks, rehearsal_checks.c.version)
        r["issues"] = child(rehearsal_issues, rehearsal_issues.c.issue)
        r["rollback_tests"] = child(rehearsal_rollbacks, rehearsal_rollbacks.c.version)
        r["evaluations"] = child(rehearsal_evaluations, rehearsal_evaluations.c.evaluation)
        notes = child(rehearsal_notes, rehearsal_notes.c.version)
    r["planned_by_name"] = names.get(r["planned_by"])
    r["preflight"] = _latest_checks(r["checks"], names)
    r["rollback"] = r["rollback_tests"][-1] if r["rollback_tests"] else None
    for e in r["evaluations"]:
        e["failed"] = _failed(e)
        e["decided_by_name"] = names.get(e["decided_by"] or "")
        e["evaluated_by_name"] = names.get(e["evaluated_by"] or "")
    r["evaluation"] = r["evaluations"][-1] if r["evaluations"] else None
    r["decisions"] = [e for e in r["evaluations"] if e["decision"]]
    r["lessons"] = [n for n in notes if n["kind"] == "lesson"]
    r["adjustments"] = [n for n in notes if n["kind"] != "lesson"]
    r["estimate_accuracy"] = _accuracy(r["steps"])
    r["step_names"] = {s["number"]: s["name"] for s in r["steps"]}
    return r


def _failed(evaluation: dict[str, Any]) -> list[str]:
    """The names of the criteria and checks an evaluation found failing (or not run)."""
    failed = [c["label"] for c in evaluation["criteria"] if not c["passed"]]
    failed += [PREFLIGHT_LABELS[k] for k, passed in evaluation["preflight"].items()
               if not passed]
    return failed + ([] if evaluation["rollback_passed"] else ["Rollback test"])


def _step(step: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    step["owner_name"] = names.get(step["owner_id"])
    actual = step["actual_seconds"]
    if actual is None or step["status"] != "finished":
        step["variance_seconds"] = step["variance_percent"] = None
    else:
        step["variance_seconds"] = variance_seconds(step["planned_minutes"], actual)
        step["variance_percent"] = as_percent(variance_fraction(step["planned_minutes"],
                                                                actual), 1)
    return step


def _latest_checks(checks: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per pre-flight kind: its latest run (or not run), with how many runs it had."""
    rows = []
    for kind in PREFLIGHT_KINDS:
        runs = [c for c in checks if c["kind"] == kind]
        latest = runs[-1] if runs else None
        rows.append({"kind": kind, "label": PREFLIGHT_LABELS[kind], "runs": len(runs),
                     "passed": latest["passed"] if latest else None,
                     "evidence": latest["evidence"] if latest else "not run",
                     "checked_at": latest["checked_at"] if latest else None,
                     "checked_by_name": names.get((latest or {}).get("checked_by") or ""),
                     "parity_items": latest.get("parity_items") if latest else None})
    return rows


def playbook_history(engine: Engine, playbook: str) -> list[dict[str, Any]]:
    """Rehearsals of one playbook in the order their dry runs started (or were planned, when
    not started yet), with estimate accuracy and its change from the previous one."""
    items = sorted(list_rehearsals(engine, playbook=playbook),
                   key=lambda r: (r["started_at"] or r["planned_at"], r["planned_at"],
                                  r["id"]))
    previous: Decimal | None = None
    for item in items:
        accuracy = item["estimate_accuracy"]
        item["accuracy_change"] = (accuracy - previous if accuracy is not None
                                   and previous is not None else None)
        previous = accuracy if accuracy is not None else previous
    return items


DECISION_REPORT_COLUMNS = ["rehearsal_id", "release_version", "environment", "evaluation",
                           "evaluated_at", "failed", "recommendation", "decision",
                           "against_recommendation", "decided_by", "reason", "decided_at"]
"""Columns of the Go/No-Go decisions report (for the compliance bundle's report registry)."""


def decision_rows(ctx: Any) -> list[dict[str, Any]]:
    """Every Go/No-Go decision recorded in ``ctx.start``..``ctx.end``, oldest first, read from
    ``ctx.engine`` (shaped for ``app.reporting.Report(..., rows=decision_rows)``)."""
    rows = []
    with ctx.engine.connect() as conn:
        names = _names(conn)
        found = conn.execute(select(rehearsal_evaluations, rehearsals.c.release_version,
                                    rehearsals.c.environment)
                             .join(rehearsals, rehearsals.c.id ==
                                   rehearsal_evaluations.c.rehearsal_id)
                             .where(rehearsal_evaluations.c.decided_at.is_not(None))
                             .order_by(rehearsal_evaluations.c.decided_at))
        evaluations = [dict(r._mapping) for r in found]
    for e in evaluations:
        if not ctx.start <= e["decided_at"] <= ctx.end:
            continue
        rows.append({"rehearsal_id": e["rehearsal_id"], "release_version": e["release_version"],
                     "environment": e["environment"], "evaluation": e["evaluation"],
                     "evaluated_at": e["evaluated_at"].isoformat(),
                     "failed": "; ".join(_failed(e)), "recommendation": e["recommendation"],
                     "decision": e["decision"],
                     "against_recommendation": "yes" if e["against_recommendation"] else "no",
                     "decided_by": names.get(e["decided_by"], e["decided_by"]),
                     "reason": e["decision_reason"] or "",
                     "decided_at": e["decided_at"].isoformat()})
    return rows
