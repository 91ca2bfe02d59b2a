"""Projection of release rehearsals into ``rm_rehearsals`` and its detail tables.

Every handler is a pure function of its event: times come from event timestamps, and decimals
are stored as their exact strings. Which steps an abort stops is the event's fact
(``aborted_steps``; for events of release 0.1, the domain's ``steps_cut_by_abort``), and actual
durations are the domain's ``actual_seconds`` of the start and end events.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    and_,
    select,
    update,
)

from domain.rehearsals.rehearsal import Rehearsal, actual_seconds, steps_cut_by_abort
from projections.base import Projection, handles

if TYPE_CHECKING:
    from projections.base import Writer
from projections.rehearsals.tables import (
    rehearsal_checks,
    rehearsal_evaluations,
    rehearsal_issues,
    rehearsal_notes,
    rehearsal_rollbacks,
    rehearsal_steps,
    rehearsals,
)


def plain(value: Any) -> Any:
    """Decimals as exact strings inside JSON columns."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


class RehearsalProjection(Projection):
    """Keeps rehearsal lists, checklists and reports in step with Rehearsal events."""

    name = "rehearsals"
    tables = (rehearsals, rehearsal_steps, rehearsal_checks, rehearsal_issues,
              rehearsal_rollbacks, rehearsal_evaluations, rehearsal_notes)

    @handles(Rehearsal.Planned)
    def planned(self, w: Writer, e: Any) -> None:
        rid = str(e.originator_id)
        w.insert(rehearsals, id=rid, release_version=e.release_version,
                 environment=e.environment, playbook=e.playbook, planned_by=e.planned_by,
                 status="planned", parity_threshold=str(e.parity_threshold),
                 criteria=plain(e.criteria), abort_reason=None, recommendation=None,
                 decision=None, against_recommendation=False, planned_at=e.timestamp,
                 started_at=None, ended_at=None, updated_at=e.timestamp,
                 version=e.originator_version, source=getattr(e, "source", None))
        for number, step in enumerate(e.steps, start=1):
            self.insert_step(w, rid, number, step)

    @staticmethod
    def insert_step(w: Writer, rid: str, number: int, step: dict[str, Any]) -> None:
        """Add one pending playbook step."""
        w.insert(rehearsal_steps, rehearsal_id=rid, number=number, name=step["name"],
                 planned_minutes=step["planned_minutes"], owner_id=step["owner_id"],
                 status="pending", started_at=None, finished_at=None, actual_seconds=None,
                 skip_reason=None)

    @handles(Rehearsal.StepAdded)
    def step_added(self, w: Writer, e: Any) -> None:
        rid = str(e.originator_id)
        count = w.scalar(select(rehearsal_steps.c.number).where(
            rehearsal_steps.c.rehearsal_id == rid).order_by(
            rehearsal_steps.c.number.desc()).limit(1)) or 0
        self.insert_step(w, rid, count + 1, {"name": e.name, "planned_minutes": e.planned_minutes,
                                             "owner_id": e.owner_id})
        self.touch(w, e)

    @handles(Rehearsal.ParityChecked)
    def parity_checked(self, w: Writer, e: Any) -> None:
        differing = [i["name"] for i in e.items if not i["matches"]]
        evidence = f"{e.matching} of {e.compared} items match ({e.percent}%)" + (
            f"; differ: {', '.join(differing)}" if differing else "")
        w.insert(rehearsal_checks, rehearsal_id=str(e.originator_id),
                 version=e.originator_version, kind="parity", passed=e.passed,
                 evidence=evidence, parity_percent=str(e.percent),
                 parity_items=plain(list(e.items)), checked_by=e.actor_id,
                 checked_at=e.timestamp)
        self.touch(w, e)

    @handles(Rehearsal.PreflightChecked)
    def preflight_checked(self, w: Writer, e: Any) -> None:
        w.insert(rehearsal_checks, rehearsal_id=str(e.originator_id),
                 version=e.originator_version, kind=e.kind, passed=e.passed,
                 evidence=e.evidence, parity_percent=None, parity_items=None,
                 checked_by=e.actor_id, checked_at=e.timestamp)
        self.touch(w, e)

    @handles(Rehearsal.StepStarted)
    def step_started(self, w: Writer, e: Any) -> None:
        self.update_step(w, e, status="running", started_at=e.timestamp)
        w.execute(update(rehearsals).where(
            rehearsals.c.id == str(e.originator_id), rehearsals.c.started_at.is_(None))
            .values(started_at=e.timestamp))
        self.touch(w, e, status="in_progress")

    @handles(Rehearsal.StepFinished)
    def step_finished(self, w: Writer, e: Any) -> None:
        started = w.scalar(select(rehearsal_steps.c.started_at).where(self.step_key(e)))
        self.update_step(w, e, status="finished", finished_at=e.timestamp,
                         actual_seconds=actual_seconds(started, e.timestamp))
        self.touch(w, e)

    @handles(Rehearsal.StepSkipped)
    def step_skipped(self, w: Writer, e: Any) -> None:
        self.update_step(w, e, status="skipped", skip_reason=e.reason)
        self.touch(w, e)

    @handles(Rehearsal.ExecutionCompleted)
    def completed(self, w: Writer, e: Any) -> None:
        self.touch(w, e, status="completed", ended_at=e.timestamp)

    @handles(Rehearsal.Aborted)
    def aborted(self, w: Writer, e: Any) -> None:
        steps = rehearsal_steps.c
        rows = w.execute(select(steps.number, steps.status, steps.started_at).where(
            steps.rehearsal_id == str(e.originator_id))).all()
        cut = (e.aborted_steps if e.aborted_steps is not None
               else steps_cut_by_abort(r._mapping for r in rows))
        for number, _, started in rows:
            if number in cut:
                w.execute(update(rehearsal_steps).where(
                    steps.rehearsal_id == str(e.originator_id), steps.number == number).values(
                    status="aborted", finished_at=e.timestamp,
                    actual_seconds=actual_seconds(started, e.timestamp)))
        self.touch(w, e, status="aborted", ended_at=e.timestamp, abort_reason=e.reason)

    @handles(Rehearsal.IssueLogged)
    def issue_logged(self, w: Writer, e: Any) -> None:
        w.insert(rehearsal_issues, rehearsal_id=str(e.originator_id), issue=e.issue,
                 step=e.step, severity=e.severity, description=e.description,
                 resolution=e.resolution, logged_by=e.actor_id, logged_at=e.timestamp,
                 resolved_at=e.timestamp if e.resolution else None)
        self.touch(w, e)

    @handles(Rehearsal.IssueResolved)
    def issue_resolved(self, w: Writer, e: Any) -> None:
        w.execute(update(rehearsal_issues).where(
            rehearsal_issues.c.rehearsal_id == str(e.originator_id),
            rehearsal_issues.c.issue == e.issue).values(resolution=e.resolution,
                                                         resolved_at=e.timestamp))
        self.touch(w, e)

    @handles(Rehearsal.RollbackTested)
    def rollback_tested(self, w: Writer, e: Any) -> None:
        w.insert(rehearsal_rollbacks, rehearsal_id=str(e.originator_id),
                 version=e.originator_version, performed=e.performed, passed=e.passed,
                 duration_minutes=e.duration_minutes, notes=e.notes, tested_by=e.actor_id,
                 tested_at=e.timestamp)
        self.touch(w, e)

    @handles(Rehearsal.GoNoGoEvaluated)
    def evaluated(self, w: Writer, e: Any) -> None:
        w.insert(rehearsal_evaluations, rehearsal_id=str(e.originator_id),
                 evaluation=e.evaluation, criteria=plain(list(e.criteria)),
                 preflight=dict(e.preflight), rollback_passed=e.rollback_passed,
                 recommendation=e.recommendation, evaluated_by=e.actor_id,
                 evaluated_at=e.timestamp, decision=None, against_recommendation=None,
                 decided_by=None, decision_reason=None, decided_at=None)
        self.touch(w, e, recommendation=e.recommendation, decision=None,
                   against_recommendation=False)

    @handles(Rehearsal.DecisionRecorded)
    def decided(self, w: Writer, e: Any) -> None:
        w.execute(update(rehearsal_evaluations).where(
            rehearsal_evaluations.c.rehearsal_id == str(e.originator_id),
            rehearsal_evaluations.c.evaluation == e.evaluation).values(
            decision=e.decision, against_recommendation=e.against_recommendation,
            decided_by=e.decided_by, decision_reason=e.reason, decided_at=e.timestamp))
        self.touch(w, e, decision=e.decision, against_recommendation=e.against_recommendation)

    @handles(Rehearsal.LessonRecorded)
    def lesson(self, w: Writer, e: Any) -> None:
        self.note(w, e, "lesson")

    @handles(Rehearsal.ActionItemRecommended)
    def action_item(self, w: Writer, e: Any) -> None:
        self.note(w, e, "action_item", action_item_id=e.action_item_id)

    @handles(Rehearsal.RunbookAdjustmentProposed)
    def runbook_adjustment(self, w: Writer, e: Any) -> None:
        self.note(w, e, "runbook_revision", runbook_category=e.runbook_category,
                  runbook_name=e.runbook_name)

    # -- helpers --------------------------------------------------------------------------------

    def note(self, w: Writer, e: Any, kind: str, **extra: Any) -> None:
        """Record a lesson or a recommended adjustment."""
        w.insert(rehearsal_notes, **{"rehearsal_id": str(e.originator_id),
                                     "version": e.originator_version, "kind": kind,
                                     "text": e.text, "action_item_id": None,
                                     "runbook_category": None, "runbook_name": None,
                                     "recorded_by": e.actor_id, "recorded_at": e.timestamp,
                                     **extra})
        self.touch(w, e)

    @staticmethod
    def step_key(e: Any) -> Any:
        """The WHERE clause of the step an event names."""
        return and_(rehearsal_steps.c.rehearsal_id == str(e.originator_id),
                    rehearsal_steps.c.number == e.number)

    def update_step(self, w: Writer, e: Any, **values: Any) -> None:
        """Change one step's row."""
        w.execute(update(rehearsal_steps).where(self.step_key(e)).values(**values))

    @staticmethod
    def touch(w: Writer, e: Any, **values: Any) -> None:
        """Record the rehearsal's latest version (and any changed columns)."""
        w.update(rehearsals, str(e.originator_id), updated_at=e.timestamp,
                 version=e.originator_version, **values)
