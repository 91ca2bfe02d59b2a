"""Release rehearsal commands: plan, check, run, test the rollback, evaluate, decide, learn."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from app.ledger import SYSTEM_ACTOR
from domain.base import current_context
from domain.errors import NotFound
from domain.oncall.runbook import Runbook
from domain.people.person import Person
from domain.rehearsals.rehearsal import Rehearsal

if TYPE_CHECKING:
    from app.ledger import Ledger
    from app.reviews.action_items import ActionItemService


class RehearsalService:
    """Use cases of a release rehearsal."""

    def __init__(self, ledger: Ledger, actions: ActionItemService) -> None:
        self.ledger = ledger
        self.actions = actions

    def plan_rehearsal(self, release_version: str, environment: str, playbook: str,
                       steps: list[dict[str, Any]],
                       source: dict[str, Any] | None = None) -> dict[str, Any]:
        """Plan a rehearsal with its ordered playbook (each step's owner must exist); ``source``
        records the runbook revision the steps were taken from, if any."""
        actor = self.ledger.writer()
        for step in steps:
            self.ledger.load(Person, step["owner_id"])
        rehearsal = Rehearsal.plan(
            release_version=release_version, environment=environment, playbook=playbook,
            planned_by=str(actor.id) if actor is not None else SYSTEM_ACTOR,
            steps=[{"name": s["name"], "planned_minutes": int(s["planned_minutes"]),
                    "owner_id": str(s["owner_id"])} for s in steps],
            **({"source": dict(source)} if source else {}))
        self.ledger.save(rehearsal)
        return self._summary(rehearsal)

    def add_rehearsal_step(self, rehearsal_id: UUID | str, name: str, planned_minutes: int,
                           owner_id: str) -> dict[str, Any]:
        """Append a step to a rehearsal's playbook before the dry run starts."""
        self.ledger.writer()
        self.ledger.load(Person, owner_id)
        return self._run(rehearsal_id, "add_step", name=name, planned_minutes=planned_minutes,
                         owner_id=str(owner_id))

    def check_rehearsal_parity(self, rehearsal_id: UUID | str,
                               items: list[dict[str, Any]]) -> dict[str, Any]:
        """Record a parity check (the parity pre-flight check)."""
        self.ledger.writer()
        return self._run(rehearsal_id, "check_parity", items=items)

    def record_rehearsal_preflight(self, rehearsal_id: UUID | str, kind: str, passed: bool,
                                   evidence: str) -> dict[str, Any]:
        """Record (or re-run) a pre-flight check with its evidence."""
        self.ledger.writer()
        return self._run(rehearsal_id, "record_preflight", kind=kind, passed=passed,
                         evidence=evidence)

    def start_rehearsal_step(self, rehearsal_id: UUID | str, number: int) -> dict[str, Any]:
        """Start the next step; the clock gives its start time. Before every pre-flight check
        is recorded, the command context's reason is the recorded override."""
        self.ledger.writer()
        return self._run(rehearsal_id, "start_step", number=number,
                         override_reason=current_context().reason)

    def finish_rehearsal_step(self, rehearsal_id: UUID | str, number: int) -> dict[str, Any]:
        """Finish the running step; the clock gives its actual duration."""
        self.ledger.writer()
        return self._run(rehearsal_id, "finish_step", number=number)

    def skip_rehearsal_step(self, rehearsal_id: UUID | str, number: int) -> dict[str, Any]:
        """Skip a pending step; the command context's reason is required."""
        self.ledger.writer()
        return self._run(rehearsal_id, "skip_step", number=number,
                         reason=current_context().reason)

    def abort_rehearsal(self, rehearsal_id: UUID | str) -> dict[str, Any]:
        """Abort the dry run; the command context's reason is required."""
        self.ledger.writer()
        return self._run(rehearsal_id, "abort", reason=current_context().reason)

    def log_rehearsal_issue(self, rehearsal_id: UUID | str, step: int, severity: str,
                            description: str, resolution: str | None = None) -> dict[str, Any]:
        """Log an issue against a step that has started."""
        self.ledger.writer()
        return self._run(rehearsal_id, "log_issue", number=step, severity=severity,
                         description=description, resolution=resolution)

    def resolve_rehearsal_issue(self, rehearsal_id: UUID | str, issue: int,
                                resolution: str) -> dict[str, Any]:
        """Record how an issue was resolved."""
        self.ledger.writer()
        return self._run(rehearsal_id, "resolve_issue", issue=issue, resolution=resolution)

    def record_rollback_test(self, rehearsal_id: UUID | str, performed: bool, passed: bool,
                             duration_minutes: int | None = None,
                             notes: str = "") -> dict[str, Any]:
        """Record the rollback test's result."""
        self.ledger.writer()
        return self._run(rehearsal_id, "record_rollback_test", performed=performed,
                         passed=passed, duration_minutes=duration_minutes, notes=notes)

    def evaluate_rehearsal(self, rehearsal_id: UUID | str, error_rate: Decimal,
                           p95_latency_ms: Decimal, uptime: Decimal,
                           extra_criteria: list[dict[str, Any]] | None = None,
                           ) -> dict[str, Any]:
        """Record measured metrics and compute the Go/No-Go recommendation."""
        self.ledger.writer()
        measured = {"error_rate": error_rate, "p95_latency_ms": p95_latency_ms,
                    "uptime": uptime}
        return self._run(rehearsal_id, "evaluate", measured=measured,
                         extra=list(extra_criteria or []))

    def decide_rehearsal(self, rehearsal_id: UUID | str, decision: str) -> dict[str, Any]:
        """Record the Go/No-Go decision; against the recommendation it needs a reason."""
        self.ledger.writer()
        rehearsal = self.ledger.load(Rehearsal, rehearsal_id)
        against = rehearsal.decide(decision, decided_by=current_context().actor_id,
                                   reason=current_context().reason)
        self.ledger.save(rehearsal)
        return {**self._summary(rehearsal), "against_recommendation": against}

    def record_rehearsal_lesson(self, rehearsal_id: UUID | str, text: str) -> dict[str, Any]:
        """Record a lesson learned."""
        self.ledger.writer()
        return self._run(rehearsal_id, "record_lesson", text=text)

    def recommend_rehearsal_adjustment(self, rehearsal_id: UUID | str, kind: str, text: str,
                                       owner_id: str | None = None, priority: str = "P2",
                                       runbook_category: str | None = None,
                                       runbook_name: str | None = None) -> dict[str, Any]:
        """Turn a recommended runbook adjustment into an action item (saved together with the
        rehearsal) or a runbook revision proposal recorded on the rehearsal."""
        self.ledger.writer()
        rehearsal = self.ledger.load(Rehearsal, rehearsal_id)
        if kind == "action_item":
            item = self.actions.raise_action_item(
                title=text[:200], description=text, owner_id=str(owner_id), priority=priority,
                source_type="rehearsal", source_id=str(rehearsal.id), save=False)
            rehearsal.recommend_action_item(action_item_id=str(item.id), text=text)
            self.ledger.save(rehearsal, item)
            return {**self._summary(rehearsal), "action_item_id": str(item.id)}
        rehearsal.propose_runbook_adjustment(runbook_category=str(runbook_category),
                                             runbook_name=str(runbook_name), text=text)
        runbook = self._category_runbook(str(runbook_category))
        if runbook is None:
            self.ledger.save(rehearsal)
            return self._summary(rehearsal)
        runbook.revise(
            f"{runbook.revisions[-1].rstrip()}\n\n## Adjustment from the {rehearsal.release_version}"
            f" rehearsal\n\n{text.strip()}\n",
            summary=f"From rehearsal of {rehearsal.release_version}: {text.strip()[:120]}",
            source_type="rehearsal", source_id=str(rehearsal.id))
        self.ledger.save(rehearsal, runbook)
        return {**self._summary(rehearsal), "runbook_id": str(runbook.id),
                "runbook_revision": runbook.revision}

    def _category_runbook(self, category: str) -> Runbook | None:
        """The runbook of an incident category, if one exists (revised from rehearsals)."""
        try:
            return self.ledger.load(Runbook, Runbook.create_id(category))
        except NotFound:
            return None

    # -- helpers --------------------------------------------------------------------------------

    def _run(self, rehearsal_id: UUID | str, command: str, **kwargs: Any) -> dict[str, Any]:
        """Load, run one aggregate command and save; on a concurrent write (two people pressing
        Start at once) reload and run it again, so the rules judge the latest state."""
        for attempt in range(3):
            rehearsal = self.ledger.load(Rehearsal, rehearsal_id)
            result = getattr(rehearsal, command)(**kwargs)
            try:
                self.ledger.save(rehearsal)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        summary = self._summary(rehearsal)
        if isinstance(result, dict):
            summary.update(result)
        elif isinstance(result, int) and not isinstance(result, bool):
            summary["issue"] = result
        return summary

    @staticmethod
    def _summary(rehearsal: Rehearsal) -> dict[str, Any]:
        return {"id": str(rehearsal.id), "status": rehearsal.status,
                "decision": rehearsal.decision, "version": rehearsal.version}
