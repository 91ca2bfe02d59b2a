"""Planning a rehearsal's playbook from an on-call runbook: API, plan form, OpenAPI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import uuid4

from domain.oncall.runbook import Runbook
from tests.conftest import bearer, csrf_token, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

RELEASE = """# Release deployment

## Procedure

1. Freeze merges and tag the release (10 min)
2. Run database migrations (45 min)
3. Smoke tests
"""


def runbook(services: Services, person: dict[str, Any], content: str = RELEASE,
            category: str = "release") -> str:
    with services.ledger.acting_as(person["id"]):
        rid = services.oncall.create_runbook(category, "Release deployment", content)["id"]
    services.projections.catch_up()
    return rid


def plan(client: FlaskClient, person: dict[str, Any], **fields: Any) -> Any:
    return client.post("/api/v1/rehearsals", headers=bearer(person), json={
        "release_version": "2.4.0", "environment": "staging-eu", **fields})


class TestTheApi:
    def test_the_runbooks_numbered_steps_become_the_playbook_owned_by_the_planner(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        runbook_id = runbook(services, member)

        response = plan(client, member, from_runbook_id=runbook_id)

        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert [(s["name"], s["planned_minutes"]) for s in body["steps"]] == [
            ("Freeze merges and tag the release", 10), ("Run database migrations", 45),
            ("Smoke tests", 15)]
        assert {s["owner_id"] for s in body["steps"]} == {member["id"]}
        assert body["playbook"] == "Release deployment"
        assert body["source"] == {"runbook_id": runbook_id, "revision": 1}

    def test_the_current_revision_is_used_and_a_playbook_name_can_be_given(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        runbook_id = runbook(services, member)
        with services.ledger.acting_as(member["id"]):
            services.oncall.revise_runbook(runbook_id, RELEASE + "4. Announce the release\n",
                                           "announce")

        body = plan(client, member, from_runbook_id=runbook_id,
                    playbook="Release runbook").get_json()

        assert [s["name"] for s in body["steps"]][-1] == "Announce the release"
        assert body["source"]["revision"] == 2
        assert body["playbook"] == "Release runbook"

    def test_the_seeded_rollback_runbook_gives_its_steps(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        with services.ledger.acting_as(member["id"]):
            services.oncall.seed_runbooks()

        response = plan(client, member, from_runbook_id=str(Runbook.create_id("deployment")))

        assert response.status_code == 201
        names = [s["name"] for s in response.get_json()["steps"]]  # not the 2 criteria
        assert len(names) == 3 and all(n.startswith("How to roll back") for n in names)

    def test_a_runbook_without_numbered_steps_is_refused_naming_the_field(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        runbook_id = runbook(services, member, "# Notes\n\n- nothing numbered\n")
        before = event_count(services)

        response = plan(client, member, from_runbook_id=runbook_id)

        assert response.status_code == 422
        assert "from_runbook_id" in response.get_json()["error"]["details"]
        assert event_count(services) == before

    def test_an_unknown_runbook_is_not_found(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        before = event_count(services)

        response = plan(client, member, from_runbook_id=str(uuid4()))

        assert response.status_code == 404
        assert event_count(services) == before

    def test_steps_and_a_runbook_together_or_neither_are_refused(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        runbook_id = runbook(services, member)
        step = {"name": "Deploy", "planned_minutes": 5, "owner_id": member["id"]}
        before = event_count(services)

        both = plan(client, member, from_runbook_id=runbook_id, steps=[step])
        neither = plan(client, member)

        assert both.status_code == 422 and "from_runbook_id" in both.get_json()["error"][
            "details"]
        assert neither.status_code == 422 and "steps" in neither.get_json()["error"]["details"]
        assert event_count(services) == before

    def test_the_openapi_file_documents_from_runbook_id(self, client: FlaskClient) -> None:
        spec = client.get("/api/v1/openapi.json").get_json()

        post = spec["paths"]["/rehearsals"]["post"]
        assert "from_runbook_id" in post["description"]
        assert "from_runbook_id" in spec["components"]["schemas"]["RehearsalInput"]["properties"]


class TestThePlanForm:
    def test_choosing_a_runbook_prefills_the_steps_without_javascript(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        runbook_id = runbook(services, member)
        login(client, member)

        page = client.get(f"/rehearsals/new?from_runbook={runbook_id}").get_data(as_text=True)

        assert 'value="Freeze merges and tag the release"' in page
        assert 'name="step_minutes_2" aria-label="Step 2 planned minutes" inputmode="numeric" ' \
               'value="45"' in page
        assert 'value="Release deployment"' in page
        assert "Release deployment (revision 1)" in page
        assert f'name="source_runbook_id" value="{runbook_id}"' in page

    def test_the_prefilled_form_plans_the_rehearsal(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        runbook_id = runbook(services, member)
        login(client, member)
        page = f"/rehearsals/new?from_runbook={runbook_id}"
        client.get(page)

        response = client.post("/rehearsals/new", data={
            "release_version": "2.4.0", "environment": "staging-eu",
            "source_runbook_id": runbook_id, "source_runbook_revision": "1",
            "playbook": "Release deployment", "csrf_token": csrf_token(client, page),
            **{f"step_name_{n}": name for n, name in enumerate(
                ("Freeze merges and tag the release", "Run database migrations",
                 "Smoke tests"), 1)},
            **{f"step_minutes_{n}": m for n, m in enumerate(("10", "45", "15"), 1)},
            **{f"step_owner_{n}": member["id"] for n in (1, 2, 3)}})

        assert response.status_code == 302
        detail = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Run database migrations" in detail
        rid = response.headers["Location"].rstrip("/").split("/")[-1]
        body = client.get(f"/api/v1/rehearsals/{rid}", headers=bearer(member)).get_json()
        assert body["source"] == {"runbook_id": runbook_id, "revision": 1}

    def test_a_rehearsal_planned_from_entered_steps_has_no_source(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        step = {"name": "Deploy", "planned_minutes": 5, "owner_id": member["id"]}

        body = plan(client, member, steps=[step]).get_json()

        assert body["source"] is None

    def test_a_runbook_with_more_steps_than_rows_gets_more_rows(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        long = "# Long\n\n## Steps\n\n" + "".join(f"{n}. Step {n}\n" for n in range(1, 21))
        runbook_id = runbook(services, member, long)
        login(client, member)

        page = client.get(f"/rehearsals/new?from_runbook={runbook_id}").get_data(as_text=True)

        assert 'value="Step 20"' in page

    def test_a_runbook_without_steps_is_explained_next_to_the_choice(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        runbook_id = runbook(services, member, "# Notes\n\nNothing numbered.\n")
        login(client, member)

        response = client.get(f"/rehearsals/new?from_runbook={runbook_id}")

        assert response.status_code == 422
        assert "has no numbered steps" in response.get_data(as_text=True)

    def test_an_unknown_runbook_is_not_found(self, client: FlaskClient,
                                             member: dict[str, Any]) -> None:
        login(client, member)

        assert client.get(f"/rehearsals/new?from_runbook={uuid4()}").status_code == 404
