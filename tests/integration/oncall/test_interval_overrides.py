"""Interval overrides through the API and the forms, on SQLite and PostgreSQL (issue 16): any
interval inside a shift (Tuesday 18:00 to Wednesday 09:00), honoured by who-is-on-call, the
calendar feeds (split events), the fairness report (hours, for the person who covered), the
coverage report and the paging of incidents opened during it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from icalendar import Calendar

from app.oncall.escalations import tick
from tests.conftest import add_person, bearer, csrf_token, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock

UTC = timezone.utc
WEEK = "2026-03-09"
TUESDAY_18 = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
WEDNESDAY_09 = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
INTERVAL = {"starts_at": "2026-03-10T18:00:00+01:00", "ends_at": "2026-03-11T09:00:00+01:00"}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def crew(services: Services) -> list[dict[str, Any]]:
    return [{**add_person(services, name=n), "name": n}
            for n in ("Ana", "Ben", "Cai", "Dev", "Eli")]


@pytest.fixture
def rotation(client: FlaskClient, admin: dict[str, Any], crew: list[dict[str, Any]],
             clock: FakeClock) -> dict[str, Any]:
    """A Berlin rotation planned four weeks from Monday 2026-03-02."""
    rid = client.post("/api/v1/rotations", headers=bearer(admin), json={
        "name": "Platform", "timezone": "Europe/Berlin",
        "roster": [p["id"] for p in crew]}).get_json()["id"]
    shifts = client.post(f"/api/v1/rotations/{rid}/plan", headers=bearer(admin),
                         json={"weeks": 4}).get_json()["items"]
    shift = next(s for s in shifts if s["week_start"] == WEEK)
    cover = next(p for p in crew if p["id"] not in (shift["primary_id"], shift["secondary_id"]))
    return {"id": rid, "shift": shift, "cover": cover, "crew": crew}


def override(client: FlaskClient, person: dict[str, Any], rotation: dict[str, Any],
             role: str = "primary", who: dict[str, Any] | None = None, **body: Any) -> Any:
    return client.post(f"/api/v1/rotations/{rotation['id']}/overrides", headers=bearer(person),
                       json={"role": role, "person_id": (who or rotation["cover"])["id"],
                             "reason": "Ana has a school concert", **INTERVAL, **body})


def oncall(client: FlaskClient, person: dict[str, Any], rotation: dict[str, Any],
           at: datetime) -> dict[str, Any]:
    response = client.get(f"/api/v1/rotations/{rotation['id']}/oncall?at={iso(at)}",
                          headers=bearer(person))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


class TestThroughTheApi:
    def test_who_is_on_call_honours_the_interval_and_the_schedule_outside_it(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        shift, cover = rotation["shift"], rotation["cover"]

        response = override(client, admin, rotation)

        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["override"]["person_id"] == cover["id"]
        assert body["override"]["replaced_id"] == shift["primary_id"]
        assert body["shift"]["primary_id"] == shift["primary_id"]  # the week itself stays
        minute = timedelta(minutes=1)
        before = oncall(client, member, rotation, TUESDAY_18 - minute)
        during = oncall(client, member, rotation, TUESDAY_18 + timedelta(hours=7))
        after = oncall(client, member, rotation, WEDNESDAY_09)
        assert before["primary_id"] == after["primary_id"] == shift["primary_id"]
        assert during["primary_id"] == cover["id"]
        assert during["secondary_id"] == shift["secondary_id"]
        assert [o["reason"] for o in during["overrides"]] == ["Ana has a school concert"]
        assert after["overrides"] == []

    def test_the_holder_of_the_shift_may_override_it_but_not_someone_else(
            self, client: FlaskClient, services: Services, rotation: dict[str, Any]) -> None:
        crew = {p["id"]: p for p in rotation["crew"]}
        holder = crew[rotation["shift"]["primary_id"]]
        before = event_count(services)

        stranger = override(client, rotation["cover"], rotation)
        assert stranger.status_code == 403 and event_count(services) == before
        assert override(client, holder, rotation).status_code == 200

    @pytest.mark.parametrize(("body", "status", "code"), [
        ({"ends_at": "2026-03-10T17:00:00+01:00"}, 422, "ends_at"),
        ({"ends_at": None}, 422, "ends_at"),
        ({"week_start": WEEK}, 422, "week_start"),
        ({"starts_at": None, "ends_at": None}, 422, "week_start"),
        ({"reason": ""}, 422, "reason"),
        ({"starts_at": "2026-03-16T07:00:00+01:00", "ends_at": "2026-03-16T10:00:00+01:00"},
         409, "override_outside_shift"),
        ({"starts_at": "2026-03-01T07:00:00Z", "ends_at": "2026-03-01T10:00:00Z"},
         409, "override_in_past"),
        ({"who": "secondary"}, 409, "primary_is_secondary"),
        ({"who": "primary"}, 409, "already_on_shift"),
    ])
    def test_bad_overrides_are_refused_naming_the_field_or_rule_and_append_nothing(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            rotation: dict[str, Any], body: dict[str, Any], status: int, code: str) -> None:
        body = dict(body)  # the parameters are shared by both backends' runs
        who = body.pop("who", None)
        person = {"id": rotation["shift"][f"{who}_id"]} if who else None
        before = event_count(services)

        response = override(client, admin, rotation, who=person, **body)

        assert response.status_code == status, response.get_json()
        error = response.get_json()["error"]
        assert (code in error["details"]) if status == 422 else error["code"] == code
        assert event_count(services) == before

    def test_the_whole_shift_override_keeps_working(self, client: FlaskClient,
                                                    admin: dict[str, Any],
                                                    member: dict[str, Any],
                                                    rotation: dict[str, Any]) -> None:
        response = client.post(f"/api/v1/rotations/{rotation['id']}/overrides",
                               headers=bearer(admin), json={
                                   "week_start": WEEK, "role": "primary",
                                   "person_id": rotation["cover"]["id"], "reason": "all week"})

        assert response.status_code == 200, response.get_json()
        assert response.get_json()["shift"]["primary_id"] == rotation["cover"]["id"]
        assert oncall(client, member, rotation, WEDNESDAY_09 + timedelta(days=2))[
            "primary_id"] == rotation["cover"]["id"]

    def test_the_calendar_feeds_split_the_shift_around_the_override(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        rid, shift, cover = rotation["id"], rotation["shift"], rotation["cover"]
        cover_id = override(client, admin, rotation).get_json()["override"]["id"]

        feed = Calendar.from_ical(client.get(f"/api/v1/rotations/{rid}/calendar.ics",
                                             headers=bearer(member)).data)
        events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
        assert len(events) == 4 * 2 + 2  # the week's primary slot is now three events

        def span(uid: str) -> tuple[datetime, datetime]:
            e = events[uid]
            return (e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC))

        first = f"{rid}-{WEEK}-primary@govledger"
        rest = f"{rid}-{WEEK}-primary-20260311T080000Z@govledger"
        assert span(first) == (datetime.fromisoformat(shift["starts_at"]), TUESDAY_18)
        assert span(f"override-{cover_id}@govledger") == (TUESDAY_18, WEDNESDAY_09)
        assert span(rest) == (WEDNESDAY_09, datetime.fromisoformat(shift["ends_at"]))
        assert "(override): " + cover["name"] in str(events[f"override-{cover_id}@govledger"][
            "SUMMARY"])

        mine = Calendar.from_ical(client.get(
            f"/api/v1/rotations/people/{cover['id']}/calendar.ics",
            headers=bearer(member)).data)
        theirs = Calendar.from_ical(client.get(
            f"/api/v1/rotations/people/{shift['primary_id']}/calendar.ics",
            headers=bearer(member)).data)
        assert f"override-{cover_id}@govledger" in {str(e["UID"]) for e in mine.walk("VEVENT")}
        their_uids = {str(e["UID"]) for e in theirs.walk("VEVENT")}
        assert {first, rest} <= their_uids
        assert f"override-{cover_id}@govledger" not in their_uids

    def test_the_fairness_report_counts_the_covered_hours_for_the_person_who_covered(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        url = f"/api/v1/rotations/{rotation['id']}/fairness"
        before = {r["person_id"]: r for r in client.get(url, headers=bearer(member))
                  .get_json()["items"]}
        override(client, admin, rotation)
        after = {r["person_id"]: r for r in client.get(url, headers=bearer(member))
                 .get_json()["items"]}

        cover, holder = rotation["cover"]["id"], rotation["shift"]["primary_id"]
        assert after[cover]["covered_hours"] == 15.0
        assert after[cover]["primary_hours"] == before[cover]["primary_hours"] + 15
        assert after[holder]["primary_hours"] == before[holder]["primary_hours"] - 15
        assert after[holder]["covered_by_others_hours"] == 15.0
        assert after[cover]["night_hours"] == before[cover]["night_hours"] + 8  # 22:00–06:00
        assert after[holder]["primary_weeks"] == before[holder]["primary_weeks"]  # scheduled

    def test_paging_during_the_interval_goes_to_the_covering_people(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            rotation: dict[str, Any], clock: FakeClock) -> None:
        crew = {p["id"]: p for p in rotation["crew"]}
        shift = rotation["shift"]
        secondary_cover = next(p for p in rotation["crew"] if p["id"] not in (
            shift["primary_id"], shift["secondary_id"], rotation["cover"]["id"]))
        assert override(client, admin, rotation).status_code == 200
        assert override(client, admin, rotation, role="secondary",
                        who=secondary_cover).status_code == 200
        clock.now = TUESDAY_18 + timedelta(hours=2)

        opened = client.post("/api/v1/incidents", headers=bearer(admin), json={
            "rotation_id": rotation["id"], "title": "Checkout errors", "severity": "P1",
            "category": "payment"})
        assert opened.status_code == 201, opened.get_json()
        incident = opened.get_json()
        clock.advance(minutes=16)
        tick(services)

        timeline = client.get(f"/api/v1/incidents/{incident['id']}",
                              headers=bearer(admin)).get_json()["timeline"]
        paged = [(t["type"], t["person_id"]) for t in timeline if t["type"] in (
            "paged", "escalated")]
        assert paged == [("paged", rotation["cover"]["id"]),
                         ("escalated", secondary_cover["id"])]
        assert crew[shift["primary_id"]]["id"] not in {p for _, p in paged}

    def test_an_override_fills_part_of_a_vacant_shift_in_the_coverage_report(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        shift = rotation["shift"]
        holder = shift["primary_id"]
        roster = [p["id"] for p in rotation["crew"] if p["id"] != holder]
        assert client.put(f"/api/v1/rotations/{rotation['id']}/roster", headers=bearer(admin),
                          json={"roster": roster}).status_code == 200
        assert override(client, admin, rotation).status_code == 200

        gaps = client.get(f"/api/v1/rotations/{rotation['id']}/gaps?from={shift['starts_at']}"
                          f"&to={shift['ends_at']}".replace("+00:00", "Z"),
                          headers=bearer(member)).get_json()["items"]
        primary_gaps = [(g["start"], g["end"]) for g in gaps if "primary" in g["missing"]]
        assert primary_gaps == [(shift["starts_at"], TUESDAY_18.isoformat()),
                                (WEDNESDAY_09.isoformat(), shift["ends_at"])]


class TestThroughTheForms:
    def test_the_form_records_an_interval_and_the_page_shows_it(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        login(client, admin)
        page = f"/oncall/rotations/{rotation['id']}"

        response = client.post(f"{page}/override", data={
            "csrf_token": csrf_token(client, page), "role": "primary",
            "person_id": rotation["cover"]["id"], "starts_at": "2026-03-10T17:00",
            "ends_at": "2026-03-11T08:00", "reason": "Ana has a school concert"})

        assert response.status_code == 302, response.get_data(as_text=True)[:800]
        html = client.get(page).get_data(as_text=True)
        section = html[html.index('id="overrides"'):html.index('id="gaps"')]
        assert "Ana has a school concert" in section and rotation["cover"]["name"] in section
        during = oncall(client, admin, rotation, TUESDAY_18)
        assert during["primary_id"] == rotation["cover"]["id"]
        assert len(during["overrides"]) == 1

    def test_a_form_interval_ending_before_it_starts_is_shown_next_to_the_field(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        login(client, admin)
        page = f"/oncall/rotations/{rotation['id']}"
        before = event_count(services)

        response = client.post(f"{page}/override", data={
            "csrf_token": csrf_token(client, page), "role": "primary",
            "person_id": rotation["cover"]["id"], "starts_at": "2026-03-11T08:00",
            "ends_at": "2026-03-10T17:00", "reason": "backwards"})

        assert response.status_code == 422
        assert 'id="ends_at-error"' in response.get_data(as_text=True)
        assert event_count(services) == before


def test_both_people_get_a_notice_with_the_interval(client: FlaskClient, admin: dict[str, Any],
                                                    rotation: dict[str, Any]) -> None:
    assert override(client, admin, rotation).status_code == 200
    crew = {p["id"]: p for p in rotation["crew"]}
    holder = crew[rotation["shift"]["primary_id"]]

    mine = client.get("/api/v1/rotations/notices", headers=bearer(rotation["cover"])).get_json()
    theirs = client.get("/api/v1/rotations/notices", headers=bearer(holder)).get_json()

    [gained] = [n for n in mine["items"] if n["cause"] == "partial_override"]
    [lost] = [n for n in theirs["items"] if n["cause"] == "partial_override"]
    assert (gained["change"], lost["change"]) == ("assigned", "removed")
    assert gained["starts_at"] == lost["starts_at"] == TUESDAY_18.isoformat()
    assert gained["ends_at"] == WEDNESDAY_09.isoformat()
    assert gained["reason"] == "Ana has a school concert"
    login(client, rotation["cover"])
    html = client.get("/oncall/").get_data(as_text=True)
    assert "partial override" in html


class TestWithdrawing:
    def test_an_override_not_started_is_withdrawn_and_the_scheduled_person_is_back(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            member: dict[str, Any], rotation: dict[str, Any]) -> None:
        cover_id = override(client, admin, rotation).get_json()["override"]["id"]
        url = f"/api/v1/rotations/{rotation['id']}/overrides/{cover_id}/cancel"
        before = event_count(services)
        assert client.post(url, headers=bearer(admin), json={}).status_code == 422
        assert client.post(url, headers=bearer(member), json={
            "reason": "not mine"}).status_code == 403
        assert event_count(services) == before

        response = client.post(url, headers=bearer(rotation["cover"]),
                               json={"reason": "the concert moved"})

        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == "cancelled"
        during = oncall(client, member, rotation, TUESDAY_18)
        assert during["primary_id"] == rotation["shift"]["primary_id"]
        assert during["overrides"] == []
        again = client.post(url, headers=bearer(admin), json={"reason": "twice"})
        assert again.status_code == 409
        assert again.get_json()["error"]["code"] == "override_not_found"
        # the interval is free again: a new override of it is accepted
        assert override(client, admin, rotation).status_code == 200

    def test_an_override_in_progress_ends_now_and_the_served_part_stays(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any],
            rotation: dict[str, Any], clock: FakeClock) -> None:
        cover_id = override(client, admin, rotation).get_json()["override"]["id"]
        clock.now = TUESDAY_18 + timedelta(hours=3)
        url = f"/api/v1/rotations/{rotation['id']}/overrides/{cover_id}/cancel"

        response = client.post(url, headers=bearer(admin), json={"reason": "home early"})

        assert response.get_json()["status"] == "ended"
        assert response.get_json()["ends_at"] == (TUESDAY_18 + timedelta(hours=3)).isoformat()
        assert oncall(client, member, rotation, TUESDAY_18 + timedelta(hours=1))[
            "primary_id"] == rotation["cover"]["id"]
        assert oncall(client, member, rotation, TUESDAY_18 + timedelta(hours=4))[
            "primary_id"] == rotation["shift"]["primary_id"]
        clock.now = WEDNESDAY_09
        over = client.post(url, headers=bearer(admin), json={"reason": "too late"})
        assert over.status_code == 409 and over.get_json()["error"]["code"] == "override_ended"

    def test_the_rotation_page_withdraws_with_a_reason(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        cover_id = override(client, admin, rotation).get_json()["override"]["id"]
        login(client, admin)
        page = f"/oncall/rotations/{rotation['id']}"
        assert "Withdraw" in client.get(page).get_data(as_text=True)

        missing = client.post(f"{page}/overrides/{cover_id}/cancel",
                              data={"csrf_token": csrf_token(client, page)})
        done = client.post(f"{page}/overrides/{cover_id}/cancel",
                           data={"csrf_token": csrf_token(client, page),
                                 "reason": "the concert moved"})

        assert missing.status_code == 422
        assert "Please correct the override withdrawal form" in missing.get_data(as_text=True)
        assert done.status_code == 302
        assert oncall(client, member, rotation, TUESDAY_18)["overrides"] == []
