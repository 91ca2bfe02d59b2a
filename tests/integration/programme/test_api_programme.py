"""The programme through the API and the page forms, on SQLite and PostgreSQL: created from the
guide by an admin, prerequisites block a start (409 naming them), time logged gives planned vs
actual, sign-offs by named people of two functions meet a judgement criterion, evidence recorded
by the other areas flips criteria from not met to met; every refusal appends nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.testing import FlaskClient

from app.bootstrap import Services
from tests.conftest import FakeClock, add_person, bearer, csrf_token, event_count, login

API = "/api/v1/programme"


def criterion(view: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    """One criterion of the overview."""
    return next(c for t in view["tracks"] for c in t["criteria"] if c["id"] == criterion_id)


def activity(view: dict[str, Any], activity_id: str) -> dict[str, Any]:
    """One activity of the overview."""
    return next(a for t in view["tracks"] for a in t["activities"] if a["id"] == activity_id)


def create(client: FlaskClient, admin: dict[str, Any]) -> dict[str, Any]:
    """Create the programme as the admin."""
    response = client.post(API, json={"name": "Track 4"}, headers=bearer(admin))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


class TestCreate:
    def test_an_admin_creates_the_programme_seeded_with_the_guides_tables(
            self, client: FlaskClient, admin: dict[str, Any]) -> None:
        created = create(client, admin)

        view = client.get(API, headers=bearer(admin)).get_json()

        assert created["activities"] == 19 and created["risks"] == 4
        assert [(t["id"], t["planned_hours"]) for t in view["tracks"]] == [
            ("T4.1", 7), ("T4.2", 12), ("T4.3", 9), ("T4.4", 16)]
        assert view["totals"]["planned_hours"] == 44
        assert activity(view, "t42-dry-run")["prerequisites"] == ["t42-staging", "t42-planning"]
        assert activity(view, "t41-charter-review")["owner_label"] == "Engineering Manager"
        assert len(view["risks"]) == 4 and view["risks"][0]["status"] == "open"
        assert sum(len(t["criteria"]) for t in view["tracks"]) == 23

    def test_a_second_programme_and_a_member_are_refused_and_nothing_is_appended(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        refused_member = client.post(API, json={"name": "Track 4"}, headers=bearer(member))
        create(client, admin)
        before = event_count(services)

        again = client.post(API, json={"name": "Track 4"}, headers=bearer(admin))

        assert refused_member.status_code == 403
        assert again.status_code == 409
        assert again.get_json()["error"]["code"] == "programme_exists"
        assert event_count(services) == before

    def test_without_a_programme_the_criteria_are_evaluated_anyway(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        view = client.get(API, headers=bearer(member)).get_json()

        assert view["programme"] is None
        assert view["summary"] == {"met": 0, "partly": 0, "not_met": 23}
        assert all(c["missing"] for t in view["tracks"] for c in t["criteria"])


class TestActivities:
    def test_starting_before_a_prerequisite_is_refused_naming_it(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        create(client, admin)
        before = event_count(services)

        response = client.post(f"{API}/activities/t42-dry-run/start", json={},
                               headers=bearer(member))

        body = response.get_json()["error"]
        assert response.status_code == 409
        assert body["code"] == "prerequisite_not_met"
        assert body["details"]["prerequisites"] == ["t42-staging", "t42-planning"]
        assert "t42-staging" in body["message"]
        assert event_count(services) == before

    def test_a_criterion_prerequisite_blocks_until_the_evidence_meets_it(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        create(client, admin)
        refused = client.post(f"{API}/activities/t43-practice/start", json={},
                              headers=bearer(member))
        staff_rotation(services, admin)

        started = client.post(f"{API}/activities/t43-practice/start", json={},
                              headers=bearer(member))

        assert refused.status_code == 409
        assert refused.get_json()["error"]["details"]["prerequisites"] == ["t43.staffed"]
        assert started.status_code == 200, started.get_json()
        assert started.get_json()["status"] == "in_progress"

    def test_completed_prerequisites_unblock_and_time_gives_planned_vs_actual(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        create(client, admin)
        for step in ("t42-staging", "t42-planning"):
            assert client.post(f"{API}/activities/{step}/start", json={},
                               headers=bearer(member)).status_code == 200
            assert client.post(f"{API}/activities/{step}/time", json={"hours": 2.5},
                               headers=bearer(member)).status_code == 201
            assert client.post(f"{API}/activities/{step}/complete", json={},
                               headers=bearer(member)).status_code == 200

        started = client.post(f"{API}/activities/t42-dry-run/start", json={},
                              headers=bearer(member))

        view = client.get(API, headers=bearer(member)).get_json()
        assert started.status_code == 200
        assert activity(view, "t42-staging")["actual_hours"] == 2.5
        assert view["tracks"][1]["actual_hours"] == 5.0
        assert view["totals"]["actual_hours"] == 5.0
        assert view["time_entries"][0]["person_id"] == member["id"]

    def test_admins_edit_owner_timebox_and_prerequisites_as_events(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        create(client, admin)
        refused = client.patch(f"{API}/activities/t41-minutes", json={"timebox_hours": 3},
                               headers=bearer(member))
        unknown = client.patch(f"{API}/activities/t41-minutes",
                               json={"prerequisites": ["no-such-thing"]}, headers=bearer(admin))

        edited = client.patch(f"{API}/activities/t41-minutes", json={
            "owner_id": member["id"], "timebox_hours": 3, "prerequisites": ["t41.decision-log"],
            "reason": "minutes need the log"}, headers=bearer(admin))

        history = client.get(f"{API}/history", headers=bearer(admin)).get_json()["events"]
        assert refused.status_code == 403
        assert unknown.status_code == 409
        assert unknown.get_json()["error"]["code"] == "invalid_prerequisite"
        assert edited.status_code == 200
        assert edited.get_json()["owner_name"] == "Maria Member"
        assert edited.get_json()["timebox_hours"] == 3
        assert history[-1]["type"].endswith("ActivityEdited")
        assert history[-1]["reason"] == "minutes need the log"

    def test_bad_hours_are_refused_naming_the_field(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        create(client, admin)
        before = event_count(services)

        response = client.post(f"{API}/activities/t41-minutes/time", json={"hours": 0},
                               headers=bearer(member))
        unknown = client.post(f"{API}/activities/nope/time", json={"hours": 1},
                              headers=bearer(member))

        assert response.status_code == 422
        assert "hours" in response.get_json()["error"]["details"]
        assert unknown.status_code == 404
        assert event_count(services) == before


class TestSignOffs:
    def test_sign_offs_of_two_functions_meet_the_judgement_criterion(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        create(client, admin)
        product = add_person(services, "member", "product", name="Pat Product")
        path = f"{API}/criteria/t42.confidence/sign-offs"

        first = client.post(path, json={"note": "ready"}, headers=bearer(member)).get_json()
        twice = client.post(path, json={}, headers=bearer(member))
        second = client.post(path, json={}, headers=bearer(product)).get_json()
        withdrawn = client.post(f"{path}/withdraw", json={}, headers=bearer(product)).get_json()

        assert criterion(first, "t42.confidence")["status"] == "partly"
        assert twice.status_code == 409
        assert criterion(second, "t42.confidence")["status"] == "met"
        assert [e["label"].split(" (")[0] for e in criterion(second, "t42.confidence")[
            "evidence"]] == ["Maria Member", "Pat Product"]
        assert criterion(withdrawn, "t42.confidence")["status"] == "partly"

    def test_a_criterion_derived_from_evidence_cannot_be_signed_off(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        create(client, admin)

        response = client.post(f"{API}/criteria/t43.practice/sign-offs", json={},
                               headers=bearer(member))

        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "not_a_sign_off_criterion"


class TestEvidence:
    def test_runbooks_validated_and_team_trained_flip_from_not_met_to_met(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any]) -> None:
        from domain.oncall.runbook import TRAINING_TOPICS

        roster = staff_rotation(services, admin)
        with services.ledger.acting_as(admin["id"]):
            books = services.oncall.seed_runbooks()
        before = client.get(API, headers=bearer(member)).get_json()
        with services.ledger.acting_as(admin["id"]):
            for book in books:
                services.oncall.sign_off_runbook(book, "reviewed")
        middle = client.get(API, headers=bearer(member)).get_json()
        with services.ledger.acting_as(admin["id"]):
            for book in books:
                services.oncall.sign_off_runbook(book, "validated")
            services.oncall.record_training(title="Training", held_on=date(2026, 3, 2),
                                            topics=list(TRAINING_TOPICS),
                                            attendee_ids=roster)

        after = client.get(API, headers=bearer(member)).get_json()

        assert criterion(before, "t43.runbooks")["status"] == "not_met"
        assert criterion(middle, "t43.runbooks")["status"] == "partly"
        assert criterion(after, "t43.runbooks")["status"] == "met"
        assert criterion(before, "t43.trained")["status"] == "not_met"
        assert criterion(after, "t43.trained")["status"] == "met"
        assert criterion(after, "t43.escalation")["status"] == "met"
        assert criterion(before, "t43.staffed")["status"] == "met"

    def test_staffed_is_judged_as_of_the_moment_four_weeks_ahead(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any], clock: FakeClock) -> None:
        staff_rotation(services, admin, weeks=5)
        now_view = client.get(API, headers=bearer(member)).get_json()
        clock.advance(days=14)

        later = client.get(API, headers=bearer(member)).get_json()

        assert criterion(now_view, "t43.staffed")["status"] == "met"
        assert criterion(later, "t43.staffed")["status"] == "partly"
        assert criterion(later, "t43.staffed")["missing"]


class TestRisks:
    def test_an_admin_updates_a_risk_with_a_reason(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
        create(client, admin)
        refused = client.patch(f"{API}/risks/tool-costs", json={"status": "closed"},
                               headers=bearer(member))
        bad = client.patch(f"{API}/risks/tool-costs", json={"status": "gone"},
                           headers=bearer(admin))

        response = client.patch(f"{API}/risks/tool-costs", json={
            "status": "mitigating", "owner_id": member["id"], "reason": "manual rotation"},
            headers=bearer(admin))

        assert refused.status_code == 403 and bad.status_code == 422
        assert response.status_code == 200
        assert response.get_json()["status"] == "mitigating"
        assert response.get_json()["owner_name"] == "Maria Member"
        assert response.get_json()["reason"] == "manual rotation"


class TestPage:
    def test_the_forms_create_start_log_and_refuse_with_the_prerequisite_named(
            self, client: FlaskClient, services: Services, admin: dict[str, Any]) -> None:
        login(client, admin)
        token = csrf_token(client, "/programme/")
        created = client.post("/programme/create", data={"csrf_token": token, "name": "Track 4"})
        before = event_count(services)

        refused = client.post("/programme/activities/t42-dry-run/start",
                              data={"csrf_token": token}, follow_redirects=True)
        assert event_count(services) == before
        started = client.post("/programme/activities/t42-staging/start",
                              data={"csrf_token": token})
        logged = client.post("/programme/activities/t42-staging/time",
                             data={"csrf_token": token, "hours": "1.5", "on": "2026-03-02"})
        page = client.get("/programme/").get_data(as_text=True)

        assert created.status_code == 302
        assert "Prerequisite not met: " in refused.get_data(as_text=True)
        assert "t42-staging" in refused.get_data(as_text=True)
        assert started.status_code == 302 and logged.status_code == 302
        assert 'id="t42-staging" data-status="in_progress"' in page
        assert "1.5 h" in page


def staff_rotation(services: Services, admin: dict[str, Any], weeks: int = 6) -> list[str]:
    """A rotation of three people planned ``weeks`` ahead; returns its roster."""
    people = [add_person(services, "member", f, name=f"On-call {f}")["id"]
              for f in ("engineering", "devops", "qa")]
    with services.ledger.acting_as(admin["id"]):
        rotation = services.oncall.create_rotation("Platform", "UTC", people)["id"]
        services.oncall.plan_rotation(rotation, weeks=weeks)
    return people
