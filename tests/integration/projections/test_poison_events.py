"""Poison events never stop the service: a projection whose handler raises on an event records
the failure, stops advancing only itself, and every other read model and page keeps answering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from projections.changes.projection import ChangeRequestProjection
from projections.changes.tables import change_requests
from projections.runner import ProjectionRunner
from tests.conftest import bearer, login, valid_change
from tests.integration.projections.test_projections import submit_many
from tests.integration.reviews.test_action_item_tracker import raise_item
from web.cli.main import main

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def poison(services: Services, monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    """Make the change-request projection's handler raise on any event whose title has
    ``marker`` (a bug in a handler, or a value its read model cannot hold)."""
    projection = next(p for p in services.projections.projections
                      if isinstance(p, ChangeRequestProjection))
    original = projection.process_event

    def process_event(writer: Any, event: Any) -> None:
        if marker in str(getattr(event, "title", "")):
            raise RuntimeError(f"boom on {event.title}")
        original(writer, event)

    monkeypatch.setattr(projection, "process_event", process_event)


def titles(services: Services) -> list[str]:
    with services.engine.connect() as conn:
        return sorted(r.title for r in conn.execute(select(change_requests.c.title)))


class TestAStalledProjection:
    def test_other_read_models_and_pages_keep_answering(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            monkeypatch: pytest.MonkeyPatch) -> None:
        poison(services, monkeypatch, "POISON")
        client.post("/api/v1/change-requests", json=valid_change(title="Before the poison"),
                    headers=bearer(member))

        stored = client.post("/api/v1/change-requests", json=valid_change(title="POISON pill"),
                             headers=bearer(member))
        item = raise_item(client, member, title="Raised after the poison")

        assert stored.status_code < 500
        listed = client.get("/api/v1/change-requests", headers=bearer(member))
        assert listed.status_code == 200
        assert [c["title"] for c in listed.get_json()["items"]] == ["Before the poison"]
        items = client.get("/api/v1/action-items", headers=bearer(member)).get_json()["items"]
        assert item["id"] in [i["id"] for i in items]
        login(client, member)
        for path in ("/", "/changes/", "/people/", "/action-items/"):
            assert client.get(path).status_code == 200, path

    def test_the_failure_is_recorded_with_position_and_error_and_shown_by_status(
            self, services: Services, member: dict[str, Any], database_url: str,
            tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        poison(services, monkeypatch, "Change 001")
        submit_many(services, member, 3)
        head = services.ledger.recorder.max_notification_id()

        services.projections.catch_up()

        stalled = services.projections.stalled()["change_requests"]
        assert stalled["position"] == head - 1 and "boom on Change 001" in stalled["error"]
        assert "ChangeRequest" in stalled["topic"]
        assert services.projections.position("change_requests") < stalled["position"]
        others = [r for r in services.projections.status() if r["name"] != "change_requests"]
        assert all(r["failure"] is None and r["pending"] == 0 for r in others)
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
        monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
        capsys.readouterr()
        assert main(["projections", "status"]) == 0
        out = capsys.readouterr().out
        assert "stalled" in out and f"notification {head - 1}" in out and "boom" in out

    def test_events_before_the_poison_one_in_its_batch_are_applied_once_and_a_restart_resumes(
            self, services: Services, member: dict[str, Any],
            monkeypatch: pytest.MonkeyPatch) -> None:
        poison(services, monkeypatch, "Change 002")
        submit_many(services, member, 4)

        services.projections.catch_up()
        submit_many(services, member, 1)
        services.projections.catch_up()

        assert titles(services) == ["Change 000", "Change 001"]
        monkeypatch.undo()
        fixed = ProjectionRunner(services.ledger, services.engine)
        fixed.create_tables()
        fixed.catch_up()
        assert titles(services) == ["Change 000", "Change 000", "Change 001", "Change 002",
                                    "Change 003"]
        assert fixed.stalled() == {}
