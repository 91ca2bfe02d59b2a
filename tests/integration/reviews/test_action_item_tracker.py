"""The action item tracker through the API and the pages: statuses, reassignment, due dates,
overdue from the clock, filters, CSV, my items, follow-up policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.errors import DomainError
from tests.conftest import add_person, bearer, csrf_token, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


INCIDENTS: dict[int, str] = {}
"""One real incident per store: an item's source must name a record that exists."""


def an_incident(client: FlaskClient) -> str:
    """An incident of this client's store (opened once, as an admin on a small rotation)."""
    services = client.application.extensions["govledger"]
    if id(services) not in INCIDENTS:
        admin = add_person(services, "admin", "management")
        crew = [add_person(services, "member", f) for f in ("engineering", "devops")]
        with services.ledger.acting_as(admin["id"]):
            rotation = services.oncall.create_rotation("Platform", "UTC",
                                                       [p["id"] for p in crew])
            services.oncall.plan_rotation(rotation["id"], weeks=4)
            INCIDENTS[id(services)] = services.oncall.open_incident(
                rotation["id"], "Pool exhausted", "P1", "database")["id"]
    return INCIDENTS[id(services)]


def raise_item(client: FlaskClient, person: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {"title": "Add a pool-size alert", "owner_id": person["id"], "priority": "P1",
            "source_type": "incident", "source_id": an_incident(client), **overrides}
    response = client.post("/api/v1/action-items", json=body, headers=bearer(person))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


class TestStatusUpdates:
    def test_a_status_update_with_a_note_is_recorded_and_listed_in_the_updates(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        item = raise_item(client, member)

        response = client.post(f"/api/v1/action-items/{item['id']}/status",
                               json={"status": "in_progress", "note": "alert drafted"},
                               headers=bearer(member))

        assert response.status_code == 200
        body = response.get_json()
        assert body["status"] == "in_progress" and body["status_note"] == "alert drafted"
        assert [(u["kind"], u["status"], u["note"]) for u in body["updates"]] == [
            ("status", "in_progress", "alert drafted")]

    def test_blocked_without_a_reason_is_refused_and_nothing_is_appended(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        item = raise_item(client, member)
        before = event_count(services)

        response = client.post(f"/api/v1/action-items/{item['id']}/status",
                               json={"status": "blocked", "note": "  "}, headers=bearer(member))

        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "blocked_reason_required"
        assert event_count(services) == before

    def test_a_completed_item_cannot_change_again(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        item = raise_item(client, member)
        client.post(f"/api/v1/action-items/{item['id']}/status", json={"status": "completed"},
                    headers=bearer(member))
        before = event_count(services)

        response = client.post(f"/api/v1/action-items/{item['id']}/status",
                               json={"status": "open"}, headers=bearer(member))

        assert response.get_json()["error"]["code"] == "action_item_completed"
        assert event_count(services) == before

    def test_an_unknown_status_is_422_naming_the_field(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        item = raise_item(client, member)

        response = client.post(f"/api/v1/action-items/{item['id']}/status",
                               json={"status": "done"}, headers=bearer(member))

        assert response.status_code == 422
        assert "status" in response.get_json()["error"]["details"]

    def test_auditors_cannot_update_items(
            self, client: FlaskClient, member: dict[str, Any], auditor: dict[str, Any]) -> None:
        item = raise_item(client, member)

        response = client.post(f"/api/v1/action-items/{item['id']}/status",
                               json={"status": "completed"}, headers=bearer(auditor))

        assert response.status_code == 403


class TestReassignAndDueDates:
    def test_reassignment_records_the_reason_and_the_new_owner(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        other = add_person(services, name="Olga Other")
        item = raise_item(client, member)

        response = client.post(f"/api/v1/action-items/{item['id']}/reassign",
                               json={"owner_id": other["id"], "reason": "on holiday"},
                               headers=bearer(member))

        body = response.get_json()
        assert body["owner_id"] == other["id"] and body["owner_name"] == "Olga Other"
        assert body["updates"][-1]["reason"] == "on holiday"
        history = client.get(f"/api/v1/action-items/{item['id']}/history",
                             headers=bearer(member)).get_json()["events"]
        assert [e["type"] for e in history] == ["Raised", "Reassigned"]
        assert history[-1]["reason"] == "on holiday"

    def test_a_due_date_change_without_a_reason_is_refused_by_the_ledger(
            self, services: Services, member: dict[str, Any]) -> None:
        from datetime import date

        with services.ledger.acting_as(member["id"]):
            item = services.actions.create_action_item(title="Fix it", owner_id=member["id"])
            before = event_count(services)
            with pytest.raises(DomainError) as refused:
                services.actions.change_action_item_due(item["id"], date(2026, 4, 1))

        assert refused.value.code == "reason_required"
        assert event_count(services) == before

    def test_a_due_date_change_needs_a_reason_field_in_the_api(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        item = raise_item(client, member)

        response = client.post(f"/api/v1/action-items/{item['id']}/due",
                               json={"due": "2026-04-01"}, headers=bearer(member))

        assert response.status_code == 422
        assert "reason" in response.get_json()["error"]["details"]


class TestOverdueFromTheClock:
    def test_an_item_becomes_overdue_when_the_clock_passes_its_due_date(
            self, client: FlaskClient, member: dict[str, Any], clock: FakeClock) -> None:
        item = raise_item(client, member, priority="P1")  # Monday 2 March → due Friday 6 March
        assert item["due"] == "2026-03-06" and item["overdue"] is False

        clock.advance(days=4, hours=14)  # Friday 23:00
        assert client.get(f"/api/v1/action-items/{item['id']}",
                          headers=bearer(member)).get_json()["overdue"] is False
        clock.advance(hours=2)  # Saturday 01:00

        listed = client.get("/api/v1/action-items?overdue=true", headers=bearer(member))
        assert [i["id"] for i in listed.get_json()["items"]] == [item["id"]]

    def test_a_p2_raised_on_the_last_day_of_the_month_is_due_that_day(
            self, client: FlaskClient, member: dict[str, Any], clock: FakeClock) -> None:
        clock.advance(days=29)  # Tuesday 31 March

        item = raise_item(client, member, priority="P2")

        assert item["due"] == "2026-03-31"


class TestListsAndExports:
    def test_filters_combine_and_csv_has_a_row_per_item(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        raise_item(client, member, title="From an incident", priority="P0")
        raise_item(client, member, title="From a drill", source_type="drill", priority="P1")

        page = client.get("/api/v1/action-items?source_type=drill&priority=P1",
                          headers=bearer(member)).get_json()
        csv_text = client.get("/api/v1/action-items/export.csv",
                              headers=bearer(member)).get_data(as_text=True)

        assert [i["title"] for i in page["items"]] == ["From a drill"]
        lines = csv_text.strip().splitlines()
        assert lines[0].startswith("id,title,priority,status,overdue")
        assert len(lines) == 3

    def test_my_items_shows_only_the_signed_in_persons_items(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        other = add_person(services, name="Olga Other")
        raise_item(client, member, title="Mine to do")
        raise_item(client, member, title="Hers to do", owner_id=other["id"])
        login(client, member)

        html = client.get("/action-items/mine").get_data(as_text=True)

        assert "Mine to do" in html and "Hers to do" not in html

    def test_the_raise_form_keeps_input_and_names_the_field_on_error(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        login(client, member)

        response = client.post("/action-items/new", data={
            "title": "Rotate keys", "owner_id": "", "priority": "P1",
            "csrf_token": csrf_token(client, "/action-items/new")})

        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert 'id="owner_id-error"' in html and 'value="Rotate keys"' in html

    def test_the_blocked_form_without_a_note_flashes_the_rule(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        item = raise_item(client, member)
        login(client, member)
        path = f"/action-items/{item['id']}"

        response = client.post(f"{path}/status", data={
            "status": "blocked", "note": "", "csrf_token": csrf_token(client, path)},
            follow_redirects=True)

        assert "Say what blocks this item." in response.get_data(as_text=True)


class TestFollowUpPolicies:
    def test_a_p0_incident_item_open_past_two_days_is_reported(
            self, client: FlaskClient, member: dict[str, Any], admin: dict[str, Any],
            clock: FakeClock) -> None:
        response = client.post("/api/v1/follow-up-policies", json={
            "name": "P0 incident items within 2 days", "source_type": "incident",
            "priority": "P0", "within_days": 2}, headers=bearer(admin))
        assert response.status_code == 201
        late = raise_item(client, member, title="Late one", priority="P0")
        done = raise_item(client, member, title="Done in time", priority="P0")
        client.post(f"/api/v1/action-items/{done['id']}/status", json={"status": "completed"},
                    headers=bearer(member))

        clock.advance(days=3)
        report = client.get("/api/v1/follow-up-policies/violations",
                            headers=bearer(member)).get_json()

        assert [(v["item"]["id"], v["why"]) for v in report["violations"]] == [
            (late["id"], "open past the deadline")]

    def test_members_cannot_define_policies(
            self, client: FlaskClient, member: dict[str, Any]) -> None:
        response = client.post("/api/v1/follow-up-policies", json={
            "name": "Anything", "within_days": 2}, headers=bearer(member))

        assert response.status_code == 403


def test_a_rebuild_reproduces_the_tracker_exactly(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    from sqlalchemy import select

    from projections.reviews.tables import action_item_updates, action_items

    item = raise_item(client, member)
    client.post(f"/api/v1/action-items/{item['id']}/status",
                json={"status": "blocked", "note": "waiting on vendor"}, headers=bearer(member))
    services.projections.catch_up()

    def snapshot() -> list[Any]:
        with services.engine.connect() as conn:
            return [list(conn.execute(select(t).order_by(*t.primary_key.columns)))
                    for t in (action_items, action_item_updates)]

    before = snapshot()
    services.projections.rebuild()
    assert snapshot() == before


def test_every_tracker_page_renders_for_a_signed_in_member(
        client: FlaskClient, member: dict[str, Any]) -> None:
    item = raise_item(client, member, title="Render me")
    client.post(f"/api/v1/action-items/{item['id']}/status",
                json={"status": "in_progress", "note": "started"}, headers=bearer(member))
    login(client, member)

    for path in ("/action-items/", "/action-items/?status=not_completed&overdue=false",
                 f"/action-items/{item['id']}", f"/action-items/{item['id']}?tab=history",
                 "/action-items/policies", "/action-items/new", "/action-items/export.csv"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Render me" in response.get_data(as_text=True) or "new" in path or \
            "policies" in path, path


def test_an_admin_defines_and_retires_a_policy_through_the_page(
        client: FlaskClient, admin: dict[str, Any]) -> None:
    login(client, admin)
    token = csrf_token(client, "/action-items/policies")

    bad = client.post("/action-items/policies", data={"name": "P0 fast", "within_days": "-1",
                                                      "csrf_token": token})
    client.post("/action-items/policies", data={
        "name": "P0 incident items within 2 days", "source_type": "incident",
        "priority": "P0", "within_days": "2", "csrf_token": token})
    policy = client.get("/api/v1/follow-up-policies",
                        headers=bearer(admin)).get_json()["items"][0]
    client.post(f"/action-items/policies/{policy['id']}/retire", data={"csrf_token": token})

    assert bad.status_code == 422 and 'id="within_days-error"' in bad.get_data(as_text=True)
    assert client.get("/api/v1/follow-up-policies",
                      headers=bearer(admin)).get_json()["items"][0]["active"] is False
    history = client.get(f"/action-items/policies/{policy['id']}").get_data(as_text=True)
    assert "PolicyDefined" in history and "PolicyRetired" in history
    assert client.get("/action-items/policies/nope").status_code == 404
