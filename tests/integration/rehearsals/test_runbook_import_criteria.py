"""Planning a rehearsal from a runbook takes only its procedure steps, never its criteria
(API, both backends; the seeded deployment runbook's "When to roll back" conditions are covered
in test_rehearsal_from_runbook.py)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from app.bootstrap import Services
from tests.integration.rehearsals.test_rehearsal_from_runbook import plan, runbook

WITH_CRITERIA = """# Release deployment

## Go/No-Go criteria

1. Error rate below 2%
2. p95 latency below 500 ms

## Procedure

1. Freeze merges (10 min)
2. Deploy the canary (20 min)
"""


def test_criteria_under_a_procedure_runbook_are_left_out(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    runbook_id = runbook(services, member, WITH_CRITERIA)

    response = plan(client, member, from_runbook_id=runbook_id)

    assert [(s["name"], s["planned_minutes"]) for s in response.get_json()["steps"]] == [
        ("Freeze merges", 10), ("Deploy the canary", 20)]
