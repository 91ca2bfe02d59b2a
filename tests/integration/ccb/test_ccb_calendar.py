"""Change calendar: freeze windows refuse normal changes (not emergencies); the deployment gate."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from domain.base import now
from tests.conftest import bearer, event_count, login, valid_change
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

FREEZE = {"title": "Quarter-end freeze", "start": "2026-04-01T00:00:00Z",
          "end": "2026-04-02T00:00:00Z", "systems": ["billing-db"],
          "reason": "finance closes the books"}


def api(client: FlaskClient, person: dict[str, Any], method: str, url: str,
        json: Any = None) -> Any:
    return client.open(f"/api/v1{url}", method=method, json=json, headers=bearer(person))


def approved_change(services: Services) -> Any:
    ccb = running_meeting(services)
    ccb.vote(ccb.people[1], ccb.changes[0], "approve")
    ccb.decide(ccb.changes[0])
    return ccb


def test_a_normal_change_inside_a_freeze_is_refused_but_an_emergency_is_not(
        client: FlaskClient, services: Services, admin: dict[str, Any],
        member: dict[str, Any]) -> None:
    assert api(client, admin, "POST", "/freeze-windows", FREEZE).status_code == 201
    before = event_count(services)

    refused = api(client, member, "POST", "/change-requests", valid_change())
    emergency = api(client, member, "POST", "/change-requests", valid_change(
        category="emergency"))

    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "freeze_window"
    assert emergency.status_code == 201
    assert event_count(services) == before + 1


def test_approving_a_change_inside_a_freeze_is_refused(
        client: FlaskClient, services: Services) -> None:
    ccb = running_meeting(services)
    ccb.vote(ccb.people[1], ccb.changes[0], "approve")
    assert api(client, ccb.admin, "POST", "/freeze-windows", FREEZE).status_code == 201
    before = event_count(services)

    response = api(client, ccb.chair, "POST",
                   f"/meetings/{ccb.meeting_id}/items/{ccb.changes[0]}/decide")

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "freeze_window"
    assert event_count(services) == before


def test_the_gate_opens_only_for_an_approved_change_inside_its_window(
        client: FlaskClient, services: Services, clock: Any) -> None:
    ccb = approved_change(services)
    change = ccb.changes[0]
    early = api(client, ccb.chair, "GET", f"/change-requests/{change}/gate")
    clock.now = datetime(2026, 4, 1, 10, 30, tzinfo=timezone.utc)

    inside = api(client, ccb.chair, "GET", f"/change-requests/{change}/gate")

    assert early.status_code == 409
    assert early.get_json()["error"]["code"] == "outside_window"
    assert inside.status_code == 200
    assert inside.get_json()["decisions"][0]["outcome"] == "approved"
    other = ccb.submit(title="Not approved yet")
    closed = api(client, ccb.chair, "GET", f"/change-requests/{other}/gate")
    assert closed.get_json()["error"]["code"] == "not_approved"


def two_approved_changes(services: Services) -> Any:
    """A meeting that approved two changes on the same system in the same window."""
    ccb = running_meeting(services, n_changes=2)
    for change in ccb.changes:
        ccb.vote(ccb.people[1], change, "approve")
        ccb.decide(change)
    return ccb


def test_the_calendar_flags_overlapping_changes_on_the_same_system(
        client: FlaskClient, services: Services) -> None:
    ccb = two_approved_changes(services)

    calendar = api(client, ccb.chair, "GET", "/change-calendar").get_json()

    assert len(calendar["changes"]) == 2
    assert calendar["conflicts"] == [{"kind": "overlap", "change_request_ids": [
        c["id"] for c in calendar["changes"]], "systems": ["billing-db"]}]


def test_the_calendar_shows_a_bounded_range_of_windows(
        client: FlaskClient, services: Services) -> None:
    ccb = two_approved_changes(services)
    at = now()

    default = api(client, ccb.chair, "GET", "/change-calendar").get_json()
    april = api(client, ccb.chair, "GET",
                "/change-calendar?from=2026-04-01T11:00:00Z&to=2026-04-02").get_json()
    later = api(client, ccb.chair, "GET", "/change-calendar?from=2026-04-01T12:00:00Z").get_json()
    before = api(client, ccb.chair, "GET", "/change-calendar?to=2026-04-01T10:00:00Z").get_json()

    start, end = (datetime.fromisoformat(default[k]) for k in ("from", "to"))
    assert start == at - timedelta(days=31)
    assert end - start == timedelta(days=31 + 92)
    assert (april["from"], april["to"]) == ("2026-04-01T11:00:00+00:00",
                                            "2026-04-02T23:59:59.999999+00:00")
    assert len(april["changes"]) == 2 and len(april["conflicts"]) == 1
    assert later["changes"] == [] and later["conflicts"] == []
    assert later["to"] == "2026-07-02T12:00:00+00:00"  # 92 days after a lone `from`
    assert before["changes"] == []
    assert before["from"] == "2025-11-29T10:00:00+00:00"  # 123 days before a lone `to`


def test_a_range_too_long_or_backwards_is_refused_naming_the_field(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    before = event_count(services)

    long = api(client, member, "GET", "/change-calendar?from=2026-01-01&to=2027-01-03")
    backwards = api(client, member, "GET", "/change-calendar?from=2026-05-01&to=2026-04-01")
    garbled = api(client, member, "GET", "/change-calendar?from=soon")
    edge = api(client, member, "GET", "/change-calendar?to=0001-01-02")
    login(client, member)
    page = client.get("/change-calendar?view=list&from=2026-01-01&to=2027-06-01")
    listed = client.get("/change-calendar?view=list&from=2026-03-20&to=2026-04-30")

    assert long.status_code == backwards.status_code == garbled.status_code == 422
    assert "at most 366 days" in str(long.get_json()["error"]["details"]["to"])
    assert "after from" in str(backwards.get_json()["error"]["details"]["to"])
    assert "from" in garbled.get_json()["error"]["details"]
    assert edge.status_code == 422 and "to" in edge.get_json()["error"]["details"]
    assert api(client, member, "GET",
               "/change-calendar?from=2026-01-01&to=2027-01-01").status_code == 200
    assert page.status_code == 422 and "at most 366 days" in page.get_data(as_text=True)
    assert listed.status_code == 200
    assert 'name="from" value="2026-03-20"' in listed.get_data(as_text=True)
    assert event_count(services) == before


def test_the_calendar_as_of_a_moment_shows_the_range_around_that_moment(
        client: FlaskClient, services: Services, clock: Any) -> None:
    ccb = two_approved_changes(services)
    services.audit.seal(force=True)
    then = now()
    clock.advance(days=200)
    moment = f"{then:%Y-%m-%dT%H:%M:%SZ}"

    api_then = api(client, ccb.chair, "GET", f"/change-calendar?as_of={moment}")
    login(client, ccb.chair)
    page_then = client.get(f"/change-calendar?view=list&as_of={moment}")

    assert api_then.status_code == 200, api_then.get_json()
    assert datetime.fromisoformat(api_then.get_json()["from"]) == then - timedelta(days=31)
    assert len(api_then.get_json()["changes"]) == 2
    assert page_then.status_code == 200
    assert f'name="from" value="{(then - timedelta(days=31)):%Y-%m-%d}"' in page_then.get_data(
        as_text=True)
