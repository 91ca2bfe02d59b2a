"""Stateful property test: a rehearsal's dry run always agrees with a simple model of it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.errors import DomainError
from domain.rehearsals.rehearsal import Rehearsal

OWNER = "11111111-1111-1111-1111-111111111111"
GOOD = {"error_rate": Decimal("1"), "p95_latency_ms": Decimal("100"), "uptime": Decimal("100")}


class RehearsalMachine(RuleBasedStateMachine):
    """Starts, finishes and skips random steps, aborts and decides; a refused command must
    raise a DomainError and record no event, an accepted one must match the model."""

    def __init__(self) -> None:
        super().__init__()
        self.steps = 4
        self.r = Rehearsal.plan(release_version="1.0", environment="staging", playbook="p",
                                planned_by=OWNER,
                                steps=[{"name": f"s{i}", "planned_minutes": 5,
                                        "owner_id": OWNER} for i in range(self.steps)])
        self.r.collect_events()
        self.model = ["pending"] * self.steps
        self.aborted = self.started = False
        self.preflight_ready = False  # every check recorded, or the override recorded
        self.evaluated = self.decided = 0

    @property
    def done(self) -> bool:
        return all(s in ("finished", "skipped") for s in self.model)

    def attempt(self, allowed: bool, action: object) -> bool:
        """Run ``action``; it must succeed exactly when the model allows it."""
        try:
            action()  # type: ignore[operator]
        except DomainError:
            assert not allowed, "the model allowed a refused command"
            assert self.r.collect_events() == []
            return False
        assert allowed, "the model refused an accepted command"
        return True

    def open(self) -> bool:
        return not self.aborted and not self.done

    @rule()
    def record_preflight(self) -> None:
        if self.aborted:
            return
        self.r.check_parity([{"name": "config", "expected": "a", "actual": "a"}])
        for kind in ("migration_dry_run", "backup_verification", "team_availability"):
            self.r.record_preflight(kind, True, "ok")
        self.r.collect_events()
        self.preflight_ready = True

    @rule(n=st.integers(1, 4), override=st.sampled_from([None, "", "checks tooling down"]))
    def start(self, n: int, override: str | None) -> None:
        earlier_done = all(s in ("finished", "skipped") for s in self.model[:n - 1])
        allowed = (self.open() and self.model[n - 1] == "pending" and earlier_done
                   and (self.preflight_ready or bool(override)))
        if self.attempt(allowed, lambda: self.r.start_step(n, override_reason=override)):
            self.model[n - 1] = "running"
            self.started = self.preflight_ready = True

    @rule(n=st.integers(1, 4))
    def finish(self, n: int) -> None:
        allowed = self.model[n - 1] == "running" and not self.aborted
        if self.attempt(allowed, lambda: self.r.finish_step(n)):
            self.model[n - 1] = "finished"

    @rule(n=st.integers(1, 4), reason=st.sampled_from(["", "  ", "not needed on staging"]))
    def skip(self, n: int, reason: str) -> None:
        allowed = self.open() and bool(reason.strip()) and self.model[n - 1] == "pending"
        if self.attempt(allowed, lambda: self.r.skip_step(n, reason)):
            self.model[n - 1] = "skipped"

    @rule(reason=st.sampled_from(["", "staging is down"]))
    def abort(self, reason: str) -> None:
        if self.attempt(self.open() and bool(reason), lambda: self.r.abort(reason)):
            self.aborted = True
            self.model = ["aborted" if s == "running" else s for s in self.model]

    @rule()
    def evaluate(self) -> None:
        if self.attempt(self.aborted or self.done, lambda: self.r.evaluate(GOOD, [])):
            self.evaluated += 1

    @precondition(lambda self: self.evaluated > 0)
    @rule(decision=st.sampled_from(["go", "no_go"]), reason=st.sampled_from([None, "why"]))
    def decide(self, decision: str, reason: str | None) -> None:
        against = decision != "no_go"  # never a passing pre-flight here: always No-Go
        allowed = self.decided < self.evaluated and (reason is not None or not against)
        if self.attempt(allowed, lambda: self.r.decide(decision, OWNER, reason)):
            self.decided = self.evaluated

    @invariant()
    def agrees_with_the_model(self) -> None:
        self.r.collect_events()
        assert [s["status"] for s in self.r.steps] == self.model
        expected = ("aborted" if self.aborted else "completed" if self.done else
                    "in_progress" if self.started else "planned")
        assert self.r.status == expected
        assert sum(s == "running" for s in self.model) <= 1


TestRehearsalMachine = RehearsalMachine.TestCase
