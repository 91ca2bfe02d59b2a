"""Through the API on both backends: the recommendation is No-Go while a major or critical
issue is unresolved, and Go once it is resolved (everything else passing)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from app.bootstrap import Services
from tests.conftest import FakeClock, add_person
from tests.support.rehearsals import post


def test_an_unresolved_critical_issue_holds_the_recommendation_at_no_go(
        client: FlaskClient, services: Services, clock: FakeClock,
        member: dict[str, Any]) -> None:
    helper = add_person(services, "member", "devops")
    rid = post(client, member, "", {
        "release_version": "2.5.0", "environment": "staging", "playbook": "Release runbook",
        "steps": [{"name": "Deploy", "planned_minutes": 10, "owner_id": helper["id"]}]})["id"]
    post(client, member, f"/{rid}/parity", {"items": [
        {"name": "config", "expected": "a", "actual": "a"}]})
    for kind in ("migration_dry_run", "backup_verification", "team_availability"):
        post(client, member, f"/{rid}/preflight", {"kind": kind, "passed": True,
                                                   "evidence": "ok"})
    post(client, member, f"/{rid}/steps/1/start")
    post(client, member, f"/{rid}/issues", {"step": 1, "severity": "critical",
                                            "description": "health check fails"})
    clock.advance(minutes=9)
    post(client, member, f"/{rid}/steps/1/finish")
    post(client, member, f"/{rid}/rollback-test", {"performed": True, "passed": True,
                                                   "duration_minutes": 5, "notes": "ok"})
    metrics = {"error_rate": "0.5", "p95_latency_ms": "300", "uptime": "99.9"}

    held = post(client, member, f"/{rid}/evaluation", metrics)
    post(client, member, f"/{rid}/issues/1/resolve", {"resolution": "fixed the probe"})
    cleared = post(client, member, f"/{rid}/evaluation", metrics)

    assert held["recommendation"] == "no_go"
    assert cleared["recommendation"] == "go"
