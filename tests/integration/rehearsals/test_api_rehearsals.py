"""The rehearsal JSON API on SQLite and PostgreSQL: commands, rule codes, reports, OpenAPI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from sqlalchemy import select

from projections.reviews.tables import action_items
from tests.conftest import bearer, event_count
from tests.integration.changes.test_api_change_requests import assert_error
from tests.support.rehearsals import plan, post, preflight, realistic

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


class TestPlanningAndRunning:
    def test_a_planned_rehearsal_lists_its_ordered_steps_with_owners(
            self, client: FlaskClient, member: dict[str, Any], admin: dict[str, Any]) -> None:
        rid = plan(client, member, admin)

        body = client.get(f"/api/v1/rehearsals/{rid}", headers=bearer(member)).get_json()
        listed = client.get("/api/v1/rehearsals?status=planned", headers=bearer(member))

        assert [s["name"] for s in body["steps"]][:2] == ["Freeze merges and tag the release",
                                                          "Run database migrations"]
        assert body["steps"][1]["owner_name"] == "Ada Admin"
        assert body["status"] == "planned"
        assert [r["id"] for r in listed.get_json()["items"]] == [rid]

    def test_the_realistic_run_records_durations_variance_and_the_decision(
            self, services: Services, client: FlaskClient, member: dict[str, Any],
            clock: Any) -> None:
        rid = realistic(services, client, clock, member)

        body = client.get(f"/api/v1/rehearsals/{rid}", headers=bearer(member)).get_json()

        step2 = body["steps"][1]
        assert (step2["actual_seconds"], step2["variance_seconds"]) == (1590, 390)
        assert step2["variance_percent"] == "32.5"
        assert body["status"] == "completed"
        assert body["preflight"][3]["passed"] is False  # 9 of 10 items match: exactly 90%
        assert "differ: replicas per service" in body["preflight"][3]["evidence"]
        assert body["evaluations"][0]["recommendation"] == "no_go"
        assert body["decision"] == "go" and body["against_recommendation"] is True
        assert body["evaluations"][0]["decision_reason"].startswith("Replica gap")

    def test_an_adjustment_becomes_an_action_item_linked_to_the_rehearsal(
            self, services: Services, client: FlaskClient, member: dict[str, Any],
            clock: Any) -> None:
        rid = realistic(services, client, clock, member)

        with services.engine.connect() as conn:
            item = conn.execute(select(action_items)).one()
        body = client.get(f"/api/v1/rehearsals/{rid}", headers=bearer(member)).get_json()

        assert (item.source_type, item.source_id, item.priority) == ("rehearsal", rid, "P1")
        assert body["adjustments"][0]["action_item_id"] == item.id
        assert body["adjustments"][1]["runbook_name"] == "Release runbook"


    def test_aborting_stops_the_running_step_and_closes_the_dry_run(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            clock: Any) -> None:
        rid = plan(client, member, member, steps=[("Deploy", 10), ("Verify", 5)])
        preflight(client, member, rid)
        post(client, member, f"/{rid}/steps/1/start")
        clock.advance(minutes=7)

        body = post(client, member, f"/{rid}/abort", {"reason": "staging database is down"})
        before = event_count(services)
        refused = client.post(f"/api/v1/rehearsals/{rid}/steps/1/finish",
                              headers=bearer(member))

        assert body["status"] == "aborted" and body["abort_reason"] == "staging database is down"
        assert (body["steps"][0]["status"], body["steps"][0]["actual_seconds"]) == ("aborted", 420)
        assert body["steps"][0]["variance_seconds"] is None
        assert body["estimate_accuracy"] is None
        assert_error(refused, 409, "rehearsal_closed")
        assert event_count(services) == before


class TestRules:
    @pytest.mark.parametrize(("path", "payload", "code"), [
        ("/steps/2/start", None, "step_out_of_order"),
        ("/steps/1/finish", None, "step_not_running"),
        ("/steps/1/skip", {}, "skip_reason_required"),
        ("/abort", {"reason": " "}, "abort_reason_required"),
        ("/decision", {"decision": "go"}, "go_no_go_not_evaluated"),
        ("/evaluation", {"error_rate": "1", "p95_latency_ms": "1", "uptime": "100"},
         "rehearsal_not_finished"),
        ("/preflight", None, None),
    ])
    def test_a_refused_command_names_the_rule_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            path: str, payload: Any, code: str | None) -> None:
        rid = plan(client, member, member)
        before = event_count(services)

        response = client.post(f"/api/v1/rehearsals/{rid}{path}", json=payload,
                               headers=bearer(member))

        if code is None:
            assert_error(response, 422, "invalid_input")
        else:
            assert_error(response, 409, code)
        assert event_count(services) == before

    def test_a_step_needs_the_preflight_checks_or_a_recorded_override(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        rid = plan(client, member, member, steps=[("Deploy", 5), ("Verify", 5)])
        post(client, member, f"/{rid}/preflight", {"kind": "backup_verification",
                                                   "passed": False, "evidence": "restore failed"})
        before = event_count(services)

        refused = client.post(f"/api/v1/rehearsals/{rid}/steps/1/start", json={"reason": " "},
                              headers=bearer(member))

        error = assert_error(refused, 409, "preflight_not_recorded")
        assert error["details"]["missing"] == ["migration_dry_run", "team_availability",
                                               "parity"]
        assert event_count(services) == before
        started = post(client, member, f"/{rid}/steps/1/start",
                       {"reason": "staging parity script is broken; release lead accepts"})
        post(client, member, f"/{rid}/steps/1/finish")
        post(client, member, f"/{rid}/steps/2/start")  # the override covers the dry run

        assert started["steps"][0]["status"] == "running"
        stored = services.ledger.repository.get(UUID(rid))
        assert stored.preflight_override == ("staging parity script is broken; release lead "
                                             "accepts")
        assert stored.steps[1]["status"] == "running"

    def test_a_go_against_a_no_go_without_a_reason_is_refused(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        rid = plan(client, member, member, steps=[("Deploy", 5)])
        post(client, member, f"/{rid}/steps/1/start", {"reason": "checks done on paper"})
        post(client, member, f"/{rid}/steps/1/finish")
        post(client, member, f"/{rid}/evaluation", {"error_rate": "2.0",
                                                    "p95_latency_ms": "100", "uptime": "100"})
        before = event_count(services)

        response = client.post(f"/api/v1/rehearsals/{rid}/decision", json={"decision": "go"},
                               headers=bearer(member))

        error = assert_error(response, 409, "decision_against_recommendation_needs_reason")
        assert error["details"]["recommendation"] == "no_go"
        assert event_count(services) == before

    def test_invalid_input_names_the_field(self, client: FlaskClient, services: Services,
                                           member: dict[str, Any]) -> None:
        before = event_count(services)

        response = client.post("/api/v1/rehearsals", json={
            "release_version": "1.0", "environment": "staging",
            "steps": [{"name": "x", "planned_minutes": 0, "owner_id": member["id"]}]},
            headers=bearer(member))

        error = assert_error(response, 422, "invalid_input")
        assert "planned_minutes" in error["details"]["steps"]["0"]
        assert event_count(services) == before

    def test_an_auditor_reads_but_cannot_write(self, client: FlaskClient, services: Services,
                                               member: dict[str, Any],
                                               auditor: dict[str, Any]) -> None:
        rid = plan(client, member, member)
        before = event_count(services)

        response = client.post(f"/api/v1/rehearsals/{rid}/steps/1/start",
                               headers=bearer(auditor))

        assert_error(response, 403, "read_only_role")
        assert event_count(services) == before
        assert client.get(f"/api/v1/rehearsals/{rid}/report",
                          headers=bearer(auditor)).status_code == 200

    def test_unknown_ids_and_missing_tokens(self, client: FlaskClient,
                                            member: dict[str, Any]) -> None:
        assert_error(client.get("/api/v1/rehearsals/nope", headers=bearer(member)), 404,
                     "not_found")
        assert_error(client.get("/api/v1/rehearsals"), 401, "not_authenticated")


class TestReportsAndDocs:
    def test_the_report_comes_as_json_markdown_and_pdf(
            self, services: Services, client: FlaskClient, member: dict[str, Any],
            clock: Any) -> None:
        rid = realistic(services, client, clock, member)
        url = f"/api/v1/rehearsals/{rid}/report"

        as_json = client.get(url, headers=bearer(member)).get_json()
        markdown = client.get(f"{url}?format=markdown", headers=bearer(member))
        pdf = client.get(f"{url}?format=pdf", headers=bearer(member))

        assert as_json["summary"]["against_recommendation"] is True
        assert as_json["timeline"][1]["variance"] == "+6m 30s (+32.5%)"
        assert markdown.mimetype == "text/markdown"
        assert "## 2. Timeline: planned vs actual" in markdown.get_data(as_text=True)
        assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        assert_error(client.get(f"{url}?format=docx", headers=bearer(member)), 422,
                     "invalid_input")

    def test_history_lists_every_event_with_reasons(
            self, services: Services, client: FlaskClient, member: dict[str, Any],
            clock: Any) -> None:
        rid = realistic(services, client, clock, member)

        events = client.get(f"/api/v1/rehearsals/{rid}/history",
                            headers=bearer(member)).get_json()["events"]

        types = [e["type"] for e in events]
        assert types[0] == "Planned" and "ExecutionCompleted" in types
        decision = next(e for e in events if e["type"] == "DecisionRecorded")
        assert decision["reason"].startswith("Replica gap")

    def test_the_openapi_document_describes_the_rehearsal_paths(
            self, client: FlaskClient) -> None:
        spec = client.get("/api/v1/openapi.json").get_json()

        assert "/rehearsals/{rehearsal_id}/decision" in spec["paths"]
        assert "RehearsalMetricsInput" in spec["components"]["schemas"]
