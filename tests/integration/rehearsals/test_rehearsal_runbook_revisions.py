"""A rehearsal's runbook adjustment becomes a revision of that category's runbook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.oncall.runbook import Runbook
from tests.conftest import add_person, event_count
from tests.support.rehearsals import plan, post

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def test_an_adjustment_revises_the_runbook_with_a_link_back_to_the_rehearsal(
        services: Services, client: FlaskClient, member: dict[str, Any]) -> None:
    with services.ledger.acting_as(member["id"]):
        services.oncall.seed_runbooks()
    helper = add_person(services, "member", "devops")
    rid = plan(client, member, helper)
    runbook_id = Runbook.create_id("deployment")
    before = services.ledger.repository.get(runbook_id).revision

    post(client, member, f"/{rid}/adjustments", {
        "kind": "runbook_revision", "runbook_category": "deployment",
        "runbook_name": "Deployment rollback", "text": "Pause scheduled jobs before migrating"})

    runbook = services.ledger.repository.get(runbook_id)
    assert runbook.revision == before + 1
    assert "Pause scheduled jobs before migrating" in runbook.revisions[-1]
    revised = list(services.ledger.repository.event_store.get(runbook_id))[-1]
    assert (revised.source_type, revised.source_id) == ("rehearsal", rid)


def test_without_a_runbook_for_the_category_the_proposal_is_only_recorded(
        services: Services, client: FlaskClient, member: dict[str, Any]) -> None:
    helper = add_person(services, "member", "devops")
    rid = plan(client, member, helper)

    before = event_count(services)

    post(client, member, f"/{rid}/adjustments", {
        "kind": "runbook_revision", "runbook_category": "deployment",
        "runbook_name": "Deployment rollback", "text": "Pause scheduled jobs"})

    assert event_count(services) == before + 1
    last = list(services.ledger.repository.event_store.get(UUID(rid)))[-1]
    assert type(last).__name__ == "RunbookAdjustmentProposed"
