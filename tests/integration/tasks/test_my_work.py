"""My work: every open thing waiting for one person, on both backends, in the query, the home
page, the nav's count and ``GET /api/v1/me/tasks``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from app.ccb.queries import get_meeting
from app.tasks.queries import my_tasks
from tests.conftest import add_person, bearer, login
from tests.support.ccb import running_meeting
from web.tasks import _approvers

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


def tasks_of(services: Services, person: dict[str, Any], now: datetime | None = None,
             ) -> list[dict[str, Any]]:
    services.projections.catch_up()
    from domain.base import now as clock_now

    return my_tasks(services.engine, person["id"], now or clock_now(),
                    approvers=lambda change_id, version: _from_log(services, change_id,
                                                                   version))["items"]


def _from_log(services: Services, change_id: str, version: int) -> list[str]:
    from domain.changes.change_request import ChangeRequest

    change = services.ledger.load(ChangeRequest, change_id)
    return [a["approver_id"] for a in change.approvals if a["version"] <= version]


def kinds(tasks: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [t for t in tasks if t["kind"] == kind]


class TestVotes:
    def test_a_present_member_is_asked_for_each_undecided_item_until_they_vote(
            self, services: Services) -> None:
        ccb = running_meeting(services, n_changes=2)
        paul = ccb.people[1]
        first, second = ccb.changes

        votes = kinds(tasks_of(services, paul), "vote")
        assert [t["link"]["anchor"] for t in votes] == [first, second]
        assert votes[0]["title"] == "Vote on Change number 1"
        assert votes[0]["link"]["values"] == {"meeting_id": ccb.meeting_id}

        ccb.vote(paul, first, "approve")
        assert [t["link"]["anchor"] for t in kinds(tasks_of(services, paul), "vote")] == [second]

    def test_a_decided_item_and_the_requesters_own_change_ask_for_nothing(
            self, services: Services) -> None:
        ccb = running_meeting(services, n_changes=1)
        for person in ccb.people[:3]:
            ccb.vote(person, ccb.changes[0], "approve")
        ccb.decide(ccb.changes[0])

        assert kinds(tasks_of(services, ccb.people[4]), "vote") == []
        assert kinds(tasks_of(services, ccb.requester), "vote") == []  # not on the board

    def test_an_absent_member_is_asked_to_check_in_and_a_proxy_holder_to_vote_for_the_grantor(
            self, services: Services) -> None:
        ccb = running_meeting(services, n_changes=1, attend=0)
        chair, paul, quinn = ccb.people[0], ccb.people[1], ccb.people[4]
        ccb.proxy(quinn, paul)
        ccb.attend(paul)

        assert [t["kind"] for t in tasks_of(services, chair)] == ["check_in"]
        votes = kinds(tasks_of(services, paul), "vote")
        assert [t["title"] for t in votes] == ["Vote on Change number 1",
                                               "Vote for Quinn QA (proxy) on Change number 1"]

        ccb.vote(paul, ccb.changes[0], "reject", on_behalf_of=quinn)
        assert [t["title"] for t in kinds(tasks_of(services, paul), "vote")] == [
            "Vote on Change number 1"]


class TestEmergencyApprovals:
    def test_board_members_but_not_the_requester_are_asked_until_they_approve(
            self, services: Services) -> None:
        ccb = running_meeting(services, n_changes=0, attend=0)
        change_id = ccb.submit(category="emergency", board_id=ccb.board_id,
                               title="Hotfix the payment API")
        sara = ccb.people[2]

        approvals = kinds(tasks_of(services, sara), "emergency_approval")
        assert [t["title"] for t in approvals] == ["Approve emergency change: Hotfix the "
                                                   "payment API"]
        assert approvals[0]["link"]["values"] == {"change_id": change_id}
        assert kinds(tasks_of(services, ccb.requester), "emergency_approval") == []

        with ccb.as_(sara):
            services.ccb.approve_emergency_change(change_id)
        assert kinds(tasks_of(services, sara), "emergency_approval") == []
        assert len(kinds(tasks_of(services, ccb.people[3]), "emergency_approval")) == 1


def on_call_team(services: Services, admin: dict[str, Any]) -> dict[str, Any]:
    people = [{**add_person(services, name=n), "name": n} for n in ("Ana", "Ben", "Cai")]
    with services.ledger.acting_as(admin["id"]):
        rotation = services.oncall.create_rotation(name="Platform", timezone="Europe/Berlin",
                                                   roster=[p["id"] for p in people])
        shifts = services.oncall.plan_rotation(rotation["id"], weeks=4)["shifts"]
    by_id = {p["id"]: p for p in people}
    return {"rotation_id": rotation["id"], "people": people, "shifts": shifts,
            "primary": by_id[shifts[0]["primary_id"]],
            "secondary": by_id[shifts[0]["secondary_id"]]}


class TestOnCall:
    def test_a_paged_person_sees_the_incident_unacknowledged_first_until_it_is_resolved(
            self, services: Services, admin: dict[str, Any], clock: FakeClock) -> None:
        team = on_call_team(services, admin)
        primary = team["primary"]
        with services.ledger.acting_as(admin["id"]):
            first = services.oncall.open_incident(team["rotation_id"], title="Checkout 500",
                                                  severity="P1", category="api")["id"]
        clock.advance(minutes=1)
        with services.ledger.acting_as(admin["id"]):
            second = services.oncall.open_incident(team["rotation_id"], title="Slow search",
                                                   severity="P3", category="api")["id"]
        with services.ledger.acting_as(primary["id"]):
            services.oncall.acknowledge_incident(second)

        clock.advance(minutes=20)
        incidents = kinds(tasks_of(services, primary), "incident")
        assert [t["link"]["values"]["incident_id"] for t in incidents] == [first, second]
        assert incidents[0]["title"] == "Acknowledge P1 incident: Checkout 500"
        assert incidents[0]["overdue"] is True  # past the acknowledgement target
        assert incidents[1]["due_at"] is None and incidents[1]["overdue"] is False
        others = [p for p in team["people"] if p["id"] not in (primary["id"],
                                                               team["secondary"]["id"])]
        assert kinds(tasks_of(services, others[0]), "incident") == []

        with services.ledger.acting_as(primary["id"]):
            services.oncall.resolve_incident(first, "rolled back")
        assert [t["link"]["values"]["incident_id"]
                for t in kinds(tasks_of(services, primary), "incident")] == [second]

    def test_current_and_next_shift_and_a_swap_request_addressed_to_me(
            self, services: Services, admin: dict[str, Any], clock: FakeClock) -> None:
        team = on_call_team(services, admin)
        shifts = team["shifts"]
        starts = shifts[0]["starts_at"]
        clock.now = (starts if isinstance(starts, datetime) else datetime.fromisoformat(starts)
                     ) + timedelta(hours=1)
        primary = team["primary"]

        mine = kinds(tasks_of(services, primary), "shift")
        assert mine[0]["title"] == "You are on call now: primary on Platform"
        assert len(mine) == 2 and mine[1]["title"].startswith("Your next shift: ")

        later = next(s for s in shifts[1:] if primary["id"] in (s["primary_id"],
                                                                 s["secondary_id"]))
        role = "primary" if later["primary_id"] == primary["id"] else "secondary"
        other = next(p for p in team["people"] if p["id"] not in (later["primary_id"],
                                                                   later["secondary_id"]))
        with services.ledger.acting_as(primary["id"]):
            services.oncall.request_swap(team["rotation_id"], later["week_start"], role,
                                         other["id"])
        swaps = kinds(tasks_of(services, other), "swap")
        assert [t["title"] for t in swaps] == [
            f"Swap request from {primary['name']}: their {role} week of {later['week_start']} "
            "on Platform"]
        assert swaps[0]["link"]["anchor"] == "swaps"
        assert kinds(tasks_of(services, primary), "swap") == []


class TestActionItems:
    def test_open_items_i_own_overdue_first_and_completed_ones_gone(
            self, services: Services, member: dict[str, Any], clock: FakeClock) -> None:
        other = add_person(services, name="Otto Other")
        today = clock.now.date()
        with services.ledger.acting_as(member["id"]):
            late = services.actions.create_action_item(title="Rotate the keys",
                                                       owner_id=member["id"], priority="P1",
                                                       due=today + timedelta(days=1))["id"]
            done = services.actions.create_action_item(title="Write the runbook",
                                                       owner_id=member["id"],
                                                       due=today + timedelta(days=2))["id"]
            soon = services.actions.create_action_item(title="Fix the alert",
                                                       owner_id=member["id"],
                                                       due=today + timedelta(days=9))["id"]
            services.actions.create_action_item(title="Not mine", owner_id=other["id"])
            services.actions.update_action_item_status(done, "completed", "done")
        clock.advance(days=3)

        items = kinds(tasks_of(services, member), "action_item")
        assert [t["link"]["values"]["item_id"] for t in items] == [late, soon]
        assert [t["overdue"] for t in items] == [True, False]
        assert items[0]["title"] == "P1 action item: Rotate the keys"


def vote_waiting(services: Services) -> tuple[Any, dict[str, Any]]:
    ccb = running_meeting(services, n_changes=1)
    return ccb, ccb.people[1]


class TestPagesAndApi:
    def test_the_home_page_lists_my_work_with_links_and_the_nav_shows_the_count(
            self, services: Services, client: FlaskClient) -> None:
        ccb, paul = vote_waiting(services)
        login(client, paul)

        page = client.get("/").get_data(as_text=True)

        assert 'id="tasks-vote"' in page
        assert f'href="/meetings/{ccb.meeting_id}#{ccb.changes[0]}"' in page
        assert "Vote on Change number 1" in page
        assert '<span class="count" aria-label="1 waiting">1</span>' in page
        other = client.get("/boards/").get_data(as_text=True)
        assert '<span class="count" aria-label="1 waiting">1</span>' in other

    def test_the_home_page_reuses_my_work_until_a_read_model_moves(
            self, services: Services, client: FlaskClient, clock: FakeClock,
            monkeypatch: pytest.MonkeyPatch) -> None:
        import web.tasks

        ccb, paul = vote_waiting(services)
        login(client, paul)
        worked_out: list[str] = []
        real = web.tasks.my_tasks

        def counted(engine: Any, person_id: str, *args: Any, **kwargs: Any) -> Any:
            worked_out.append(person_id)
            return real(engine, person_id, *args, **kwargs)

        monkeypatch.setattr(web.tasks, "my_tasks", counted)
        for _ in range(3):
            assert "Vote on Change number 1" in client.get("/").get_data(as_text=True)
        assert '<span class="count" aria-label="1 waiting">1</span>' in client.get(
            "/boards/").get_data(as_text=True)
        assert len(worked_out) == 1  # three home pages and a badge: one look

        ccb.vote(paul, ccb.changes[0], "approve")  # the read models move
        page = client.get("/").get_data(as_text=True)
        assert "Vote on Change number 1" not in page and 'id="tasks-vote"' not in page
        assert len(worked_out) == 2
        assert client.get("/api/v1/me/tasks", headers=bearer(paul)).get_json()["items"] == []
        assert len(worked_out) == 3  # the API always works them out

        clock.advance(minutes=1)  # the view's clock moved on: worked out again
        client.get("/")
        assert len(worked_out) == 4

    def test_the_api_answers_the_same_list_as_json(
            self, services: Services, client: FlaskClient, clock: FakeClock) -> None:
        ccb, paul = vote_waiting(services)

        body = client.get("/api/v1/me/tasks", headers=bearer(paul)).get_json()

        assert body["counts"]["vote"] == 1 and body["counts"]["total"] == 1
        assert body["counts"]["overdue"] == 0
        [task] = body["items"]
        meeting = get_meeting(services.engine, ccb.meeting_id)
        assert task == {"kind": "vote", "title": "Vote on Change number 1",
                        "detail": "meeting of Platform CCB",
                        "url": f"/meetings/{ccb.meeting_id}#{ccb.changes[0]}",
                        "due_at": meeting["scheduled_end"].isoformat(),
                        "due_label": "meeting ends", "overdue": False}
        assert datetime.fromisoformat(task["due_at"]).utcoffset() == timedelta(0)

    def test_as_of_judges_the_list_as_the_ledger_stood_then(
            self, services: Services, client: FlaskClient, clock: FakeClock) -> None:
        ccb, paul = vote_waiting(services)
        before = clock.now.isoformat()
        clock.advance(minutes=5)
        ccb.vote(paul, ccb.changes[0], "approve")

        now = client.get("/api/v1/me/tasks", headers=bearer(paul)).get_json()
        then = client.get("/api/v1/me/tasks", headers=bearer(paul),
                          query_string={"as_of": before}).get_json()

        assert now["counts"]["vote"] == 0
        assert then["counts"]["vote"] == 1
        assert then["as_of"].startswith(before[:19])

    def test_without_a_token_the_api_is_401(self, client: FlaskClient) -> None:
        assert client.get("/api/v1/me/tasks").status_code == 401


class TestReviewsAndProgramme:
    def test_the_next_review_of_a_launch_asks_the_owner_of_a_carried_item_for_an_update(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        other = add_person(services, name="Otto Other")
        launch = client.post("/api/v1/launches", headers=bearer(member), json={
            "name": "New checkout", "system": "checkout", "launch_date": "2026-03-02",
            "description": "The redesigned checkout."}).get_json()
        first = launch["reviews"][0]["id"]
        with services.ledger.acting_as(member["id"]):
            item = services.actions.create_action_item(
                title="Add a pool-size alert", owner_id=member["id"], source_type="launch",
                source_id=launch["id"])["id"]
            services.actions.create_action_item(title="Someone else's", owner_id=other["id"],
                                                source_type="launch", source_id=launch["id"])

        [task] = kinds(tasks_of(services, member), "review_update")
        assert task["title"] == ("Status update for 1 action item in the daily review of "
                                 "New checkout")
        assert task["link"]["values"] == {"review_id": first}
        assert task["detail"] == "Add a pool-size alert"

        client.post(f"/api/v1/reviews/{first}/status-updates", headers=bearer(member),
                    json={"item_id": item, "status": "in_progress", "note": "drafted"})
        assert kinds(tasks_of(services, member), "review_update") == []  # later reviews
        assert kinds(tasks_of(services, other), "review_update")[0]["link"]["values"] == {
            "review_id": first}  # ask once the first is finalised

    def test_programme_activities_i_own_until_completed(
            self, services: Services, admin: dict[str, Any], member: dict[str, Any]) -> None:
        from sqlalchemy import select

        from projections.programme.tables import programme_activities

        with services.ledger.acting_as(admin["id"]):
            services.programme.create_programme("Track 4")
        services.projections.catch_up()
        with services.engine.connect() as conn:
            activity_id, name = conn.execute(
                select(programme_activities.c.id, programme_activities.c.name)
                .order_by(programme_activities.c.position)).first()
        assert kinds(tasks_of(services, member), "activity") == []
        with services.ledger.acting_as(admin["id"]):
            services.programme.edit_activity(activity_id, owner_id=member["id"])

        [task] = kinds(tasks_of(services, member), "activity")
        assert task["title"] == f"Programme activity: {name}"
        assert task["link"]["anchor"] == activity_id and task["due_at"] is None


def test_an_invalid_as_of_is_a_422_page_with_the_count_still_shown(
        services: Services, client: FlaskClient) -> None:
    ccb, paul = vote_waiting(services)
    login(client, paul)

    response = client.get("/?as_of=yesterday")

    assert response.status_code == 422
    assert "<dt>Moment</dt>" in response.get_data(as_text=True)  # the as_of field, by its label
    assert 'aria-label="1 waiting"' in response.get_data(as_text=True)  # judged at now
    assert client.get("/api/v1/me/tasks", headers=bearer(paul),
                      query_string={"as_of": "yesterday"}).status_code == 422
