"""The demo data: a rehearsal with a No-Go followed by a Go, readable in the UI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app import rehearsal_queries as rq
from app.demo import DEMO_PASSWORD, load_demo
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
