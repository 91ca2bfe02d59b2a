"""Deferrals at close are decisions: the decision log lists them with outcome ``deferred``."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.ccb import queries as q
from app.ccb.exports import decision_log_csv, decision_log_json
from projections.ccb.tables import decisions
from tests.conftest import bearer, login
from tests.integration.ccb.test_ccb_minutes import realistic_meeting
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def test_an_item_deferred_by_the_timebox_is_a_row_of_the_decision_log(
        services: Services, clock: Any) -> None:
    ccb = realistic_meeting(services, clock)
    services.projections.catch_up()

    rows = q.list_decisions(services.engine, board_id=ccb.board_id)

    assert [r["outcome"] for r in rows] == ["approved", "approved", "deferred"]
    deferred = rows[-1]
    assert deferred["change_request_title"] == "Launch the new onboarding flow"
    assert deferred["reason"] == "timebox" and deferred["kind"] == "meeting"
    assert deferred["decided_by"] == ccb.chair["id"]
    assert deferred["tally"] == {"approve": 0, "reject": 0, "abstain": 0}
    assert deferred["quorum"]["met"] is True and len(deferred["quorum"]["present"]) == 4
    assert deferred["meeting_id"] == ccb.meeting_id
    evidence = deferred["evidence"]
    assert evidence["event_versions"][-1] == evidence["decision_version"]
    assert [r["reason"] for r in rows[:2]] == [None, None]


def test_votes_cast_before_the_close_are_the_tally_so_far_and_rest_under_the_deferral(
        services: Services) -> None:
    ccb = running_meeting(services, n_changes=2, attend=2)
    first, second = ccb.changes
    ccb.vote(ccb.people[1], first, "approve")
    ccb.vote(ccb.people[0], first, "reject")
    ccb.vote(ccb.people[0], first, "abstain")
    with ccb.as_(ccb.chair):
        services.ccb.close_meeting(ccb.meeting_id)
    services.projections.catch_up()

    rows = {r["change_request_id"]: r for r in q.list_decisions(services.engine,
                                                                 outcome="deferred")}

    assert set(rows) == {first, second}
    row = rows[first]
    assert row["reason"] == "not_decided_before_close"
    assert row["tally"] == {"approve": 1, "reject": 0, "abstain": 1}
    assert row["quorum"]["met"] is False and row["quorum"]["counted"] == 2
    assert {v["member_id"] for v in row["votes"]} == {ccb.people[0]["id"], ccb.people[1]["id"]}
    vote_versions = {v["version"] for v in row["votes"]}
    assert vote_versions <= set(row["evidence"]["event_versions"])
    assert q.list_decisions(services.engine, outcome="approved") == []


def test_the_exports_carry_the_deferral_and_its_reason(services: Services, clock: Any) -> None:
    realistic_meeting(services, clock)
    services.projections.catch_up()
    rows = q.list_decisions(services.engine)

    lines = list(csv.DictReader(io.StringIO(decision_log_csv(rows))))
    document = json.loads(decision_log_json(rows))

    assert [(line["outcome"], line["reason"]) for line in lines] == [
        ("approved", ""), ("approved", ""), ("deferred", "timebox")]
    assert lines[-1]["quorum_met"] == "True" and lines[-1]["approve"] == "0"
    assert document["items"][-1]["outcome"] == "deferred"
    assert document["items"][-1]["reason"] == "timebox"


def test_the_decision_log_page_and_api_filter_deferrals(
        client: FlaskClient, services: Services, clock: Any) -> None:
    ccb = realistic_meeting(services, clock)
    login(client, ccb.chair)

    page = client.get("/decision-log?outcome=deferred").get_data(as_text=True)
    api = client.get("/api/v1/decision-log?outcome=deferred",
                     headers=bearer(ccb.chair)).get_json()

    assert "Launch the new onboarding flow" in page and "time-box exceeded" in page
    assert "Upgrade payments-db" not in page
    assert [i["reason"] for i in api["items"]] == ["timebox"] and api["total"] == 1


def test_a_rebuild_reproduces_the_deferral_rows(services: Services, clock: Any) -> None:
    realistic_meeting(services, clock)
    services.projections.catch_up()
    with services.engine.connect() as conn:
        before = [tuple(r) for r in conn.execute(select(decisions).order_by(decisions.c.id))]

    services.projections.rebuild()

    with services.engine.connect() as conn:
        after = [tuple(r) for r in conn.execute(select(decisions).order_by(decisions.c.id))]
    assert after == before
    reasons = [r[decisions.c.keys().index("reason")] for r in after]
    assert sorted(reasons, key=str) == [None, None, "timebox"]
