"""A realistic rehearsal driven through the JSON API (shared by the API, report and web tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conftest import add_person, bearer

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock

STEPS = [("Freeze merges and tag the release", 10), ("Run database migrations", 20),
         ("Deploy the API canary", 15), ("Switch traffic to the new version", 10)]
PARITY = [("service config (env vars)", "42 keys", "42 keys"),
          ("secrets present", "17", "17"), ("database engine", "PostgreSQL 16.2",
                                            "PostgreSQL 16.2"),
          ("replicas per service", "3", "2"), ("schema version", "0142", "0142"),
          ("feature flags", "28", "28"), ("CDN rules", "12", "12"),
          ("queue workers", "6", "6"), ("TLS certificates", "valid", "valid"),
          ("log shipping", "enabled", "enabled")]


def post(client: FlaskClient, person: dict[str, Any], path: str, body: Any = None) -> Any:
    response = client.post(f"/api/v1/rehearsals{path}", json=body, headers=bearer(person))
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()


def plan(client: FlaskClient, owner: dict[str, Any], helper: dict[str, Any],
         steps: list[tuple[str, int]] = STEPS, version: str = "2.4.0") -> str:
    body = {"release_version": version, "environment": "staging-eu",
            "playbook": "Release runbook",
            "steps": [{"name": name, "planned_minutes": minutes,
                       "owner_id": (owner if n % 2 == 0 else helper)["id"]}
                      for n, (name, minutes) in enumerate(steps)]}
    return post(client, owner, "", body)["id"]


PREFLIGHT = (("migration_dry_run", "142 migrations applied in 3m 10s"),
             ("backup_verification", "restored last night's snapshot"),
             ("team_availability", "6 of 6 confirmed in #release"))


def preflight(client: FlaskClient, owner: dict[str, Any], rid: str) -> None:
    """Record every pre-flight check (passing): a step cannot start before them."""
    post(client, owner, f"/{rid}/parity", {"items": [
        {"name": n, "expected": e, "actual": a} for n, e, a in PARITY]})
    for kind, evidence in PREFLIGHT:
        post(client, owner, f"/{rid}/preflight", {"kind": kind, "passed": True,
                                                  "evidence": evidence})


def realistic(services: Services, client: FlaskClient, clock: FakeClock,
              owner: dict[str, Any]) -> str:
    """Plan, check, run (with an overrun, an issue and an early finish), test the rollback,
    evaluate to a No-Go and decide Go against it with a reason; lessons and adjustments."""
    helper = add_person(services, "member", "devops", name="Erin Novak")
    rid = plan(client, owner, helper)
    preflight(client, owner, rid)
    for number, minutes in ((1, 9), (2, 26), (3, 15), (4, 8)):
        post(client, owner, f"/{rid}/steps/{number}/start")
        clock.advance(minutes=minutes, seconds=30 if number == 2 else 0)
        if number == 2:
            post(client, owner, f"/{rid}/issues", {
                "step": 2, "severity": "major",
                "description": "Migration 0141 waited on a lock held by the reporting job"})
        post(client, owner, f"/{rid}/steps/{number}/finish")
    post(client, owner, f"/{rid}/issues/1/resolve",
         {"resolution": "Paused the reporting job; added a pre-step to the runbook"})
    post(client, owner, f"/{rid}/rollback-test", {"performed": True, "passed": True,
                                                  "duration_minutes": 14,
                                                  "notes": "Restored image 2.3.7 and schema"})
    post(client, owner, f"/{rid}/evaluation", {"error_rate": "0.8", "p95_latency_ms": "430",
                                               "uptime": "99.95"})
    post(client, owner, f"/{rid}/decision", {
        "decision": "go", "reason": "Replica gap is a staging-only quota; production has 3"})
    post(client, owner, f"/{rid}/lessons",
         {"text": "Pause scheduled jobs before migrations"})
    post(client, owner, f"/{rid}/adjustments", {
        "kind": "action_item", "text": "Add a replica-count check to the parity script",
        "owner_id": helper["id"], "priority": "P1"})
    post(client, owner, f"/{rid}/adjustments", {
        "kind": "runbook_revision", "runbook_category": "deployment",
        "runbook_name": "Release runbook",
        "text": "Raise the migration step estimate from 20 to 30 minutes"})
    return rid
