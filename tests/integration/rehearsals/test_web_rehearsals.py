"""The rehearsal pages: plan form, checklist buttons as plain POSTs, Go/No-Go, report, history."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import csrf_token, event_count, login
from domain.rehearsals.rehearsal import Rehearsal
from tests.support.rehearsals import plan, preflight, realistic

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def form(client: FlaskClient, path: str, page: str, **fields: Any) -> Any:
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, page)})


class TestPlanForm:
    @pytest.mark.parametrize("path", ["/rehearsals/", "/rehearsals/new"])
    def test_pages_need_a_signed_in_person(self, client: FlaskClient, path: str) -> None:
        response = client.get(path)

        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]

    def test_planning_through_the_form_shows_the_checklist(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)

        response = form(client, "/rehearsals/new", "/rehearsals/new", release_version="5.0.1",
                        environment="staging-us", playbook="Release runbook",
                        step_name_1="Deploy", step_minutes_1="15", step_owner_1=member["id"],
                        step_name_2="Smoke tests", step_minutes_2="5",
                        step_owner_2=member["id"])
        page = client.get(response.headers["Location"]).get_data(as_text=True)

        assert response.status_code == 302
        assert "Rehearsal of 5.0.1 on staging-us" in page
        assert 'id="step-2"' in page and "Smoke tests" in page
        assert "5.0.1" in client.get("/rehearsals/").get_data(as_text=True)

    def test_errors_are_shown_next_to_fields_and_input_is_kept(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(client, member)
        before = event_count(services)

        response = form(client, "/rehearsals/new", "/rehearsals/new", release_version="",
                        environment="staging-us", step_name_1="Deploy", step_minutes_1="0",
                        step_owner_1=member["id"])

        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert 'id="release_version-error"' in html and 'id="planned_minutes-error"' in html
        assert 'value="staging-us"' in html and 'value="Deploy"' in html
        assert event_count(services) == before


    def test_a_plan_without_steps_says_so(self, client: FlaskClient,
                                          member: dict[str, Any]) -> None:
        login(client, member)

        response = form(client, "/rehearsals/new", "/rehearsals/new", release_version="5.0.2",
                        environment="staging-us")

        assert response.status_code == 422
        assert 'id="steps-error"' in response.get_data(as_text=True)

    def test_the_next_rehearsal_can_start_from_the_actual_durations_of_the_last(
            self, client: FlaskClient, member: dict[str, Any], clock: Any) -> None:
        rid = plan(client, member, member, steps=[("Deploy", 10), ("Verify", 5)])
        login(client, member)
        page = f"/rehearsals/{rid}"
        form(client, f"{page}/steps/1/start", page, reason="pre-flight done on the old tool")
        clock.advance(minutes=12, seconds=10)
        form(client, f"{page}/steps/1/finish", page)

        html = client.get(f"/rehearsals/new?from={rid}").get_data(as_text=True)

        def value(field: str) -> str:
            match = re.search(rf'name="{field}"[^>]*value="([^"]*)"', html)
            assert match, field
            return match.group(1)

        assert (value("step_name_1"), value("step_minutes_1")) == ("Deploy", "13")
        assert (value("step_name_2"), value("step_minutes_2")) == ("Verify", "5")


class TestChecklist:
    def test_start_and_finish_are_plain_form_posts(
            self, client: FlaskClient, member: dict[str, Any], clock: Any) -> None:
        rid = plan(client, member, member, steps=[("Deploy", 10), ("Verify", 5)])
        preflight(client, member, rid)
        login(client, member)
        page = f"/rehearsals/{rid}"

        form(client, f"{page}/steps/1/start", page)
        clock.advance(minutes=12)
        response = form(client, f"{page}/steps/1/finish", page)
        html = client.get(page).get_data(as_text=True)

        assert response.status_code == 302
        assert "12m 00s" in html and "+2m 00s (+20.0%)" in html
        assert f'action="/rehearsals/{rid}/steps/2/start"' in html
        assert "data-started" in html  # the running clock of the whole dry run

    def test_a_start_before_the_preflight_checks_is_refused_unless_overridden(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        rid = plan(client, member, member, steps=[("Deploy", 10), ("Verify", 5)])
        login(client, member)
        page = f"/rehearsals/{rid}"
        before = event_count(services)

        refused = form(client, f"{page}/steps/1/start", page, reason="")

        assert event_count(services) == before and refused.status_code == 302
        shown = client.get(page).get_data(as_text=True)
        assert "Step 1 cannot start before the pre-flight checks are recorded" in shown
        assert 'placeholder="override reason (if pre-flight is missing)"' in shown
        form(client, f"{page}/steps/1/start", page, reason="staging checks run by hand")
        html = client.get(page).get_data(as_text=True)

        assert services.ledger.load(Rehearsal, rid).preflight_override == (
            "staging checks run by hand")
        assert f'action="/rehearsals/{rid}/steps/1/finish"' in html

    def test_a_skip_without_a_reason_is_refused_with_the_rule_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        rid = plan(client, member, member, steps=[("Deploy", 10)])
        login(client, member)
        page = f"/rehearsals/{rid}"
        before = event_count(services)

        response = form(client, f"{page}/steps/1/skip", page, reason="")

        assert response.status_code == 302
        assert "Say why this step is skipped." in client.get(page).get_data(as_text=True)
        assert event_count(services) == before

    def test_an_invalid_preflight_form_keeps_its_input(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        rid = plan(client, member, member)
        login(client, member)
        page = f"/rehearsals/{rid}"
        before = event_count(services)

        response = form(client, f"{page}/parity", page, items="config | a\nsecrets | 1 | 1")

        assert response.status_code == 422
        assert "Line 1: write name | expected | actual" in response.get_data(as_text=True)
        assert "secrets | 1 | 1" in response.get_data(as_text=True)
        assert event_count(services) == before


class TestGoNoGoReportHistory:
    def test_a_decision_against_the_recommendation_is_highlighted_everywhere(
            self, services: Services, client: FlaskClient, member: dict[str, Any],
            clock: Any) -> None:
        rid = realistic(services, client, clock, member)
        login(client, member)

        pages = [client.get(p).get_data(as_text=True) for p in (
            "/rehearsals/", f"/rehearsals/{rid}", f"/rehearsals/{rid}?tab=go-no-go",
            f"/rehearsals/{rid}?tab=report")]

        assert "against recommendation" in pages[0]
        assert 'id="against"' in pages[1] and "Replica gap" in pages[1]
        assert "replicas per service | 3 | 2" in pages[1]  # the parity re-run is prefilled
        assert "against the recommendation" in pages[2]
        assert "DECISION AGAINST THE RECOMMENDATION" in pages[3]

    def test_the_report_page_offers_markdown_pdf_and_json_downloads(
            self, services: Services, client: FlaskClient, member: dict[str, Any],
            clock: Any) -> None:
        rid = realistic(services, client, clock, member)
        login(client, member)

        html = client.get(f"/rehearsals/{rid}?tab=report").get_data(as_text=True)
        links = re.findall(rf'href="(/rehearsals/{rid}/report\.\w+)"', html)
        downloads = {link.rsplit(".", 1)[1]: client.get(link) for link in links}

        assert "2. Timeline: planned vs actual" in html and "Run database migrations" in html
        assert sorted(downloads) == ["json", "md", "pdf"]
        assert downloads["pdf"].data.startswith(b"%PDF")
        assert downloads["md"].get_data(as_text=True).startswith("# Release Rehearsal Report")
        assert downloads["json"].get_json()["rollback"]["result"] == "PASS"

    def test_the_history_tab_shows_events_and_estimate_accuracy_improving(
            self, services: Services, client: FlaskClient, member: dict[str, Any],
            clock: Any) -> None:
        steps = [("Deploy", 10), ("Verify", 10)]
        first = plan(client, member, member, steps=steps, version="1.0")
        second = plan(client, member, member, steps=steps, version="1.1")
        preflight(client, member, first)
        preflight(client, member, second)
        login(client, member)
        for rid, minutes in ((first, (15, 5)), (second, (11, 10))):
            page = f"/rehearsals/{rid}"
            for number, spent in enumerate(minutes, start=1):
                form(client, f"{page}/steps/{number}/start", page)
                clock.advance(minutes=spent)
                form(client, f"{page}/steps/{number}/finish", page)

        html = client.get(f"/rehearsals/{second}?tab=history").get_data(as_text=True)

        assert "50.0%" in html and "95.0%" in html and "+45.0 pts" in html
        assert "StepFinished" in html and "Maria Member" in html

    def test_an_auditor_reads_every_tab_but_cannot_act(
            self, services: Services, client: FlaskClient, member: dict[str, Any],
            auditor: dict[str, Any], clock: Any) -> None:
        rid = realistic(services, client, clock, member)
        login(client, auditor)
        before = event_count(services)

        tabs = [client.get(f"/rehearsals/{rid}?tab={t}").status_code
                for t in ("checklist", "go-no-go", "report", "history")]
        response = form(client, f"/rehearsals/{rid}/lessons", f"/rehearsals/{rid}",
                        text="auditors cannot write")

        assert tabs == [200, 200, 200, 200]
        assert response.status_code == 403
        assert event_count(services) == before
