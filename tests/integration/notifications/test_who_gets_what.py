"""Who gets what, and people's preferences: action items, swaps, and paging that cannot be
switched off while on call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.notifications.worker import Worker
from tests.conftest import bearer
from tests.integration.notifications.conftest import open_incident

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock
    from tests.support.receivers import SmtpServer


def raise_item(services: Services, team: dict[str, Any], owner: dict[str, Any]) -> str:
    with services.ledger.acting_as(team["admin"]["id"]):
        return services.actions.create_action_item(title="Rotate the TLS certificates",
                                                   owner_id=owner["id"], priority="P1")["id"]


class TestWhoGetsWhat:
    def test_the_owner_of_a_new_action_item_is_told(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            clock: FakeClock) -> None:
        owner = team["lead"]
        item_id = raise_item(services, team, owner)

        Worker(services).tick(clock.now)

        [message] = smtp.to(owner["email"])
        assert "Action item assigned to you: Rotate the TLS certificates" in message["Subject"]
        assert f"/action-items/{item_id}" in message.get_body(("plain",)).get_content()

    def test_a_swap_request_tells_the_colleague_and_its_acceptance_the_requester(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            clock: FakeClock) -> None:
        services.projections.catch_up()
        from app.oncall.queries import list_shifts

        shift = list_shifts(services.engine, team["rotation_id"])[1]
        requester, counterpart = shift["primary_id"], next(
            p["id"] for p in team["people"]
            if p["id"] not in (shift["primary_id"], shift["secondary_id"]))
        with services.ledger.acting_as(requester):
            swap = services.oncall.request_swap(team["rotation_id"], shift["week_start"],
                                                "primary", counterpart)
        worker = Worker(services)
        worker.tick(clock.now)
        asked = smtp.to(team["emails"][counterpart])
        with services.ledger.acting_as(counterpart):
            services.oncall.accept_swap(team["rotation_id"], swap["id"])
        worker.tick(clock.now)

        assert [m["Subject"] for m in asked] == ["A colleague asks you to take a shift"]
        [accepted] = smtp.to(team["emails"][requester])
        assert accepted["Subject"] == "Your shift swap was accepted"


class TestReminders:
    def test_the_owner_is_reminded_the_day_before_and_once_overdue_each_once(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            clock: FakeClock) -> None:
        from datetime import timedelta

        owner = team["lead"]
        tomorrow = clock.now.date() + timedelta(days=1)
        with services.ledger.acting_as(team["admin"]["id"]):
            services.actions.create_action_item(title="Renew the domain", owner_id=owner["id"],
                                                priority="P2", due=tomorrow)
        worker = Worker(services)

        worker.tick(clock.now)
        worker.tick(clock.now + timedelta(hours=2))
        day_before = [m["Subject"] for m in smtp.to(owner["email"])]
        worker.tick(clock.now + timedelta(days=2))
        worker.tick(clock.now + timedelta(days=2, hours=1))

        assert day_before == ["Action item assigned to you: Renew the domain",
                              "Action item is due tomorrow: Renew the domain"]
        assert [m["Subject"] for m in smtp.to(owner["email"])][2:] == [
            "Action item is overdue: Renew the domain"]

    def test_a_completed_item_is_not_reminded(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            clock: FakeClock) -> None:
        from datetime import timedelta

        owner = team["lead"]
        with services.ledger.acting_as(team["admin"]["id"]):
            item = services.actions.create_action_item(
                title="Renew the domain", owner_id=owner["id"], priority="P2",
                due=clock.now.date() + timedelta(days=1))
        with services.ledger.acting_as(owner["id"]):
            services.actions.update_action_item_status(item["id"], "completed", note="done")

        Worker(services).tick(clock.now + timedelta(days=3))

        assert [m["Subject"] for m in smtp.to(owner["email"])] == [
            "Action item assigned to you: Renew the domain"]


class TestPreferences:
    def test_a_muted_kind_is_not_sent(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            clock: FakeClock, client: FlaskClient) -> None:
        owner = team["lead"]
        response = client.put(f"/api/v1/people/{owner['id']}/notification-preferences",
                              headers=bearer(owner), json={"muted": ["action_item.assigned"]})
        raise_item(services, team, owner)

        Worker(services).tick(clock.now)

        assert response.status_code == 200
        assert response.get_json() == {"person_id": owner["id"],
                                       "muted": ["action_item.assigned"]}
        assert smtp.to(owner["email"]) == []

    def test_someone_on_a_rotation_cannot_switch_paging_off(
            self, team: dict[str, Any], client: FlaskClient) -> None:
        primary = next(p for p in team["people"] if p["id"] == team["primary"])

        response = client.put(f"/api/v1/people/{primary['id']}/notification-preferences",
                              headers=bearer(primary), json={"muted": ["incident.paged"]})
        kept = client.get(f"/api/v1/people/{primary['id']}/notification-preferences",
                          headers=bearer(primary))

        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "paging_required"
        assert kept.get_json()["muted"] == []

    def test_a_page_is_sent_whatever_the_preferences_say(
            self, services: Services, team: dict[str, Any], smtp: SmtpServer,
            clock: FakeClock) -> None:
        primary = team["primary"]
        with services.ledger.acting_as(team["admin"]["id"]):
            services.notifications.set_preferences(primary, ["incident.paged"], on_call=False)
        open_incident(services, team)

        Worker(services).tick(clock.now)

        assert len(smtp.to(team["primary_email"])) == 1

    def test_only_admins_change_someone_elses_preferences(
            self, team: dict[str, Any], client: FlaskClient) -> None:
        other = team["lead"]

        response = client.put(f"/api/v1/people/{other['id']}/notification-preferences",
                              headers=bearer(team["people"][0]), json={"muted": []})

        assert response.status_code == 403
