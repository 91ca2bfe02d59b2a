"""Private calendar feeds: a secret, revocable URL per person, no session needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.notifications.calendar_feed import CalendarFeed
from tests.conftest import bearer

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def primary_of(team: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in team["people"] if p["id"] == team["primary"])


def test_a_feed_url_serves_the_persons_shifts_without_a_session(
        client: FlaskClient, team: dict[str, Any], services: Services) -> None:
    person = primary_of(team)

    issued = client.post(f"/api/v1/people/{person['id']}/calendar-feed", headers=bearer(person))
    feed = client.get(issued.get_json()["path"])

    assert issued.status_code == 201
    assert issued.get_json()["token"].startswith("glc_")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert "BEGIN:VCALENDAR" in body and "BEGIN:VEVENT" in body
    history = services.ledger.history(CalendarFeed, CalendarFeed.create_id(person["id"]))
    assert issued.get_json()["token"] not in str(history)


def test_a_revoked_or_replaced_feed_url_stops_working(
        client: FlaskClient, team: dict[str, Any]) -> None:
    person = primary_of(team)
    url = f"/api/v1/people/{person['id']}/calendar-feed"

    first = client.post(url, headers=bearer(person)).get_json()["path"]
    second = client.post(url, headers=bearer(person)).get_json()["path"]
    replaced = client.get(first).status_code
    working = client.get(second).status_code
    revoked = client.delete(url, headers=bearer(person))
    after = client.get(second).status_code

    assert (replaced, working, revoked.status_code, after) == (404, 200, 200, 404)
    assert client.get("/calendar/glc_nonsense.ics").status_code == 404


def test_only_the_person_or_an_admin_issues_a_feed(
        client: FlaskClient, team: dict[str, Any]) -> None:
    person = primary_of(team)
    other = next(p for p in team["people"] if p["id"] != person["id"])

    refused = client.post(f"/api/v1/people/{person['id']}/calendar-feed", headers=bearer(other))
    by_admin = client.post(f"/api/v1/people/{person['id']}/calendar-feed",
                           headers=bearer(team["admin"]))

    assert (refused.status_code, by_admin.status_code) == (403, 201)


def test_revoking_without_a_feed_is_404(client: FlaskClient, team: dict[str, Any]) -> None:
    person = primary_of(team)

    response = client.delete(f"/api/v1/people/{person['id']}/calendar-feed",
                             headers=bearer(person))

    assert response.status_code == 404
