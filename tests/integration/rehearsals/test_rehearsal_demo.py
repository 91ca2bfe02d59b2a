"""The demo data: a rehearsal with a No-Go followed by a Go, readable in the UI."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from app.demo import load_demo
from app.people.demo import DEMO_PASSWORD
from app.rehearsals import queries as rq
from tests.conftest import login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def test_the_demo_has_a_no_go_followed_by_a_go_and_improving_estimates(
        services: Services, client: FlaskClient) -> None:
    load_demo(services)
    engine = services.engine
    services.projections.catch_up()

    history = rq.playbook_history(engine, "Release runbook")
    latest = rq.get_rehearsal(engine, history[-1]["id"])
    login(client, {"email": "frank@example.org", "password": DEMO_PASSWORD})
    pages: dict[str, Any] = {tab: client.get(f"/rehearsals/{latest['id']}?tab={tab}")
                             for tab in ("checklist", "go-no-go", "report", "history")}

    assert [r["release_version"] for r in history] == ["2.3.0", "2.4.0"]
    assert history[1]["estimate_accuracy"] > history[0]["estimate_accuracy"]
    assert [(e["recommendation"], e["decision"]) for e in latest["evaluations"]] == [
        ("no_go", "no_go"), ("go", "go")]
    assert latest["status"] == "completed" and latest["decision"] == "go"
    assert all(p.status_code == 200 for p in pages.values())
    report = pages["report"].get_data(as_text=True)
    assert "Run database migrations" in report and "NO-GO" in report
    assert client.get(f"/rehearsals/{latest['id']}/report.pdf").data.startswith(b"%PDF")


def test_the_decision_report_rows_list_every_decision_in_the_period(
        services: Services) -> None:
    load_demo(services)
    services.projections.catch_up()
    ctx = SimpleNamespace(engine=services.engine, start=datetime(2000, 1, 1, tzinfo=timezone.utc),
                          end=datetime(2100, 1, 1, tzinfo=timezone.utc))

    rows = rq.decision_rows(ctx)

    assert [(r["release_version"], r["decision"]) for r in rows] == [
        ("2.3.0", "go"), ("2.4.0", "no_go"), ("2.4.0", "go")]
    assert rows[1]["failed"] == "Staging-to-production parity; Rollback test"
    assert set(rows[0]) == set(rq.DECISION_REPORT_COLUMNS)
