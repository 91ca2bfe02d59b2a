"""Release rehearsals: a dry run of a release on staging, from pre-flight checks to Go/No-Go.

A rehearsal is planned for a release version and a staging environment with an ordered
playbook of steps. Parity checks and pre-flight checks can be re-run (the latest counts, all are
kept); steps are started and finished in playbook order (their event times give the actual
durations), skipped with a reason, and issues are logged against them; the rollback test and the
post-deployment metrics feed a Go/No-Go recommendation, and a person records the decision.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import event

from domain.base import LedgerAggregate, command_context
from domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

PREFLIGHT_KINDS = ("migration_dry_run", "backup_verification", "team_availability", "parity")
PREFLIGHT_LABELS = {"migration_dry_run": "Database migration dry-run",
                    "backup_verification": "Backup verification",
                    "team_availability": "Team availability confirmed",
                    "parity": "Staging-to-production parity"}
SEVERITIES = ("critical", "major", "minor")
COMPARATORS = ("<", "<=", ">", ">=")
DECISIONS = ("go", "no_go")
STATUSES = ("planned", "in_progress", "completed", "aborted")
STEP_STATUSES = ("pending", "running", "finished", "skipped", "aborted")
STEP_DONE = ("finished", "skipped")
"""Step statuses that let the next step start; when every step has one, execution is complete."""
DEFAULT_PARITY_THRESHOLD = Decimal("90")
DEFAULT_CRITERIA: tuple[dict[str, Any], ...] = (
    {"key": "error_rate", "label": "Error rate", "comparator": "<", "threshold": Decimal("2"),
     "unit": "%"},
    {"key": "p95_latency_ms", "label": "p95 latency", "comparator": "<",
     "threshold": Decimal("500"), "unit": "ms"},
    {"key": "uptime", "label": "Uptime", "comparator": ">", "threshold": Decimal("99"),
     "unit": "%"},
)
"""The guide's Go/No-Go criteria: error rate < 2%, p95 latency < 500 ms, uptime > 99%."""


# -- arithmetic (pure, exact) ---------------------------------------------------------------------

def parity_fraction(matching: int, compared: int) -> Fraction:
    """Parity as an exact percentage: matching / compared × 100."""
    if compared <= 0:
        raise ValueError("parity needs at least one compared item")
    return Fraction(matching * 100, compared)


def as_percent(value: Fraction, places: int = 2) -> Decimal:
    """Show an exact percentage as a Decimal rounded half-up to ``places`` decimals."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def parity_passes(matching: int, compared: int,
                  threshold: Decimal = DEFAULT_PARITY_THRESHOLD) -> bool:
    """Parity is required to be strictly above the threshold (90.0% exactly fails)."""
    return parity_fraction(matching, compared) > Fraction(threshold)


def actual_seconds(started_at: datetime, ended_at: datetime) -> int:
    """A step's actual duration: from its start event to its finish (or the abort), in whole
    seconds (truncated)."""
    return int((ended_at - started_at).total_seconds())


def steps_cut_by_abort(steps: Iterable[Mapping[str, Any]]) -> list[int]:
    """The steps an abort stops (their status becomes ``aborted``): those running."""
    return [s["number"] for s in steps if s["status"] == "running"]


def variance_seconds(planned_minutes: int, actual_seconds: int) -> int:
    """Actual minus planned duration, in seconds (positive = overran the estimate)."""
    return actual_seconds - planned_minutes * 60


def variance_fraction(planned_minutes: int, actual_seconds: int) -> Fraction:
    """The variance as an exact percentage of the planned duration."""
    return Fraction(variance_seconds(planned_minutes, actual_seconds) * 100, planned_minutes * 60)


def estimate_accuracy(pairs: list[tuple[int, int]]) -> Fraction | None:
    """Estimate accuracy over (planned minutes, actual seconds) pairs: 100% minus the total
    absolute error as a share of the total plan, never below 0; None without timed steps."""
    planned = sum(p * 60 for p, _ in pairs)
    if not planned:
        return None
    error = sum(abs(variance_seconds(p, a)) for p, a in pairs)
    return max(Fraction(0), 100 - Fraction(error * 100, planned))


def criterion_passes(measured: Decimal, comparator: str, threshold: Decimal) -> bool:
    """Whether a measured value meets its criterion (strict comparators fail at the boundary)."""
    return {"<": measured < threshold, "<=": measured <= threshold,
            ">": measured > threshold, ">=": measured >= threshold}[comparator]


def evaluate_criteria(criteria: list[dict[str, Any]],
                      measured: dict[str, Decimal]) -> list[dict[str, Any]]:
    """Each criterion with its measured value and verdict (a missing measurement fails)."""
    results = []
    for c in criteria:
        value = measured.get(c["key"])
        passed = value is not None and criterion_passes(value, c["comparator"], c["threshold"])
        results.append({**c, "measured": value, "passed": passed})
    return results


def recommend(criteria: list[dict[str, Any]], preflight: dict[str, bool | None],
              rollback_passed: bool | None) -> str:
    """Go exactly when every criterion, every pre-flight check and the rollback test pass."""
    ok = (all(c["passed"] for c in criteria)
          and all(preflight.get(kind) is True for kind in PREFLIGHT_KINDS)
          and rollback_passed is True)
    return "go" if ok else "no_go"


BLOCKING_SEVERITIES = ("critical", "major")


def blocking_issues_criterion(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """While an issue of severity major or critical is unresolved the recommendation cannot be
    Go: a failing criterion naming them (none when there is no such issue)."""
    blocking = [i["issue"] for i in issues
                if i["severity"] in BLOCKING_SEVERITIES and not i.get("resolution")]
    if not blocking:
        return []
    return [{"key": "unresolved_blocking_issues",
             "label": "Unresolved major or critical issues (" +
                      ", ".join(f"#{n}" for n in blocking) + ")",
             "comparator": "<=", "threshold": Decimal(0), "unit": "",
             "measured": Decimal(len(blocking)), "passed": False}]


# -- the aggregate --------------------------------------------------------------------------------

class Rehearsal(LedgerAggregate):
    """A dry run of one release on one staging environment."""

    @event("Planned")
    def __init__(self, release_version: str, environment: str, playbook: str,
                 planned_by: str, steps: list[dict[str, Any]], parity_threshold: Decimal,
                 criteria: list[dict[str, Any]], source: dict[str, Any] | None = None) -> None:
        self.release_version = release_version
        self.source = source
        """Where the playbook came from, e.g. ``{"runbook_id", "revision", "title"}``."""
        self.environment = environment
        self.playbook = playbook
        self.planned_by = planned_by
        self.steps = [{**s, "number": i, "status": "pending", "issues": 0}
                      for i, s in enumerate(steps, start=1)]
        self.parity_threshold = parity_threshold
        self.criteria = [dict(c) for c in criteria]
        self.status = "planned"
        self.preflight: dict[str, bool] = {}
        self.preflight_override: str | None = None
        """The recorded reason for starting the dry run without every pre-flight check."""
        self.rollback_passed: bool | None = None
        self.issues: list[dict[str, Any]] = []
        self.evaluations = 0
        self.recommendation: str | None = None
        self.decided_evaluation = 0
        self.decision: str | None = None

    @classmethod
    def plan(cls, **fields: Any) -> Rehearsal:
        """Plan a rehearsal with the guide's thresholds unless others are given."""
        if not fields.get("steps"):
            raise PlaybookEmpty("a rehearsal needs at least one playbook step")
        fields.setdefault("parity_threshold", DEFAULT_PARITY_THRESHOLD)
        fields.setdefault("criteria", [dict(c) for c in DEFAULT_CRITERIA])
        fields["steps"] = [dict(s) for s in fields["steps"]]
        return cls(**fields)

    # -- playbook -----------------------------------------------------------------------------

    def add_step(self, name: str, planned_minutes: int, owner_id: str) -> None:
        """Append a step to the playbook (only before the dry run starts)."""
        if self.status != "planned":
            raise PlaybookLocked("steps can only be added before the first step starts",
                                 rehearsal_id=str(self.id), status=self.status)
        self._add_step(name=name, planned_minutes=planned_minutes, owner_id=owner_id)

    @event("StepAdded")
    def _add_step(self, name: str, planned_minutes: int, owner_id: str) -> None:
        self.steps.append({"name": name, "planned_minutes": planned_minutes,
                           "owner_id": owner_id, "number": len(self.steps) + 1,
                           "status": "pending", "issues": 0})

    # -- parity and pre-flight ---------------------------------------------------------------

    def check_parity(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Record a parity check; it is also the parity pre-flight check (> threshold passes).

        Checks can be re-run until the rehearsal is aborted, also after the dry run so that a
        fixed problem can be re-evaluated."""
        self.check_not_aborted()
        if not items:
            raise ParityItemsRequired("a parity check compares at least one item",
                                      rehearsal_id=str(self.id))
        compared = [{**i, "matches": str(i["expected"]) == str(i["actual"])} for i in items]
        matching = sum(1 for i in compared if i["matches"])
        percent = parity_fraction(matching, len(compared))
        passed = percent > Fraction(self.parity_threshold)
        self._check_parity(items=compared, matching=matching, compared=len(compared),
                           percent=as_percent(percent), passed=passed)
        return {"matching": matching, "compared": len(compared), "passed": passed}

    @event("ParityChecked")
    def _check_parity(self, items: list[dict[str, Any]], matching: int, compared: int,
                      percent: Decimal, passed: bool) -> None:
        self.preflight = {**self.preflight, "parity": passed}

    def record_preflight(self, kind: str, passed: bool, evidence: str) -> None:
        """Record the result of a pre-flight check (re-runs are kept; the latest counts)."""
        self.check_not_aborted()
        if kind == "parity":
            raise ParityNeedsItems("the parity pre-flight check is recorded as a parity check "
                                   "with its compared items", rehearsal_id=str(self.id))
        self._record_preflight(kind=kind, passed=passed, evidence=evidence)

    @event("PreflightChecked")
    def _record_preflight(self, kind: str, passed: bool, evidence: str) -> None:
        self.preflight = {**self.preflight, kind: passed}

    # -- execution ----------------------------------------------------------------------------

    def missing_preflight(self) -> list[str]:
        """The pre-flight checks with no recorded result yet."""
        return [kind for kind in PREFLIGHT_KINDS if kind not in self.preflight]

    def start_step(self, number: int, override_reason: str | None = None) -> None:
        """Start a step: the previous ones must be finished or skipped and none running, and
        every pre-flight check recorded — or the dry run starts with an explicit override,
        recorded with its reason (``PreflightOverridden``)."""
        step = self.step(number)
        self.check_open()
        if step["status"] != "pending":
            raise StepNotPending(f"step {number} is {step['status']}", step=number,
                                 rehearsal_id=str(self.id))
        blocking = [s["number"] for s in self.steps[:number - 1]
                    if s["status"] in ("pending", "running")]
        if blocking:
            raise StepOutOfOrder(f"step {number} cannot start before step {blocking[0]} is "
                                 "finished or skipped", step=number, waiting_for=blocking[0],
                                 rehearsal_id=str(self.id))
        missing = self.missing_preflight()
        if missing and self.preflight_override is None:
            if not (override_reason or "").strip():
                raise PreflightNotRecorded(
                    f"step {number} cannot start before the pre-flight checks are recorded "
                    f"(missing: {', '.join(missing)}); record them or give a reason to override",
                    step=number, missing=missing, rehearsal_id=str(self.id))
            self._override_preflight(reason=str(override_reason).strip(), missing=missing)
        self._start_step(number=number)

    @event("PreflightOverridden")
    def _override_preflight(self, reason: str, missing: list[str]) -> None:
        self.preflight_override = reason

    @event("StepStarted")
    def _start_step(self, number: int) -> None:
        self.steps[number - 1] = {**self.steps[number - 1], "status": "running"}
        self.status = "in_progress"

    def finish_step(self, number: int) -> None:
        """Finish a running step; the last one completes the rehearsal's execution."""
        step = self.step(number)
        self.check_open()
        if step["status"] != "running":
            raise StepNotRunning(f"step {number} is {step['status']}, not running",
                                 step=number, rehearsal_id=str(self.id))
        self._finish_step(number=number)
        self._complete_if_done()

    @event("StepFinished")
    def _finish_step(self, number: int) -> None:
        self.steps[number - 1] = {**self.steps[number - 1], "status": "finished"}

    def skip_step(self, number: int, reason: str | None) -> None:
        """Skip a step that has not started; a reason is required."""
        step = self.step(number)
        self.check_open()
        if not (reason or "").strip():
            raise SkipReasonRequired("skipping a step needs a reason", step=number,
                                     rehearsal_id=str(self.id))
        if step["status"] != "pending":
            raise StepNotPending(f"step {number} is {step['status']}", step=number,
                                 rehearsal_id=str(self.id))
        with command_context(reason=reason):
            self._skip_step(number=number)
        self._complete_if_done()

    @event("StepSkipped")
    def _skip_step(self, number: int) -> None:
        self.steps[number - 1] = {**self.steps[number - 1], "status": "skipped"}

    def _complete_if_done(self) -> None:
        if all(s["status"] in STEP_DONE for s in self.steps):
            self._complete()

    @event("ExecutionCompleted")
    def _complete(self) -> None:
        self.status = "completed"

    def abort(self, reason: str | None) -> None:
        """Abort the dry run (before it completes); a reason is required. A running step stops
        with it (its status becomes ``aborted``)."""
        self.check_open()
        if not (reason or "").strip():
            raise AbortReasonRequired("aborting a rehearsal needs a reason",
                                      rehearsal_id=str(self.id))
        with command_context(reason=reason):
            self._abort(aborted_steps=steps_cut_by_abort(self.steps))

    class Aborted(LedgerAggregate.Event):
        """The dry run was aborted; ``aborted_steps`` are the numbers of the steps it stopped.
        Events stored by release 0.1 lack the list (None)."""

        aborted_steps: list[int] | None = None

    @event(Aborted)
    def _abort(self, aborted_steps: list[int] | None = None) -> None:
        if aborted_steps is None:  # recorded by release 0.1: the same rule, applied now
            aborted_steps = steps_cut_by_abort(self.steps)
        self.status = "aborted"
        self.steps = [{**s, "status": "aborted"} if s["number"] in aborted_steps else s
                      for s in self.steps]

    def log_issue(self, number: int, severity: str, description: str,
                  resolution: str | None) -> int:
        """Log an issue against a step that has started; returns the issue's number."""
        step = self.step(number)
        if step["status"] == "pending":
            raise StepNotStarted(f"step {number} has not started", step=number,
                                 rehearsal_id=str(self.id))
        self._log_issue(issue=len(self.issues) + 1, step=number, severity=severity,
                        description=description, resolution=resolution or None)
        return len(self.issues)

    @event("IssueLogged")
    def _log_issue(self, issue: int, step: int, severity: str, description: str,
                   resolution: str | None) -> None:
        self.issues = [*self.issues, {"issue": issue, "step": step, "severity": severity,
                                      "resolution": resolution}]

    def resolve_issue(self, issue: int, resolution: str) -> None:
        """Record how an issue was resolved (a later resolution supersedes an earlier one)."""
        if not 1 <= issue <= len(self.issues):
            raise UnknownIssue(f"no issue {issue} on this rehearsal", issue=issue,
                               rehearsal_id=str(self.id))
        self._resolve_issue(issue=issue, resolution=resolution)

    @event("IssueResolved")
    def _resolve_issue(self, issue: int, resolution: str) -> None:
        self.issues[issue - 1] = {**self.issues[issue - 1], "resolution": resolution}

    # -- rollback and Go/No-Go ---------------------------------------------------------------

    def record_rollback_test(self, performed: bool, passed: bool, duration_minutes: int | None,
                             notes: str) -> None:
        """Record the rollback test (a re-test supersedes the earlier result)."""
        self.check_not_aborted()
        if passed and not performed:
            raise RollbackNotPerformed("a rollback test that was not performed cannot pass",
                                       rehearsal_id=str(self.id))
        self._record_rollback(performed=performed, passed=passed,
                              duration_minutes=duration_minutes, notes=notes)

    @event("RollbackTested")
    def _record_rollback(self, performed: bool, passed: bool, duration_minutes: int | None,
                         notes: str) -> None:
        self.rollback_passed = passed

    def evaluate(self, measured: dict[str, Decimal],
                 extra: list[dict[str, Any]]) -> dict[str, Any]:
        """Record the measured metrics and the recommendation they give with the checks."""
        self.check_finished()
        criteria = evaluate_criteria(self.criteria, measured) + [
            {"key": c["name"], "label": c["name"], "comparator": c["comparator"],
             "threshold": c["threshold"], "unit": c.get("unit", ""), "measured": c["measured"],
             "passed": criterion_passes(c["measured"], c["comparator"], c["threshold"])}
            for c in extra]
        criteria += blocking_issues_criterion(self.issues)
        preflight = {k: self.preflight.get(k) for k in PREFLIGHT_KINDS}
        recommendation = recommend(criteria, preflight, self.rollback_passed)
        self._evaluate(evaluation=self.evaluations + 1, criteria=criteria,
                       preflight=preflight, rollback_passed=self.rollback_passed,
                       recommendation=recommendation)
        return {"evaluation": self.evaluations, "recommendation": recommendation,
                "criteria": criteria}

    @event("GoNoGoEvaluated")
    def _evaluate(self, evaluation: int, criteria: list[dict[str, Any]],
                  preflight: dict[str, bool | None], rollback_passed: bool | None,
                  recommendation: str) -> None:
        self.evaluations = evaluation
        self.recommendation = recommendation

    def decide(self, decision: str, decided_by: str, reason: str | None) -> bool:
        """Record the Go/No-Go decision on the latest evaluation; returns whether it goes
        against the recommendation (which needs a reason)."""
        if not self.evaluations:
            raise NotEvaluated("evaluate the Go/No-Go criteria before deciding",
                               rehearsal_id=str(self.id))
        if self.decided_evaluation == self.evaluations:
            raise AlreadyDecided("the latest evaluation is already decided; re-evaluate first",
                                 rehearsal_id=str(self.id), evaluation=self.evaluations)
        against = decision != self.recommendation
        if against and not (reason or "").strip():
            raise DecisionReasonRequired(
                f"deciding {decision} against the {self.recommendation} recommendation needs a "
                "reason", rehearsal_id=str(self.id), recommendation=self.recommendation,
                decision=decision)
        with command_context(reason=reason or None):
            self._decide(evaluation=self.evaluations, decision=decision,
                         recommendation=self.recommendation, decided_by=decided_by,
                         against_recommendation=against)
        return against

    @event("DecisionRecorded")
    def _decide(self, evaluation: int, decision: str, recommendation: str, decided_by: str,
                against_recommendation: bool) -> None:
        self.decided_evaluation = evaluation
        self.decision = decision

    # -- lessons and runbook adjustments -----------------------------------------------------

    @event("LessonRecorded")
    def record_lesson(self, text: str) -> None:
        """Record a lesson learned."""

    @event("ActionItemRecommended")
    def recommend_action_item(self, action_item_id: str, text: str) -> None:
        """Record a runbook adjustment that became an action item."""

    @event("RunbookAdjustmentProposed")
    def propose_runbook_adjustment(self, runbook_category: str, runbook_name: str,
                                   text: str) -> None:
        """Record a proposed revision of a runbook (wired to runbook revisions by the lead)."""

    # -- guards -------------------------------------------------------------------------------

    def step(self, number: int) -> dict[str, Any]:
        """Return playbook step ``number`` (1-based) or refuse an unknown one."""
        if not 1 <= number <= len(self.steps):
            raise UnknownStep(f"no step {number} in this playbook", step=number,
                              rehearsal_id=str(self.id))
        return self.steps[number - 1]

    def check_open(self) -> None:
        """Refuse changes to the dry run once it is completed or aborted."""
        if self.status in ("completed", "aborted"):
            raise RehearsalClosed(f"this rehearsal is {self.status}", rehearsal_id=str(self.id),
                                  status=self.status)

    def check_not_aborted(self) -> None:
        """Refuse checks and tests on an aborted rehearsal."""
        if self.status == "aborted":
            raise RehearsalClosed("this rehearsal was aborted", rehearsal_id=str(self.id),
                                  status=self.status)

    def check_finished(self) -> None:
        """Refuse a Go/No-Go evaluation before every step is finished or skipped (or aborted)."""
        if self.status not in ("completed", "aborted"):
            raise RehearsalNotFinished("the Go/No-Go is evaluated after the dry run completes "
                                       "or is aborted", rehearsal_id=str(self.id),
                                       status=self.status)


class PlaybookEmpty(DomainError):
    """Raised when a rehearsal is planned without playbook steps."""

    code = "playbook_empty"


class PlaybookLocked(DomainError):
    """Raised when a step is added after the dry run started."""

    code = "playbook_locked"


class ParityItemsRequired(DomainError):
    """Raised when a parity check compares nothing."""

    code = "parity_items_required"


class ParityNeedsItems(DomainError):
    """Raised when the parity pre-flight is recorded without its compared items."""

    code = "parity_check_needs_items"


class UnknownStep(DomainError):
    """Raised when a step number is not in the playbook."""

    code = "unknown_step"


class StepNotPending(DomainError):
    """Raised when starting or skipping a step that already started, finished or was skipped."""

    code = "step_not_pending"


class StepOutOfOrder(DomainError):
    """Raised when a step starts before the earlier steps are finished or skipped."""

    code = "step_out_of_order"


class PreflightNotRecorded(DomainError):
    """Raised when a step starts before every pre-flight check is recorded, without an
    override reason."""

    code = "preflight_not_recorded"


class StepNotRunning(DomainError):
    """Raised when finishing a step that is not running."""

    code = "step_not_running"


class StepNotStarted(DomainError):
    """Raised when logging an issue against a step that has not started."""

    code = "step_not_started"


class SkipReasonRequired(DomainError):
    """Raised when a step is skipped without a reason."""

    code = "skip_reason_required"


class AbortReasonRequired(DomainError):
    """Raised when a rehearsal is aborted without a reason."""

    code = "abort_reason_required"


class RehearsalClosed(DomainError):
    """Raised when the dry run is changed after it completed or was aborted."""

    code = "rehearsal_closed"


class UnknownIssue(DomainError):
    """Raised when resolving an issue number the rehearsal does not have."""

    code = "unknown_issue"


class RollbackNotPerformed(DomainError):
    """Raised when a rollback test is marked passed without being performed."""

    code = "rollback_not_performed"


class RehearsalNotFinished(DomainError):
    """Raised when the Go/No-Go is evaluated while steps are still pending or running."""

    code = "rehearsal_not_finished"


class NotEvaluated(DomainError):
    """Raised when a decision is recorded before any Go/No-Go evaluation."""

    code = "go_no_go_not_evaluated"


class AlreadyDecided(DomainError):
    """Raised when the latest evaluation already has a decision."""

    code = "evaluation_already_decided"


class DecisionReasonRequired(DomainError):
    """Raised when a decision goes against the recommendation without a reason."""

    code = "decision_against_recommendation_needs_reason"
