"""Review pages: launch form, schedule changes, the review forms, finalise refusal, dashboard."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from tests.conftest import csrf_token, event_count, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def launch_via_form(client: FlaskClient) -> str:
    response = client.post("/launches/", data={
        "name": "Search v2", "system": "search", "launch_date": "2026-03-02",
        "uptime_min": "99.5", "error_rate_max": "", "p95_max_ms": "800",
        "csrf_token": csrf_token(client, "/launches/")})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def first_review(client: FlaskClient, launch_id: str) -> str:
    html = client.get(f"/launches/{launch_id}").get_data(as_text=True)
    return re.findall(r'href="/reviews/([0-9a-f-]{36})"', html)[0]


def test_the_launch_form_names_the_field_and_keeps_the_input(
        client: FlaskClient, member: dict[str, Any]) -> None:
    login(client, member)

    response = client.post("/launches/", data={
        "name": "Search v2", "system": "", "launch_date": "someday",
        "csrf_token": csrf_token(client, "/launches/")})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="launch_date-error"' in html and 'value="Search v2"' in html


def test_a_member_records_a_review_through_the_forms_and_finalises_it(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    login(client, member)
    launch_id = launch_via_form(client)
    review = first_review(client, launch_id)
    path = f"/reviews/{review}"
    with services.ledger.acting_as(member["id"]):
        item = services.actions.create_action_item(title="Tune the index", owner_id=member["id"],
                                                   source_type="launch", source_id=launch_id)
        services.actions.create_action_item(title="Unrelated to this launch",
                                            owner_id=member["id"], source_type="incident")
    token = csrf_token(client, path)

    bad = client.post(f"{path}/metrics", data={"uptime_pct": "abc", "csrf_token": token})
    assert bad.status_code == 422 and 'id="uptime_pct-error"' in bad.get_data(as_text=True)
    client.post(f"{path}/metrics", data={"uptime_pct": "99.7", "error_rate_pct": "0.2",
                                         "p95_ms": "640", "active_users": "120",
                                         "tickets_high": "2", "csrf_token": token})
    before = event_count(services)
    refused = client.post(f"{path}/finalise", data={"csrf_token": token}, follow_redirects=True)
    assert "Not finalised" in refused.get_data(as_text=True)
    assert "Tune the index" in refused.get_data(as_text=True)
    assert "Unrelated to this launch" not in refused.get_data(as_text=True)
    assert event_count(services) == before
    client.post(f"{path}/status-updates", data={"item_id": item["id"], "status": "in_progress",
                                                "note": "shards resized", "csrf_token": token})
    client.post(f"{path}/notes", data={"backlog": "Warm the cache\nTrim logs",
                                       "positive": "fast", "negative": "", "focus_areas": "p95",
                                       "next_review_date": "", "csrf_token": token})
    done = client.post(f"{path}/finalise", data={"csrf_token": token}, follow_redirects=True)

    html = done.get_data(as_text=True)
    assert "Review finalised." in html
    assert "≥ 99.5%" in html and "&lt; 800ms" in html  # the launch's own targets
    assert html.count('<span class="met">met</span>') == 3 and "missed" not in html
    document = client.get(f"{path}?tab=document").get_data(as_text=True)
    assert ("<h3>Continuous Improvement Backlog</h3>\n<ul>\n<li>Warm the cache</li>\n"
            "<li>Trim logs</li>") in document
    markdown = client.get(f"{path}/document.md").get_data(as_text=True)
    assert "## Continuous Improvement Backlog\n- Warm the cache\n- Trim logs" in markdown
    assert client.get(f"{path}?tab=history").status_code == 200


def test_moving_and_cancelling_from_the_schedule(
        client: FlaskClient, member: dict[str, Any]) -> None:
    login(client, member)
    launch_id = launch_via_form(client)
    review = first_review(client, launch_id)
    token = csrf_token(client, f"/launches/{launch_id}")

    missing = client.post(f"/reviews/{review}/cancel", data={"reason": "", "csrf_token": token})
    client.post(f"/reviews/{review}/move", data={"scheduled_for": "2026-03-04",
                                                 "reason": "", "csrf_token": token})
    html = client.get(f"/launches/{launch_id}").get_data(as_text=True)

    assert missing.status_code == 422
    assert "moved from 2026-03-03" in html


def test_the_dashboard_draws_charts_with_their_numbers(
        client: FlaskClient, member: dict[str, Any], clock: Any) -> None:
    login(client, member)
    launch_id = launch_via_form(client)
    review = first_review(client, launch_id)
    token = csrf_token(client, f"/reviews/{review}")
    client.post(f"/reviews/{review}/metrics", data={"uptime_pct": "99.91", "p95_ms": "700",
                                                    "csrf_token": token})
    clock.advance(days=3)

    html = client.get(f"/launches/{launch_id}/dashboard").get_data(as_text=True)

    assert html.count("<svg") >= 5 and "<polyline" in html
    assert 'id="dashboard-numbers"' in html and "99.91" in html
    assert client.get("/reviews/").status_code == 200
    assert client.get(f"/reviews/{review}/document.md").mimetype == "text/markdown"


def test_auditors_read_reviews_and_items_without_any_form(
        client: FlaskClient, services: Services, member: dict[str, Any],
        auditor: dict[str, Any]) -> None:
    with services.ledger.acting_as(member["id"]):
        launch = services.reviews.record_launch(name="Search v2", system="search",
                                               launch_date=date(2026, 3, 2))
        item = services.actions.create_action_item(title="Tune", owner_id=member["id"])
    login(client, {**auditor, "password": "correct-horse-battery"})

    pages = [f"/reviews/{launch['review_ids'][0]}", f"/launches/{launch['id']}", "/launches/",
             f"/action-items/{item['id']}"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert 'method="post"' not in html.replace(
            'action="/auth/logout"', "").split("<main")[1], path


def test_the_backlog_form_carries_over_the_previous_reviews_backlog(
        client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    with services.ledger.acting_as(member["id"]):
        launch = services.reviews.record_launch(name="Search v2", system="search",
                                               launch_date=date(2026, 3, 2))
        first, second = launch["review_ids"][:2]
        services.reviews.record_review_notes(first, backlog=["Warm the cache"], positive=[],
                                            negative=[], next_review_date=None, focus_areas=[])
    login(client, member)

    html = client.get(f"/reviews/{second}").get_data(as_text=True)

    assert re.search(r'<textarea id="backlog"[^>]*>Warm the cache</textarea>', html)
