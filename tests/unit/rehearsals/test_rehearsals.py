"""The rehearsal aggregate's rules, without a store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from domain.rehearsals.rehearsal import (
    AbortReasonRequired,
    AlreadyDecided,
    DecisionReasonRequired,
    NotEvaluated,
    ParityItemsRequired,
    ParityNeedsItems,
    PlaybookEmpty,
    PlaybookLocked,
    PreflightNotRecorded,
    Rehearsal,
    RehearsalClosed,
    RehearsalNotFinished,
    RollbackNotPerformed,
    SkipReasonRequired,
    StepNotPending,
    StepNotRunning,
    StepNotStarted,
    StepOutOfOrder,
    UnknownIssue,
    UnknownStep,
    actual_seconds,
    steps_cut_by_abort,
)

OWNER = "11111111-1111-1111-1111-111111111111"
GOOD = {"error_rate": Decimal("0.4"), "p95_latency_ms": Decimal("310"), "uptime": Decimal("99.95")}


def planned(steps: int = 3, preflight: bool = True) -> Rehearsal:
    """A planned rehearsal, with every pre-flight check recorded unless ``preflight`` is off
    (a step cannot start before them)."""
    r = Rehearsal.plan(release_version="2.4.0", environment="staging-eu",
                       playbook="Release runbook", planned_by=OWNER,
                       steps=[{"name": f"Step {i}", "planned_minutes": 10, "owner_id": OWNER}
                              for i in range(1, steps + 1)])
    if preflight:
        r.check_parity([{"name": "config", "expected": "a", "actual": "a"}])
        for kind in ("migration_dry_run", "backup_verification", "team_availability"):
            r.record_preflight(kind, True, "ok")
    return r


def passing_checks(r: Rehearsal) -> None:
    r.check_parity([{"name": "config", "expected": "a", "actual": "a"}])
    for kind in ("migration_dry_run", "backup_verification", "team_availability"):
        r.record_preflight(kind, True, "ok")
    r.record_rollback_test(True, True, 12, "restored the snapshot")


def completed(steps: int = 2) -> Rehearsal:
    r = planned(steps)
    for n in range(1, steps + 1):
        r.start_step(n)
        r.finish_step(n)
    return r


def new_events(r: Rehearsal) -> list[str]:
    return [type(e).__name__ for e in r.collect_events()]


class TestPlanning:
    def test_a_rehearsal_needs_steps(self) -> None:
        with pytest.raises(PlaybookEmpty):
            Rehearsal.plan(release_version="1", environment="s", playbook="p", planned_by=OWNER,
                           steps=[])

    def test_steps_are_numbered_in_order_and_defaults_are_the_guides(self) -> None:
        r = planned()

        assert [s["number"] for s in r.steps] == [1, 2, 3]
        assert r.parity_threshold == Decimal("90")
        assert [(c["key"], c["comparator"], c["threshold"]) for c in r.criteria] == [
            ("error_rate", "<", Decimal("2")), ("p95_latency_ms", "<", Decimal("500")),
            ("uptime", ">", Decimal("99"))]

    def test_steps_can_be_added_only_before_the_dry_run_starts(self) -> None:
        r = planned(1)
        r.add_step("Smoke tests", 5, OWNER)
        r.start_step(1)

        with pytest.raises(PlaybookLocked):
            r.add_step("Late", 5, OWNER)
        assert len(r.steps) == 2


class TestParityAndPreflight:
    def test_parity_of_exactly_ninety_percent_fails_the_preflight(self) -> None:
        r = planned(preflight=False)
        items = [{"name": f"i{n}", "expected": "x", "actual": "x" if n < 9 else "y"}
                 for n in range(10)]

        result = r.check_parity(items)

        assert result == {"matching": 9, "compared": 10, "passed": False}
        assert r.preflight["parity"] is False

    def test_a_rerun_counts_and_the_parity_preflight_needs_items(self) -> None:
        r = planned(preflight=False)
        r.record_preflight("backup_verification", False, "restore failed")
        r.record_preflight("backup_verification", True, "restore took 4 min")

        with pytest.raises(ParityNeedsItems):
            r.record_preflight("parity", True, "trust me")
        with pytest.raises(ParityItemsRequired):
            r.check_parity([])
        assert r.preflight == {"backup_verification": True}

    def test_a_step_cannot_start_before_every_preflight_check_is_recorded(self) -> None:
        r = planned(2, preflight=False)
        r.record_preflight("migration_dry_run", False, "migration 0141 failed")  # recorded
        r.collect_events()

        with pytest.raises(PreflightNotRecorded) as refused:
            r.start_step(1)
        assert refused.value.details["missing"] == ["backup_verification", "team_availability",
                                                    "parity"]
        assert new_events(r) == [] and r.steps[0]["status"] == "pending"

        r.check_parity([{"name": "config", "expected": "a", "actual": "a"}])
        r.record_preflight("backup_verification", True, "restored")
        r.record_preflight("team_availability", True, "all confirmed")
        r.start_step(1)
        assert r.steps[0]["status"] == "running" and r.preflight_override is None

    def test_an_override_with_a_reason_is_recorded_and_covers_the_dry_run(self) -> None:
        r = planned(2, preflight=False)
        with pytest.raises(PreflightNotRecorded):
            r.start_step(1, override_reason="  ")
        r.collect_events()

        r.start_step(1, override_reason="backup tooling is down; accepted by the release lead")
        r.finish_step(1)
        r.start_step(2)

        overridden, started = r.collect_events()[:2]
        assert isinstance(overridden, Rehearsal.PreflightOverridden)
        assert overridden.reason == "backup tooling is down; accepted by the release lead"
        assert overridden.missing == ["migration_dry_run", "backup_verification",
                                      "team_availability", "parity"]
        assert isinstance(started, Rehearsal.StepStarted)
        assert r.status == "in_progress"


class TestExecution:
    def test_steps_run_in_order_and_the_last_completes_the_dry_run(self) -> None:
        r = planned(2)
        r.collect_events()

        with pytest.raises(StepOutOfOrder):
            r.start_step(2)
        r.start_step(1)
        with pytest.raises(StepOutOfOrder):
            r.start_step(2)
        r.finish_step(1)
        r.start_step(2)
        r.finish_step(2)

        assert new_events(r) == ["StepStarted", "StepFinished", "StepStarted", "StepFinished",
                                 "ExecutionCompleted"]
        assert r.status == "completed"

    def test_skipping_needs_a_reason_and_a_pending_step(self) -> None:
        r = planned(2)
        r.start_step(1)

        with pytest.raises(SkipReasonRequired):
            r.skip_step(2, "  ")
        with pytest.raises(StepNotPending):
            r.skip_step(1, "too late")
        r.finish_step(1)
        r.skip_step(2, "not needed on staging")
        assert r.status == "completed"

    @pytest.mark.parametrize(("action", "error"), [
        (lambda r: r.finish_step(1), StepNotRunning),
        (lambda r: r.start_step(9), UnknownStep),
        (lambda r: r.log_issue(1, "minor", "x", None), StepNotStarted),
        (lambda r: r.resolve_issue(1, "done"), UnknownIssue),
        (lambda r: r.abort(""), AbortReasonRequired),
        (lambda r: r.record_rollback_test(False, True, None, ""), RollbackNotPerformed),
        (lambda r: r.evaluate(GOOD, []), RehearsalNotFinished),
        (lambda r: r.decide("go", OWNER, None), NotEvaluated),
    ])
    def test_refused_commands_raise_nothing_else(self, action: Any, error: type) -> None:
        r = planned()
        r.collect_events()

        with pytest.raises(error):
            action(r)
        assert new_events(r) == []

    def test_issues_are_numbered_and_resolved_later(self) -> None:
        r = planned()
        r.start_step(1)

        number = r.log_issue(1, "major", "migration lock timeout", None)
        r.resolve_issue(number, "raised lock_timeout to 30 s")

        assert r.issues == [{"issue": 1, "step": 1, "severity": "major",
                             "resolution": "raised lock_timeout to 30 s"}]

    def test_an_aborted_rehearsal_refuses_further_steps(self) -> None:
        r = planned()
        r.abort("staging database is down")

        with pytest.raises(RehearsalClosed):
            r.start_step(1)
        assert r.status == "aborted"


class TestGoNoGo:
    def test_everything_passing_recommends_go(self) -> None:
        r = completed()
        passing_checks(r)

        result = r.evaluate(GOOD, [])

        assert result["recommendation"] == "go"
        assert r.decide("go", OWNER, None) is False

    def test_a_missing_rollback_test_recommends_no_go(self) -> None:
        r = completed()
        r.check_parity([{"name": "config", "expected": "a", "actual": "a"}])

        assert r.evaluate(GOOD, [])["recommendation"] == "no_go"

    def test_a_decision_against_the_recommendation_needs_a_reason(self) -> None:
        r = completed()
        r.evaluate({**GOOD, "error_rate": Decimal("2.0")}, [])
        r.collect_events()

        with pytest.raises(DecisionReasonRequired):
            r.decide("go", OWNER, None)
        assert new_events(r) == []
        assert r.decide("go", OWNER, "launch is contractual; error budget accepted") is True

    def test_each_evaluation_gets_one_decision(self) -> None:
        r = completed()
        passing_checks(r)
        r.evaluate(GOOD, [])
        r.decide("go", OWNER, None)

        with pytest.raises(AlreadyDecided):
            r.decide("no_go", OWNER, "changed my mind")
        r.evaluate(GOOD, [{"name": "queue depth", "measured": Decimal("12"),
                           "comparator": "<=", "threshold": Decimal("10"), "unit": ""}])
        assert r.recommendation == "no_go"
        r.decide("no_go", OWNER, None)
        assert r.decision == "no_go"


class TestAbortAndDurations:
    def test_an_abort_stops_the_running_step_and_records_which(self) -> None:
        r = planned()
        r.start_step(1)
        r.collect_events()

        r.abort("staging database is down")

        aborted = r.collect_events()[-1]
        assert isinstance(aborted, Rehearsal.Aborted) and aborted.aborted_steps == [1]
        assert [s["status"] for s in r.steps][:2] == ["aborted", "pending"]

    def test_only_running_steps_are_cut_by_an_abort(self) -> None:
        steps = [{"number": 1, "status": "finished"}, {"number": 2, "status": "running"},
                 {"number": 3, "status": "pending"}, {"number": 4, "status": "skipped"}]

        assert steps_cut_by_abort(steps) == [2]

    def test_an_actual_duration_is_whole_seconds_truncated(self) -> None:
        start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

        assert actual_seconds(start, start + timedelta(minutes=7, microseconds=999_999)) == 420
