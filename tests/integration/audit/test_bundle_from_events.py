"""The compliance bundle's reports come from a replay of the verified events of its range,
never from the live read-model tables (which ``verify`` alone does not cover)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from app.audit.bundle import build_bundle, parse_moment
from tests.conftest import bearer, valid_change
from tests.integration.audit.test_audit_bundle import unzip, verify

if TYPE_CHECKING:
    from pathlib import Path

    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


def test_a_forged_live_read_model_cell_does_not_reach_the_bundle(
        client: FlaskClient, member: dict[str, Any], services: Services,
        tmp_path: Path) -> None:
    ids = [client.post("/api/v1/change-requests", json=valid_change(title=f"Change {i}"),
                       headers=bearer(member)).get_json()["id"] for i in range(2)]
    services.projections.catch_up()
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE rm_change_requests SET title = 'Forged title' WHERE id = :i"),
                     {"i": ids[1]})

    data, _ = build_bundle(services, parse_moment("2026-03-01", "from"),
                           parse_moment("2100-01-01", "to", end=True))

    folder = unzip(data, tmp_path / "bundle")
    assert verify(folder).returncode == 0
    population = (folder / "reports" / "change_requests.csv").read_text()
    assert "Change 1" in population
    assert "Forged title" not in population
    for report in (folder / "reports").glob("*.csv"):
        assert "Forged title" not in report.read_text(), report.name


def test_the_reports_replay_only_up_to_the_end_of_the_range(
        client: FlaskClient, member: dict[str, Any], services: Services, clock: FakeClock,
        tmp_path: Path) -> None:
    client.post("/api/v1/change-requests", json=valid_change(title="Early change"),
                headers=bearer(member))
    clock.advance(days=3)
    client.post("/api/v1/change-requests", json=valid_change(title="Later change"),
                headers=bearer(member))
    services.projections.catch_up()

    data, _ = build_bundle(services, parse_moment("2026-03-01", "from"),
                           parse_moment("2026-03-03", "to", end=True))

    population = (unzip(data, tmp_path / "b") / "reports" / "change_requests.csv").read_text()
    assert "Early change" in population
    assert "Later change" not in population
