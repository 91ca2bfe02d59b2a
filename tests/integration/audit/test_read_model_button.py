"""The audit page's "Check the read models" button: the check of ``verify --read-models``,
for auditors and admins, POST with CSRF, showing OK or the table and row of the difference."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from tests.conftest import bearer, csrf_token, login, valid_change

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def run_check(client: FlaskClient) -> str:
    response = client.post("/audit/read-models",
                           data={"csrf_token": csrf_token(client, "/audit/")})
    assert response.status_code == 302, response.get_data(as_text=True)
    deadline = time.monotonic() + 30
    while True:
        html = client.get(response.headers["Location"]).get_data(as_text=True)
        if "Replaying the log" not in html or time.monotonic() > deadline:
            return html
        time.sleep(0.1)


def test_the_button_shows_ok_then_names_the_table_and_row_of_a_forged_cell(
        client: FlaskClient, member: dict[str, Any], auditor: dict[str, Any],
        services: Services) -> None:
    cid = client.post("/api/v1/change-requests", json=valid_change(title="Real title"),
                      headers=bearer(member)).get_json()["id"]
    login(client, auditor)
    assert "Check the read models" in client.get("/audit/").get_data(as_text=True)

    assert "<strong>OK.</strong>" in run_check(client)

    with services.engine.begin() as conn:
        conn.execute(text("UPDATE rm_change_requests SET title = 'Forged' WHERE id = :i"),
                     {"i": cid})
    html = run_check(client)

    assert "Read models differ" in html
    assert "rm_change_requests" in html and cid in html
    assert "Forged" in html and "Real title" in html and "What to do next" in html


def test_the_check_needs_csrf_and_the_auditor_or_admin_role(
        client: FlaskClient, member: dict[str, Any]) -> None:
    login(client, member)

    no_token = client.post("/audit/read-models")
    as_member = client.post("/audit/read-models",
                            data={"csrf_token": csrf_token(client, "/audit/sample")})

    assert no_token.status_code == 400
    assert as_member.status_code == 403
    assert "Check the read models" not in client.get("/audit/").get_data(as_text=True)


def test_a_bad_bundle_range_shows_the_audit_page_again_with_the_message(
        client: FlaskClient, auditor: dict[str, Any]) -> None:
    login(client, auditor)

    backwards = client.get("/audit/bundle?from=2026-03-10&to=2026-03-01")
    garbled = client.get("/audit/bundle?from=yesterday&to=2026-03-01")

    assert backwards.status_code == 422 and backwards.mimetype == "text/html"
    page = backwards.get_data(as_text=True)
    assert "To date: Must not be before the from date." in page
    assert 'value="2026-03-10"' in page and "Compliance export" in page  # input kept
    assert garbled.status_code == 422
    assert "From date: Not an ISO 8601 date or date-time" in garbled.get_data(as_text=True)
