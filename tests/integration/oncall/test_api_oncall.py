"""The on-call JSON API on SQLite and PostgreSQL: rotations, calendars, incidents, runbooks."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from icalendar import Calendar

from domain.base import now
from tests.conftest import add_person, bearer, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock

UTC = timezone.utc


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.fixture
def crew(services: Services) -> list[dict[str, Any]]:
    """Five people for a rotation."""
    return [add_person(services, name=n) for n in ("Ana", "Ben", "Cai", "Dev", "Eli")]


@pytest.fixture
def rotation(client: FlaskClient, admin: dict[str, Any], crew: list[dict[str, Any]],
             clock: FakeClock) -> dict[str, Any]:
    """A Berlin rotation planned six weeks from the clock's Monday (2026-03-02)."""
    created = client.post("/api/v1/rotations", headers=bearer(admin), json={
        "name": "Platform", "timezone": "Europe/Berlin", "roster": [p["id"] for p in crew]})
    assert created.status_code == 201, created.get_data(as_text=True)
    planned = client.post(f"/api/v1/rotations/{created.get_json()['id']}/plan",
                          headers=bearer(admin), json={"weeks": 6})
    assert planned.status_code == 200, planned.get_data(as_text=True)
    return {**created.get_json(), "shifts": planned.get_json()["items"]}


class TestRotations:
    def test_who_is_on_call_at_a_moment(self, client: FlaskClient, member: dict[str, Any],
                                        rotation: dict[str, Any]) -> None:
        week = rotation["shifts"][1]

        response = client.get(f"/api/v1/rotations/{rotation['id']}/oncall"
                              "?at=2026-03-11T03:00:00Z", headers=bearer(member))

        assert response.status_code == 200
        body = response.get_json()
        assert (body["primary_id"], body["secondary_id"]) == (week["primary_id"],
                                                              week["secondary_id"])

    def test_a_moment_that_is_not_a_date_time_is_422(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any]) -> None:
        response = client.get(f"/api/v1/rotations/{rotation['id']}/oncall?at=tomorrow",
                              headers=bearer(member))

        assert "at" in assert_error(response, 422, "invalid_input")["details"]

    def test_before_the_plan_nobody_is_on_call_and_the_gap_is_reported(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any]) -> None:
        rid = rotation["id"]

        nobody = client.get(f"/api/v1/rotations/{rid}/oncall?at=2026-03-01T00:00:00Z",
                            headers=bearer(member)).get_json()
        gaps = client.get(f"/api/v1/rotations/{rid}/gaps?from=2026-03-01T00:00:00Z"
                          "&to=2026-04-20T00:00:00Z", headers=bearer(member)).get_json()

        assert nobody["primary_id"] is None and nobody["secondary_id"] is None
        assert [g["start"] for g in gaps["items"]] == ["2026-03-01T00:00:00+00:00",
                                                       "2026-04-13T07:00:00+00:00"]

    def test_the_fairness_report_counts_shifts_and_hours_per_person(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any]) -> None:
        report = client.get(f"/api/v1/rotations/{rotation['id']}/fairness",
                            headers=bearer(member)).get_json()["items"]

        primaries = sorted(r["primary_weeks"] for r in report)
        assert primaries == [1, 1, 1, 1, 2]
        assert all(r["weekend_hours"] >= 48 for r in report)

    def test_a_plan_that_cannot_be_fair_is_refused_with_the_week_and_nothing_appended(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            crew: list[dict[str, Any]]) -> None:
        rid = client.post("/api/v1/rotations", headers=bearer(admin), json={
            "name": "Pair", "timezone": "UTC",
            "roster": [crew[0]["id"], crew[1]["id"]]}).get_json()["id"]
        client.post(f"/api/v1/rotations/{rid}/unavailability", headers=bearer(admin),
                    json={"person_id": crew[1]["id"], "start": "2026-03-17",
                          "end": "2026-03-18"})
        before = event_count(services)

        response = client.post(f"/api/v1/rotations/{rid}/plan", headers=bearer(admin),
                               json={"weeks": 4})

        error = assert_error(response, 409, "plan_impossible")
        assert error["details"]["week"] == "2026-03-16"
        assert event_count(services) == before

    @pytest.mark.parametrize(("field", "value"), [("timezone", "Mars/Base"), ("roster", []),
                                                  ("handover_time", "25:00")])
    def test_bad_rotation_input_is_422_naming_the_field(
            self, client: FlaskClient, services: Services, admin: dict[str, Any],
            crew: list[dict[str, Any]], field: str, value: Any) -> None:
        body = {"name": "Ops", "timezone": "UTC", "roster": [p["id"] for p in crew], field: value}
        before = event_count(services)

        response = client.post("/api/v1/rotations", headers=bearer(admin), json=body)

        assert field in assert_error(response, 422, "invalid_input")["details"]
        assert event_count(services) == before

    def test_members_cannot_create_rotations(self, client: FlaskClient, member: dict[str, Any],
                                             crew: list[dict[str, Any]]) -> None:
        response = client.post("/api/v1/rotations", headers=bearer(member), json={
            "name": "Ops", "timezone": "UTC", "roster": [p["id"] for p in crew]})

        assert_error(response, 403, "role_required")

    def test_a_swap_accepted_by_the_counterpart_moves_shifts_and_notifies_both(
            self, client: FlaskClient, rotation: dict[str, Any],
            crew: list[dict[str, Any]]) -> None:
        by_id = {p["id"]: p for p in crew}
        week = rotation["shifts"][2]
        mine, theirs = by_id[week["primary_id"]], next(
            p for p in crew if p["id"] not in (week["primary_id"], week["secondary_id"]))
        swap = client.post(f"/api/v1/rotations/{rotation['id']}/swaps", headers=bearer(mine),
                           json={"week_start": week["week_start"], "role": "primary",
                                 "counterpart_id": theirs["id"], "reason": "wedding"})
        assert swap.status_code == 201, swap.get_data(as_text=True)

        stranger = client.post(f"/api/v1/rotations/{rotation['id']}/swaps/"
                               f"{swap.get_json()['id']}/accept", headers=bearer(mine))
        accepted = client.post(f"/api/v1/rotations/{rotation['id']}/swaps/"
                               f"{swap.get_json()['id']}/accept", headers=bearer(theirs))
        notices = client.get("/api/v1/rotations/notices", headers=bearer(mine)).get_json()

        assert_error(stranger, 409, "not_swap_counterpart")
        assert accepted.get_json()["status"] == "accepted"
        moved = [n for n in notices["items"] if n["cause"] == "swap"]
        assert moved == [{**moved[0], "week_start": week["week_start"], "change": "removed",
                          "role": "primary", "reason": "wedding"}]

    def test_an_override_needs_a_reason(self, client: FlaskClient, member: dict[str, Any],
                                        rotation: dict[str, Any]) -> None:
        week = rotation["shifts"][1]

        response = client.post(f"/api/v1/rotations/{rotation['id']}/overrides",
                               headers=bearer(member), json={
                                   "week_start": week["week_start"], "role": "primary",
                                   "person_id": member["id"]})

        assert "reason" in assert_error(response, 422, "invalid_input")["details"]


    def test_only_the_shift_holder_or_an_admin_may_override_it(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            rotation: dict[str, Any], crew: list[dict[str, Any]]) -> None:
        week = rotation["shifts"][1]
        holder = next(p for p in crew if p["id"] == week["primary_id"])
        body = {"week_start": week["week_start"], "role": "primary", "person_id": member["id"],
                "reason": "covering while Ana is ill"}
        before = event_count(services)

        refused = client.post(f"/api/v1/rotations/{rotation['id']}/overrides",
                              headers=bearer(member), json=body)
        assert event_count(services) == before
        done = client.post(f"/api/v1/rotations/{rotation['id']}/overrides",
                           headers=bearer(holder), json=body)
        oncall = client.get(f"/api/v1/rotations/{rotation['id']}/oncall",
                            query_string={"at": week["starts_at"]},
                            headers=bearer(member)).get_json()
        notices = client.get("/api/v1/rotations/notices", headers=bearer(member)).get_json()

        assert_error(refused, 403, "not_shift_holder")
        assert done.status_code == 200 and oncall["primary_id"] == member["id"]
        assert [(n["cause"], n["change"], n["reason"]) for n in notices["items"]] == [
            ("override", "assigned", "covering while Ana is ill")]

    def test_planning_warns_about_untrained_people_on_the_schedule(
            self, client: FlaskClient, admin: dict[str, Any], rotation: dict[str, Any]) -> None:
        response = client.post(f"/api/v1/rotations/{rotation['id']}/plan",
                               headers=bearer(admin), json={"weeks": 4})

        warnings = response.get_json()["warnings"]
        assert warnings and {w["training_status"] for w in warnings} == {"untrained"}


class TestCalendars:
    def test_calendar_clients_may_pass_the_token_in_the_query_string(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any]) -> None:
        url = f"/api/v1/rotations/{rotation['id']}/calendar.ics"

        anonymous = client.get(url)
        with_token = client.get(f"{url}?token={member['token']}")
        elsewhere = client.get(f"/api/v1/rotations/{rotation['id']}?token={member['token']}")

        assert anonymous.status_code == 401 and elsewhere.status_code == 401
        assert with_token.status_code == 200 and with_token.mimetype == "text/calendar"

    def test_the_rotation_feed_parses_back_event_by_event_with_stable_uids(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        url = f"/api/v1/rotations/{rotation['id']}/calendar.ics"
        first = Calendar.from_ical(client.get(url, headers=bearer(member)).data)
        client.post(f"/api/v1/rotations/{rotation['id']}/plan", headers=bearer(admin),
                    json={"weeks": 6, "start": "2026-03-09"})
        second = Calendar.from_ical(client.get(url, headers=bearer(member)).data)

        events = first.walk("VEVENT")
        assert len(events) == 12
        by_uid = {str(e["UID"]): e for e in events}
        for shift in rotation["shifts"]:
            primary = by_uid[f"{rotation['id']}-{shift['week_start']}-primary@govledger"]
            assert primary.decoded("DTSTART").astimezone(UTC) == datetime.fromisoformat(
                shift["starts_at"])
            assert primary.decoded("DTEND").astimezone(UTC) == datetime.fromisoformat(
                shift["ends_at"])
            assert str(primary.decoded("DTSTART").tzinfo) in ("Europe/Berlin", "CET")
        assert {str(e["UID"]) for e in second.walk("VEVENT")} >= set(by_uid)
        assert first.walk("VTIMEZONE")

    def test_the_rotation_feed_holds_the_shifts_of_its_window_only(
            self, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        for weeks, start in ((52, "2026-03-09"), (20, "2027-03-08")):
            planned = client.post(f"/api/v1/rotations/{rotation['id']}/plan",
                                  headers=bearer(admin), json={"weeks": weeks, "start": start})
            assert planned.status_code == 200, planned.get_json()
        url = f"/api/v1/rotations/{rotation['id']}/calendar.ics"

        events = Calendar.from_ical(client.get(url, headers=bearer(member)).data).walk("VEVENT")

        cut = now() + timedelta(days=366)
        starts = [e.decoded("DTSTART").astimezone(UTC) for e in events]
        assert starts and max(starts) < cut
        weeks = {str(e["UID"]).rsplit("-", 1)[0] for e in events}
        assert 50 <= len(weeks) < 72  # the weeks planned beyond a year ahead are left out

    def test_the_dst_week_ends_at_nine_local_after_167_hours(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any]) -> None:
        cal = Calendar.from_ical(client.get(f"/api/v1/rotations/{rotation['id']}/calendar.ics",
                                            headers=bearer(member)).data)

        dst = next(e for e in cal.walk("VEVENT")
                   if str(e["UID"]).endswith("-2026-03-23-primary@govledger"))
        start, end = dst.decoded("DTSTART"), dst.decoded("DTEND")
        assert (start.hour, end.hour) == (9, 9)
        assert end - start == timedelta(hours=167) or (
            end.astimezone(UTC) - start.astimezone(UTC)) == timedelta(hours=167)

    def test_a_person_feed_holds_only_their_shifts(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any],
            crew: list[dict[str, Any]]) -> None:
        person = crew[0]
        mine = [(s["week_start"], r) for s in rotation["shifts"] for r in ("primary",
                                                                            "secondary")
                if s[f"{r}_id"] == person["id"]]

        cal = Calendar.from_ical(client.get(
            f"/api/v1/rotations/people/{person['id']}/calendar.ics", headers=bearer(member)).data)

        uids = sorted(str(e["UID"]) for e in cal.walk("VEVENT"))
        assert uids == sorted(f"{rotation['id']}-{w}-{r}@govledger" for w, r in mine)


class TestIncidents:
    def test_open_acknowledge_resolve_derives_times_and_metrics(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any],
            clock: FakeClock) -> None:
        opened = client.post("/api/v1/incidents", headers=bearer(member), json={
            "rotation_id": rotation["id"], "title": "Login fails", "severity": "P1",
            "category": "authentication", "affected_users_percent": 12.5})
        assert opened.status_code == 201, opened.get_data(as_text=True)
        iid = opened.get_json()["id"]
        clock.advance(minutes=7)
        client.post(f"/api/v1/incidents/{iid}/acknowledge", headers=bearer(member))
        clock.advance(minutes=20)
        client.post(f"/api/v1/incidents/{iid}/mitigate", headers=bearer(member),
                    json={"note": "rolled back"})
        clock.advance(minutes=13)
        done = client.post(f"/api/v1/incidents/{iid}/resolve", headers=bearer(member),
                           json={"summary": "bad deploy"}).get_json()
        metrics = client.get("/api/v1/incidents/metrics?group_by=category",
                             headers=bearer(member)).get_json()

        assert done["status"] == "resolved"
        assert done["time_to_acknowledge_s"] == 420 and done["time_to_resolve_s"] == 2400
        assert done["ack_within_target"] is True
        assert [t["type"] for t in done["timeline"]] == [
            "opened", "paged", "acknowledged", "mitigated", "resolved"]
        assert metrics["items"] == [{"group": "authentication", "incidents": 1,
                                     "acknowledged": 1, "resolved": 1, "mtta_s": 420.0,
                                     "mttr_s": 2400.0, "ack_within_target": 1}]

    def test_metrics_follow_every_step_of_an_incident(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any],
            clock: FakeClock) -> None:
        """The page and the API keep the aggregate until the incidents' read model moves: each
        step shows at once, in the API and on the page."""
        login(client, member)

        def metrics() -> list[Any]:
            page = client.get("/oncall/incidents?group_by=severity").get_data(as_text=True)
            items = client.get("/api/v1/incidents/metrics?group_by=severity",
                               headers=bearer(member)).get_json()["items"]
            table = page.split('id="metrics"', 1)[1].split("</section>", 1)[0]
            return [re.findall(r"<tr><td>(P\d)</td><td>(\d+)</td>", table),
                    *[(m["group"], m["incidents"], m["acknowledged"], m["resolved"],
                       m["mtta_s"]) for m in items]]

        def opened(severity: str) -> str:
            answer = client.post("/api/v1/incidents", headers=bearer(member), json={
                "rotation_id": rotation["id"], "title": "Slow", "severity": severity,
                "category": "api"})
            assert answer.status_code == 201, answer.get_data(as_text=True)
            return str(answer.get_json()["id"])

        assert metrics() == [[]]
        first = opened("P2")
        assert metrics() == [[("P2", "1")], ("P2", 1, 0, 0, None)]
        clock.advance(minutes=3)
        client.post(f"/api/v1/incidents/{first}/acknowledge", headers=bearer(member))
        assert metrics() == [[("P2", "1")], ("P2", 1, 1, 0, 180.0)]
        opened("P1")
        opened("P2")
        assert metrics() == [[("P1", "1"), ("P2", "2")], ("P1", 1, 0, 0, None),
                             ("P2", 2, 1, 0, 180.0)]

    def test_a_reassessment_to_a_major_outage_escalates_and_bad_input_is_refused(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        iid = client.post("/api/v1/incidents", headers=bearer(member), json={
            "rotation_id": rotation["id"], "title": "Site down", "severity": "P1",
            "category": "api"}).get_json()["id"]
        before = event_count(services)

        bad = client.post(f"/api/v1/incidents/{iid}/assess", headers=bearer(member),
                          json={"severity": "P9"})
        unchanged = event_count(services)
        body = client.post(f"/api/v1/incidents/{iid}/assess", headers=bearer(member),
                           json={"severity": "P0", "affected_users_percent": 80}).get_json()

        assert "severity" in assert_error(bad, 422, "invalid_input")["details"]
        assert unchanged == before
        assert (body["severity"], body["level"]) == ("P0", "L3")
        assert body["timeline"][-1]["trigger"] == "major_outage"

    def test_auditors_cannot_open_incidents(self, client: FlaskClient, services: Services,
                                            auditor: dict[str, Any],
                                            rotation: dict[str, Any]) -> None:
        before = event_count(services)

        response = client.post("/api/v1/incidents", headers=bearer(auditor), json={
            "rotation_id": rotation["id"], "title": "Audit this", "severity": "P2",
            "category": "other"})

        assert_error(response, 403, "read_only_role")
        assert event_count(services) == before

    def test_acknowledging_twice_is_409_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            rotation: dict[str, Any]) -> None:
        iid = client.post("/api/v1/incidents", headers=bearer(member), json={
            "rotation_id": rotation["id"], "title": "DB slow", "severity": "P2",
            "category": "database"}).get_json()["id"]
        client.post(f"/api/v1/incidents/{iid}/acknowledge", headers=bearer(member))
        before = event_count(services)

        again = client.post(f"/api/v1/incidents/{iid}/acknowledge", headers=bearer(member))

        assert_error(again, 409, "incident_already_acknowledged")
        assert event_count(services) == before

    def test_manual_escalation_records_the_reason_and_pages_the_next_level(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any]) -> None:
        iid = client.post("/api/v1/incidents", headers=bearer(member), json={
            "rotation_id": rotation["id"], "title": "Payments stuck", "severity": "P1",
            "category": "payment"}).get_json()["id"]

        body = client.post(f"/api/v1/incidents/{iid}/escalate", headers=bearer(member),
                           json={"reason": "need the secondary's DB access"}).get_json()

        last = body["timeline"][-1]
        assert body["level"] == "L2"
        assert (last["trigger"], last["reason"]) == ("manual", "need the secondary's DB access")
        assert last["person_id"] == rotation["shifts"][0]["secondary_id"]

    @pytest.mark.parametrize(("field", "value"), [("severity", "P4"), ("category", "dns"),
                                                  ("affected_users_percent", 150)])
    def test_bad_incident_input_is_422(self, client: FlaskClient, services: Services,
                                       member: dict[str, Any], rotation: dict[str, Any],
                                       field: str, value: Any) -> None:
        body = {"rotation_id": rotation["id"], "title": "X happened", "severity": "P1",
                "category": "api", field: value}
        before = event_count(services)

        response = client.post("/api/v1/incidents", headers=bearer(member), json=body)

        assert field in assert_error(response, 422, "invalid_input")["details"]
        assert event_count(services) == before

    def test_a_drill_debrief_turns_improvements_into_action_items(
            self, client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any],
            services: Services) -> None:
        iid = client.post("/api/v1/incidents", headers=bearer(member), json={
            "rotation_id": rotation["id"], "title": "Drill: pool exhaustion", "severity": "P1",
            "category": "database", "practice": True}).get_json()["id"]
        client.post(f"/api/v1/incidents/{iid}/resolve", headers=bearer(member),
                    json={"summary": "done"})

        body = client.post(f"/api/v1/incidents/{iid}/debrief", headers=bearer(member), json={
            "summary": "Slow to find the dashboard", "improvements": [
                {"title": "Link the pool dashboard from the runbook", "owner_id": member["id"],
                 "priority": "P1"}]}).get_json()

        assert body["debrief"]["action_item_ids"]
        from sqlalchemy import select

        from projections.tables import metadata

        items = metadata.tables["rm_action_items"]
        with services.engine.connect() as conn:
            rows = list(conn.execute(select(items)))
        assert [(r.source_type, r.source_id) for r in rows] == [("drill", iid)]

    def test_a_real_incident_has_no_debrief(self, client: FlaskClient, member: dict[str, Any],
                                            rotation: dict[str, Any]) -> None:
        iid = client.post("/api/v1/incidents", headers=bearer(member), json={
            "rotation_id": rotation["id"], "title": "Real one", "severity": "P2",
            "category": "api"}).get_json()["id"]
        client.post(f"/api/v1/incidents/{iid}/resolve", headers=bearer(member),
                    json={"summary": "done"})

        response = client.post(f"/api/v1/incidents/{iid}/debrief", headers=bearer(member),
                               json={"summary": "n/a"})

        assert_error(response, 409, "not_a_drill")


class TestRunbooksAndTraining:
    def test_runbooks_are_versioned_signed_off_and_diffed(
            self, client: FlaskClient, member: dict[str, Any], services: Services) -> None:
        created = client.post("/api/v1/runbooks", headers=bearer(member), json={
            "category": "database", "title": "Database issues",
            "content": "# Database\n\n1. Check the pool\n"}).get_json()
        rid = created["id"]
        client.post(f"/api/v1/runbooks/{rid}/sign-offs", headers=bearer(member),
                    json={"kind": "reviewed"})
        revised = client.post(f"/api/v1/runbooks/{rid}/revisions", headers=bearer(member),
                              json={"content": "# Database\n\n1. Check the pool size\n",
                                    "summary": "be precise"}).get_json()
        diff = client.get(f"/api/v1/runbooks/{rid}/diff?from=1&to=2",
                          headers=bearer(member)).get_json()
        duplicate = client.post("/api/v1/runbooks", headers=bearer(member), json={
            "category": "database", "title": "Again", "content": "x"})

        assert revised["revision"] == 2 and revised["reviewed"] is False
        assert "-1. Check the pool\n" in diff["diff"] and "+1. Check the pool size\n" in diff[
            "diff"]
        assert_error(duplicate, 409, "runbook_exists")

    def test_training_status_is_derived_from_topics_attended(
            self, client: FlaskClient, member: dict[str, Any], crew: list[dict[str, Any]]) -> None:
        from domain.oncall.runbook import TRAINING_TOPICS

        client.post("/api/v1/trainings", headers=bearer(member), json={
            "title": "On-call basics", "held_on": str(date(2026, 3, 1)),
            "topics": list(TRAINING_TOPICS), "attendee_ids": [crew[0]["id"]]})
        client.post("/api/v1/trainings", headers=bearer(member), json={
            "title": "Rollbacks", "held_on": "2026-03-02", "topics": ["rollback"],
            "attendee_ids": [crew[1]["id"]]})

        status = {r["person_id"]: r["status"] for r in client.get(
            "/api/v1/trainings/status", headers=bearer(member)).get_json()["items"]}

        assert (status[crew[0]["id"]], status[crew[1]["id"]], status[crew[2]["id"]]) == (
            "trained", "partial", "untrained")


def test_every_oncall_route_is_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    for path in ("/rotations", "/rotations/{rotation_id}/oncall",
                 "/rotations/{rotation_id}/calendar.ics", "/incidents", "/runbooks",
                 "/trainings"):
        assert path in paths


def test_shifts_and_fairness_cover_the_last_year_unless_asked_for_more(
        client: FlaskClient, member: dict[str, Any], rotation: dict[str, Any],
        clock: FakeClock) -> None:
    """Without ``from``, the shifts and fairness APIs cover the last 52 weeks (a rotation's whole
    history grows without end); ``from`` reaches back as far as asked."""
    url = f"/api/v1/rotations/{rotation['id']}"
    planned = client.get(f"{url}/shifts", headers=bearer(member)).get_json()["items"]
    assert len(planned) == 6
    clock.advance(days=7 * 55)  # the six planned weeks are now 49-55 weeks ago

    recent = client.get(f"{url}/shifts", headers=bearer(member)).get_json()["items"]
    everything = client.get(f"{url}/shifts?from=2026-01-01T00:00:00Z",
                            headers=bearer(member)).get_json()["items"]
    cutoff = now() - timedelta(weeks=52)
    assert [s["week_start"] for s in recent] == [
        s["week_start"] for s in planned if datetime.fromisoformat(s["ends_at"]) > cutoff]
    assert 0 < len(recent) < 6
    assert [s["week_start"] for s in everything] == [s["week_start"] for s in planned]
    counted = sum(r["primary_weeks"] for r in client.get(
        f"{url}/fairness", headers=bearer(member)).get_json()["items"])
    assert 0 < counted < 6
    assert sum(r["primary_weeks"] for r in client.get(
        f"{url}/fairness?from=2026-01-01T00:00:00Z", headers=bearer(member)).get_json()[
        "items"]) == 6
