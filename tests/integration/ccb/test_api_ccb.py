"""The Change Control Board's JSON API: the contract's routes, shapes and every 409 rule code."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

import pytest

from tests.conftest import bearer, event_count, valid_change
from tests.support.ccb import Ccb, make_ccb, running_meeting

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def call(client: FlaskClient, person: dict[str, Any], method: str, url: str,
         json: dict[str, Any] | None = None) -> Any:
    return client.open(f"/api/v1{url}", method=method, json=json, headers=bearer(person))


class TestTheContract:
    def test_an_admin_creates_a_board_with_charter_defaults_and_overrides(
            self, client: FlaskClient, services: Services) -> None:
        ccb = make_ccb(services)

        response = call(client, ccb.admin, "POST", "/boards", {
            "name": "Data CCB", "chair_id": ccb.people[2]["id"], "members": ccb.ids()[1:4],
            "charter": {"tie_breaker": "status_quo", "timezone": "Europe/Paris"}})

        assert response.status_code == 201, response.get_json()
        board = response.get_json()
        assert board["id"] and board["charter"]["tie_breaker"] == "status_quo"
        assert board["charter"]["quorum_min_functions"] == 3
        assert {m["function"] for m in board["members"]} == {"product", "security", "devops"}

    def test_a_member_may_not_create_a_board(self, client: FlaskClient,
                                             services: Services) -> None:
        ccb = make_ccb(services)

        response = call(client, ccb.chair, "POST", "/boards", {
            "name": "Mine", "chair_id": ccb.chair["id"], "members": ccb.ids()})

        assert response.status_code == 403

    def test_invalid_board_input_names_the_fields(self, client: FlaskClient,
                                                  services: Services) -> None:
        ccb = make_ccb(services)
        before = event_count(services)

        response = call(client, ccb.admin, "POST", "/boards", {
            "name": "X", "chair_id": "nope", "members": [],
            "charter": {"tie_breaker": "coin", "timezone": "Mars/Olympus"}})

        assert response.status_code == 422
        details = response.get_json()["error"]["details"]
        assert {"name", "chair_id", "members", "charter"} <= set(details)
        assert set(details["charter"]) == {"tie_breaker", "timezone"}
        assert event_count(services) == before

    def test_a_meeting_runs_end_to_end_through_the_api(self, client: FlaskClient,
                                                        services: Services) -> None:
        ccb = make_ccb(services)
        change = call(client, ccb.requester, "POST", "/change-requests",
                      valid_change()).get_json()["id"]
        meeting = call(client, ccb.chair, "POST", f"/boards/{ccb.board_id}/meetings",
                       {"scheduled_start": "2026-03-04T14:00:00Z"})
        assert meeting.status_code == 201
        m = meeting.get_json()["id"]
        assert call(client, ccb.chair, "POST", f"/meetings/{m}/agenda",
                    {"change_request_id": change}).status_code == 201
        assert call(client, ccb.chair, "POST", f"/meetings/{m}/open").status_code == 200
        for person in ccb.people[:4]:
            assert call(client, person, "POST", f"/meetings/{m}/attendance", {
                "person_id": person["id"], "mode": "remote",
                "recording_url": "https://meet.example.org/r/1"}).status_code == 201
        proxy = call(client, ccb.people[4], "POST", f"/meetings/{m}/proxies", {
            "grantor_id": ccb.people[4]["id"], "holder_id": ccb.people[1]["id"]})
        assert proxy.status_code == 201 and proxy.get_json()["id"]
        votes = [(ccb.people[1], "approve", None), (ccb.people[1], "approve", ccb.people[4]),
                 (ccb.people[2], "reject", None), (ccb.people[3], "abstain", None)]
        for person, choice, grantor in votes:
            body = {"choice": choice, **({"on_behalf_of": grantor["id"]} if grantor else {})}
            assert call(client, person, "POST", f"/meetings/{m}/items/{change}/votes",
                        body).status_code == 201

        decided = call(client, ccb.chair, "POST", f"/meetings/{m}/items/{change}/decide")

        assert decided.status_code == 200, decided.get_json()
        body = decided.get_json()
        assert body["outcome"] == "approved"
        assert body["tally"] == {"approve": 2, "reject": 1, "abstain": 1}
        assert body["quorum"]["met"] is True
        assert body["quorum"]["proxies"] == [{"grantor_id": ccb.people[4]["id"],
                                              "holder_id": ccb.people[1]["id"]}]
        assert "tie_break" not in body
        cr = call(client, ccb.chair, "GET", f"/change-requests/{change}").get_json()
        assert cr["status"] == "approved"
        log = call(client, ccb.chair, "GET", f"/decision-log?board_id={ccb.board_id}")
        assert [d["outcome"] for d in log.get_json()["items"]] == ["approved"]
        csv = call(client, ccb.chair, "GET", "/decision-log?format=csv")
        assert csv.mimetype == "text/csv" and change in csv.get_data(as_text=True)
        minutes = call(client, ccb.chair, "GET", f"/meetings/{m}/minutes")
        assert minutes.mimetype == "text/markdown"
        assert "APPROVED" in minutes.get_data(as_text=True)
        assert call(client, ccb.chair, "POST", f"/meetings/{m}/close").status_code == 200

    def test_the_charter_in_force_at_a_past_moment(self, client: FlaskClient,
                                                   services: Services, clock: Any) -> None:
        ccb = make_ccb(services)
        clock.advance(days=2)
        amended = call(client, ccb.chair, "POST", f"/boards/{ccb.board_id}/charter", {
            "charter": {"tie_breaker": "defer"}, "reason": "too many casting votes"})
        assert amended.status_code == 200, amended.get_json()

        then = call(client, ccb.chair, "GET",
                    f"/boards/{ccb.board_id}/charter?at=2026-03-03T00:00:00Z").get_json()
        current = call(client, ccb.chair, "GET", f"/boards/{ccb.board_id}/charter").get_json()

        assert then["charter"]["tie_breaker"] == "chair"
        assert current["charter"]["tie_breaker"] == "defer"
        assert current["reason"] == "too many casting votes"

    def test_emergency_approvals_return_status_and_approvals(
            self, client: FlaskClient, services: Services) -> None:
        ccb = make_ccb(services)
        change = ccb.submit(category="emergency", board_id=ccb.board_id)

        first = call(client, ccb.chair, "POST", f"/change-requests/{change}/emergency-approvals")
        second = call(client, ccb.people[3], "POST",
                      f"/change-requests/{change}/emergency-approvals")

        assert first.status_code == 200 and first.get_json()["status"] == "submitted"
        body = second.get_json()
        assert body["status"] == "approved"
        assert [a["capacity"] for a in body["approvals"]] == ["chair", "member"]
        log = call(client, ccb.chair, "GET", "/decision-log?flagged=true").get_json()
        assert [d["kind"] for d in log["items"]] == ["emergency"]

    def test_a_series_follows_the_cadence_in_the_board_time_zone_and_feeds_the_calendar(
            self, client: FlaskClient, services: Services) -> None:
        ccb = make_ccb(services, charter={"timezone": "Europe/Berlin"})

        response = call(client, ccb.chair, "POST", f"/boards/{ccb.board_id}/meeting-series",
                        {"first_day": "2026-03-02", "count": 3})

        assert response.status_code == 201, response.get_json()
        starts = [m["scheduled_start"] for m in response.get_json()["meetings"]]
        assert starts == ["2026-03-04T13:00:00+00:00", "2026-03-18T13:00:00+00:00",
                          "2026-04-01T12:00:00+00:00"]  # 14:00 Berlin, before and after DST
        feed = call(client, ccb.chair, "GET", f"/boards/{ccb.board_id}/calendar.ics")
        assert feed.mimetype == "text/calendar"
        from icalendar import Calendar

        events = Calendar.from_ical(feed.get_data()).walk("VEVENT")
        assert [e.decoded("dtstart").isoformat() for e in events] == starts

    def test_the_calendar_feed_leaves_out_meetings_older_than_its_window(
            self, client: FlaskClient, services: Services, clock: Any) -> None:
        from icalendar import Calendar

        ccb = make_ccb(services)
        created = call(client, ccb.chair, "POST", f"/boards/{ccb.board_id}/meeting-series",
                       {"first_day": "2026-03-02", "count": 6}).get_json()["meetings"]
        starts = [m["scheduled_start"] for m in created]
        clock.advance(days=92 + 30)  # past the first three (fortnightly) meetings' window

        feed = call(client, ccb.chair, "GET", f"/boards/{ccb.board_id}/calendar.ics")

        shown = [e.decoded("dtstart").isoformat()
                 for e in Calendar.from_ical(feed.get_data()).walk("VEVENT")]
        cut = (clock.now - timedelta(days=92)).isoformat()
        assert shown == [s for s in starts if s >= cut]
        assert 0 < len(shown) < len(starts)

    def test_the_decision_log_as_of_a_past_moment_and_by_date(
            self, client: FlaskClient, services: Services, clock: Any) -> None:
        ccb = running_meeting(services, n_changes=2)
        ccb.vote(ccb.people[1], ccb.changes[0], "approve")
        ccb.decide(ccb.changes[0])
        between = clock.now.isoformat()
        clock.advance(days=1)
        ccb.vote(ccb.people[1], ccb.changes[1], "reject")
        ccb.decide(ccb.changes[1])

        def outcomes(query: str) -> list[str]:
            response = call(client, ccb.chair, "GET", f"/decision-log?{query}")
            assert response.status_code == 200, response.get_json()
            return [d["outcome"] for d in response.get_json()["items"]]

        from urllib.parse import quote

        assert outcomes("") == ["approved", "rejected"]
        assert outcomes(f"as_of={quote(between)}") == ["approved"]
        assert outcomes("outcome=rejected") == ["rejected"]
        assert outcomes("from=2026-03-03") == ["rejected"]
        assert outcomes("to=2026-03-02") == ["approved"]
        assert call(client, ccb.chair, "GET", "/decision-log?outcome=maybe").status_code == 422

    def test_the_openapi_document_lists_the_board_routes(self, client: FlaskClient) -> None:
        spec = client.get("/api/v1/openapi.json").get_json()

        for path in ("/boards", "/meetings/{meeting_id}/items/{change_id}/decide",
                     "/decision-log", "/meetings/{meeting_id}/minutes"):
            assert path in spec["paths"]


# -- one example per 409 code, each proving nothing was appended ----------------------------------

Arrange = Callable[[Ccb], tuple[dict[str, Any], str, str, dict[str, Any] | None]]


def _vote_url(ccb: Ccb) -> str:
    return f"/meetings/{ccb.meeting_id}/items/{ccb.changes[0]}/votes"


def _decide_url(ccb: Ccb) -> str:
    return f"/meetings/{ccb.meeting_id}/items/{ccb.changes[0]}/decide"


def quorum_not_met(ccb: Ccb) -> Any:
    return ccb.chair, "POST", _decide_url(ccb), None


def not_a_member(ccb: Ccb) -> Any:
    return ccb.requester, "POST", _vote_url(ccb), {"choice": "approve"}


def not_present(ccb: Ccb) -> Any:
    return ccb.people[4], "POST", _vote_url(ccb), {"choice": "approve"}


def meeting_not_open(ccb: Ccb) -> Any:
    with ccb.as_(ccb.chair):
        ccb.services.ccb.close_meeting(ccb.meeting_id)
    return ccb.people[1], "POST", _vote_url(ccb), {"choice": "approve"}


def proxy_chain(ccb: Ccb) -> Any:
    ccb.proxy(ccb.people[3], ccb.people[4])
    return ccb.people[4], "POST", f"/meetings/{ccb.meeting_id}/proxies", {
        "grantor_id": ccb.people[4]["id"], "holder_id": ccb.people[0]["id"]}


def proxy_already_given(ccb: Ccb) -> Any:
    ccb.proxy(ccb.people[4], ccb.people[0])
    return ccb.people[4], "POST", f"/meetings/{ccb.meeting_id}/proxies", {
        "grantor_id": ccb.people[4]["id"], "holder_id": ccb.people[1]["id"]}


def proxy_holder_absent(ccb: Ccb) -> Any:
    ccb.proxy(ccb.people[4], ccb.people[3])
    return ccb.people[3], "POST", _vote_url(ccb), {"choice": "approve",
                                                    "on_behalf_of": ccb.people[4]["id"]}


def grantor_present(ccb: Ccb) -> Any:
    return ccb.people[1], "POST", f"/meetings/{ccb.meeting_id}/proxies", {
        "grantor_id": ccb.people[1]["id"], "holder_id": ccb.people[0]["id"]}


def requester_cannot_vote(ccb: Ccb) -> Any:
    change = ccb.submit(by=ccb.people[1], title="The product owner's own change")
    ccb.add(change)
    return ccb.people[1], "POST", f"/meetings/{ccb.meeting_id}/items/{change}/votes", {
        "choice": "approve"}


def already_decided(ccb: Ccb) -> Any:
    for person in ccb.people[2:4]:
        ccb.attend(person)
    ccb.vote(ccb.people[1], ccb.changes[0], "approve")
    ccb.decide(ccb.changes[0])
    return ccb.people[1], "POST", _vote_url(ccb), {"choice": "reject"}


def not_on_agenda(ccb: Ccb) -> Any:
    other = ccb.submit(title="Not on the agenda")
    return ccb.people[1], "POST", f"/meetings/{ccb.meeting_id}/items/{other}/votes", {
        "choice": "approve"}


def not_chair(ccb: Ccb) -> Any:
    return ccb.people[1], "POST", f"/meetings/{ccb.meeting_id}/close", None


def self_approval(ccb: Ccb) -> Any:
    change = ccb.submit(by=ccb.people[2], category="emergency", board_id=ccb.board_id)
    return ccb.people[2], "POST", f"/change-requests/{change}/emergency-approvals", None


def awaiting_casting_vote(ccb: Ccb) -> Any:
    for person in ccb.people[2:4]:
        ccb.attend(person)
    ccb.vote(ccb.people[1], ccb.changes[0], "approve")
    ccb.vote(ccb.people[2], ccb.changes[0], "reject")
    return ccb.chair, "POST", _decide_url(ccb), None


def not_emergency(ccb: Ccb) -> Any:
    return ccb.chair, "POST", f"/change-requests/{ccb.changes[0]}/emergency-approvals", None


CASES = [quorum_not_met, not_a_member, not_present, meeting_not_open, proxy_chain,
         proxy_already_given, proxy_holder_absent, grantor_present, requester_cannot_vote,
         already_decided, not_on_agenda, not_chair, self_approval, awaiting_casting_vote,
         not_emergency]


@pytest.mark.parametrize("arrange", CASES, ids=[c.__name__ for c in CASES])
def test_a_refused_command_answers_409_with_the_rule_and_appends_nothing(
        client: FlaskClient, services: Services, arrange: Arrange) -> None:
    ccb = running_meeting(services, attend=2)
    person, method, url, body = arrange(ccb)
    before = event_count(services)

    response = call(client, person, method, url, body)

    assert response.status_code == 409, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == arrange.__name__ and error["message"]
    assert event_count(services) == before
