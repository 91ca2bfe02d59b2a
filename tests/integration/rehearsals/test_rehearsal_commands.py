"""Rehearsal commands through the ledger and its event store, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from domain.errors import DomainError, PermissionDenied
from domain.rehearsals.rehearsal import Rehearsal
from tests.conftest import event_count

if TYPE_CHECKING:
    from app.bootstrap import Services


def plan(services: Services, person: dict[str, Any], steps: int = 2) -> str:
    with services.ledger.acting_as(person["id"]):
        return services.rehearsals.plan_rehearsal(
            release_version="3.1.0", environment="staging", playbook="Release runbook",
            steps=[{"name": f"Step {n}", "planned_minutes": 10, "owner_id": person["id"]}
                   for n in range(1, steps + 1)])["id"]


def test_a_rehearsal_round_trips_through_the_store_with_exact_values(
        services: Services, member: dict[str, Any], clock: Any) -> None:
    rid = plan(services, member, steps=1)
    ledger = services.ledger
    with ledger.acting_as(member["id"]):
        services.rehearsals.check_rehearsal_parity(rid, [{"name": "env", "expected": "a", "actual": "a"}])
        for kind in ("migration_dry_run", "backup_verification", "team_availability"):
            services.rehearsals.record_rehearsal_preflight(rid, kind, True, "ok")
        services.rehearsals.start_rehearsal_step(rid, 1)
        clock.advance(minutes=12)
        services.rehearsals.finish_rehearsal_step(rid, 1)
        result = services.rehearsals.evaluate_rehearsal(rid, Decimal("1.5"), Decimal("420"),
                                           Decimal("99.9"))

    stored = ledger.repository.get(UUID(rid))
    assert result["recommendation"] == "no_go"
    assert stored.parity_threshold == Decimal("90")
    assert stored.criteria[0]["threshold"] == Decimal("2")
    assert stored.status == "completed"


def test_a_refused_decision_appends_nothing(services: Services, member: dict[str, Any]) -> None:
    rid = plan(services, member, steps=1)
    before = event_count(services)

    with services.ledger.acting_as(member["id"]), pytest.raises(DomainError) as refused:
        services.rehearsals.decide_rehearsal(rid, "go")

    assert refused.value.code == "go_no_go_not_evaluated"
    assert event_count(services) == before


def test_an_auditor_cannot_plan_a_rehearsal(services: Services, member: dict[str, Any],
                                            auditor: dict[str, Any]) -> None:
    before = event_count(services)

    with pytest.raises(PermissionDenied):
        plan(services, auditor)

    assert event_count(services) == before


def test_a_concurrent_start_is_retried_and_then_refused_by_the_rule(
        services: Services, member: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    rid = plan(services, member, steps=1)
    ledger = services.ledger
    stale = ledger.repository.get(UUID(rid))
    with ledger.acting_as(member["id"], reason="pre-flight run outside the tool"):
        services.rehearsals.start_rehearsal_step(rid, 1)
    real_get = ledger.load
    calls: list[int] = []

    def first_stale(cls: type, aggregate_id: Any) -> Any:
        if cls is not Rehearsal:
            return real_get(cls, aggregate_id)
        calls.append(1)
        return stale if len(calls) == 1 else real_get(cls, aggregate_id)

    monkeypatch.setattr(ledger, "load", first_stale)
    before = event_count(services)

    with ledger.acting_as(member["id"], reason="pre-flight run outside the tool"), \
            pytest.raises(DomainError) as refused:
        services.rehearsals.start_rehearsal_step(rid, 1)

    assert refused.value.code == "step_not_pending"
    assert len(calls) == 2
    assert event_count(services) == before
