"""Demo rehearsals: two dry runs of the same playbook, the second with a No-Go followed by a Go.

* 2.3.0 ran on day 5 of the demo story (about 25 days ago): everything passed, Go, but the estimates were poor; its lessons
  raised the estimates of the playbook.
* 2.4.0 ran on day 26 (four days ago) with the better estimates (so the History tab shows estimate accuracy
  improving). Parity was exactly 90% (a failure) and the rollback test failed, so the first
  evaluation recommended No-Go and the team decided No-Go. They fixed staging's replica count
  and added the missing down-migration, re-ran parity and the rollback test, and re-evaluated
  the same rehearsal: Go, decided Go. A re-evaluation rather than a second dry run, because
  neither fix touched the deployment steps themselves; both evaluations and decisions stay on
  the record and in the report.

Both are scenes of the demo story (:mod:`app.demo_timeline`); its clock moves through the
steps, so actual step durations are realistic.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.bootstrap import Services
    from app.demo_timeline import DemoClock, Story

PLAYBOOK = [("Announce the window and freeze merges", "erin"),
            ("Take a pre-release database snapshot", "erin"),
            ("Run database migrations", "alice"),
            ("Deploy the API canary", "alice"),
            ("Switch traffic to the new version", "erin"),
            ("Post-deployment smoke tests", "dave")]
PARITY = [("service config (env vars)", "42 keys", "42 keys"), ("secrets present", "17", "17"),
          ("database engine", "PostgreSQL 16.2", "PostgreSQL 16.2"),
          ("replicas per service", "3", "2"), ("schema version", "0140", "0140"),
          ("feature flags", "28", "28"), ("CDN rules", "12", "12"),
          ("queue workers", "6", "6"), ("TLS certificates", "valid", "valid"),
          ("log shipping", "enabled", "enabled")]
PREFLIGHT = [("migration_dry_run", "141 migrations applied to the anonymised clone in 3m 10s"),
             ("backup_verification", "restored last night's snapshot to a scratch instance"),
             ("team_availability", "6 of 6 confirmed in #release")]


def load_rehearsals(story: Story) -> None:
    """Two rehearsals of the release runbook (see the module docstring)."""
    services, ids, clock = story.services, story.ids, story.clock
    story.add(story.day(5, 9), lambda: _first(services, ids, clock))
    story.add(story.day(26, 9), lambda: _second(services, ids, clock))


def _plan(services: Services, ids: dict[str, str], version: str, minutes: list[int]) -> str:
    return services.rehearsals.plan_rehearsal(
        release_version=version, environment="staging-eu", playbook="Release runbook",
        steps=[{"name": name, "planned_minutes": m, "owner_id": ids[who]}
               for (name, who), m in zip(PLAYBOOK, minutes)])["id"]


def _checks(services: Services, rid: str, parity: list[tuple[str, str, str]]) -> None:
    services.rehearsals.check_rehearsal_parity(rid, [{"name": n, "expected": e, "actual": a}
                                        for n, e, a in parity])
    for kind, evidence in PREFLIGHT:
        services.rehearsals.record_rehearsal_preflight(rid, kind, True, evidence)


def _run(services: Services, rid: str, clock: DemoClock, actual: list[float],
         issue: dict[str, Any] | None = None) -> None:
    for number, minutes in enumerate(actual, start=1):
        services.rehearsals.start_rehearsal_step(rid, number)  # after _checks: pre-flight recorded
        clock.advance(minutes)
        if issue and issue["step"] == number:
            services.rehearsals.log_rehearsal_issue(rid, **issue)
        services.rehearsals.finish_rehearsal_step(rid, number)
        clock.advance(1)  # hand-over to the next step


def _first(services: Services, ids: dict[str, str], clock: DemoClock) -> None:
    with services.ledger.acting_as(ids["alice"], reason="demo data"):
        rid = _plan(services, ids, "2.3.0", [10, 10, 20, 15, 10, 15])
        _checks(services, rid, [(n, e, e) for n, e, _ in PARITY])
        _run(services, rid, clock, [14, 16, 31, 19, 12.5, 22])
        services.rehearsals.record_rollback_test(rid, True, True, 18, "Redeployed 2.2.4 and restored "
                                                         "the snapshot")
        services.rehearsals.evaluate_rehearsal(rid, Decimal("0.9"), Decimal("380"), Decimal("99.92"))
    with services.ledger.acting_as(ids["carol"]):
        services.rehearsals.decide_rehearsal(rid, "go")
    with services.ledger.acting_as(ids["alice"], reason="demo data"):
        services.rehearsals.record_rehearsal_lesson(rid, "Migrations take about 50% longer on "
                                            "production-size data than on the dev database")
        services.rehearsals.recommend_rehearsal_adjustment(
            rid, "runbook_revision", "Raise the migration estimate to 30 minutes and the "
            "smoke tests to 20 minutes", runbook_category="deployment",
            runbook_name="Release runbook")


def _second(services: Services, ids: dict[str, str], clock: DemoClock) -> None:
    with services.ledger.acting_as(ids["alice"], reason="demo data"):
        rid = _plan(services, ids, "2.4.0", [12, 15, 30, 18, 10, 20])
        _checks(services, rid, PARITY)
        _run(services, rid, clock, [12, 16, 33, 17, 10, 21], issue={
            "step": 3, "severity": "major",
            "description": "Migration 0141 waited 4 minutes on a lock held by the nightly "
                           "reporting job",
            "resolution": "Paused the reporting job; the runbook gets a pre-step"})
        services.rehearsals.record_rollback_test(rid, True, False, 38, "Image rollback worked, but "
                                    "migration 0141 has no down-migration")
        services.rehearsals.evaluate_rehearsal(rid, Decimal("1.2"), Decimal("460"), Decimal("99.7"))
    with services.ledger.acting_as(ids["alice"]):
        services.rehearsals.decide_rehearsal(rid, "no_go")
    clock.advance(120)
    with services.ledger.acting_as(ids["erin"], reason="scaled staging to 3 replicas per service"):
        _checks(services, rid, [(n, e, e) for n, e, _ in PARITY])
    with services.ledger.acting_as(ids["alice"], reason="down-migration for 0141 added"):
        services.rehearsals.record_rollback_test(rid, True, True, 16, "Redeployed 2.3.0 and ran the "
                                    "0141 down-migration")
        services.rehearsals.evaluate_rehearsal(rid, Decimal("0.6"), Decimal("410"), Decimal("99.95"), [
            {"name": "Checkout success rate", "measured": Decimal("99.8"),
             "comparator": ">=", "threshold": Decimal("99.5"), "unit": "%"}])
    with services.ledger.acting_as(ids["carol"]):
        services.rehearsals.decide_rehearsal(rid, "go")
    with services.ledger.acting_as(ids["alice"], reason="demo data"):
        services.rehearsals.record_rehearsal_lesson(rid, "Every migration needs a tested down-migration "
                                            "before the rehearsal")
        services.rehearsals.record_rehearsal_lesson(rid, "Scheduled jobs must be paused before migrations")
        services.rehearsals.recommend_rehearsal_adjustment(
            rid, "action_item", "Fail CI when a migration has no down-migration",
            owner_id=ids["bob"], priority="P1")
        services.rehearsals.recommend_rehearsal_adjustment(
            rid, "runbook_revision", "Add a pre-step: pause the nightly reporting job before "
            "running migrations", runbook_category="deployment", runbook_name="Release runbook")
