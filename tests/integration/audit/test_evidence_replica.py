"""The evidence replica (``app/audit/evidence.py``): the read models replayed from the stored
events, kept between bundles and samples, sealed with the ledger's key.

Its view of any position equals a fresh replay to that position, however it was advanced;
a replica changed in any way is discarded and replayed again (a forged cell never reaches a
report); bundles read it without replaying the log again; the worker keeps it close behind.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from app.audit import evidence as evidence_module
from app.audit.bundle import build_bundle, parse_moment
from app.demo import load_demo
from app.generate import generate
from tests.conftest import bearer, valid_change
from tests.integration.audit.test_audit_bundle import unzip, verify
from tests.integration.audit.test_versioned_as_of import replayed_rows, rows

if TYPE_CHECKING:
    from pathlib import Path

    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


def sealed_head(services: Services) -> int:
    services.audit.index()
    return services.evidence._sealed_head()  # noqa: SLF001


def test_its_view_of_every_sampled_position_equals_a_fresh_replay(services: Services) -> None:
    load_demo(services)
    generate(services, 2000, seed=5)
    head = sealed_head(services)
    tables = [t for p in services.projections.projections for t in p.tables]
    replica = services.evidence
    # advanced in steps (a third, then the head), then read backwards and forwards
    positions = [head // 3, head, 1, head // 7, head // 2, head - 300, head - 1]
    replayed_counts = []
    for position in positions:
        expected = replayed_rows(services, position, tables)
        with replica.view(position) as engine:
            assert rows(engine, tables) == expected, position
        replayed_counts.append(replica.last_replayed)
    assert replayed_counts == [head // 3, head - head // 3, 0, 0, 0, 0, 0]
    assert replica.position() == head


def forge_cell(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("UPDATE rm_change_requests SET title = 'Forged title' "
                            "WHERE rowid = (SELECT min(rowid) FROM rm_change_requests)"
                            ).rowcount == 1


def forge_seal_position(path: Path) -> None:
    seal = json.loads(path.read_text())
    seal["position"] -= 1
    path.write_text(json.dumps(seal))


@pytest.mark.parametrize(("tamper", "why"), [
    (lambda r, _m: forge_cell(r.path), "file's SHA-256 is not the sealed one"),
    (lambda r, _m: forge_seal_position(r.seal_path), "seal's signature does not verify"),
    (lambda r, _m: r.seal_path.unlink(), "has no seal"),
    (lambda _r, m: m.setattr(evidence_module, "projection_code", lambda: "0" * 64),
     "other projection code"),  # a release that changed a projection
])
def test_a_changed_replica_is_discarded_and_replayed_again(
        client: FlaskClient, member: dict[str, Any], services: Services,
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tamper: Any,
        why: str) -> None:
    for i in range(3):
        client.post("/api/v1/change-requests", json=valid_change(title=f"Change {i}"),
                    headers=bearer(member))
    head = sealed_head(services)
    replica = services.evidence
    with replica.view(head) as engine, engine.connect() as conn:
        titles = sorted(conn.execute(text("SELECT title FROM rm_change_requests")).scalars())
    assert titles == ["Change 0", "Change 1", "Change 2"]

    tamper(replica, monkeypatch)
    with caplog.at_level(logging.WARNING, "app.audit.evidence"), replica.view(head) as engine, \
            engine.connect() as conn:
        again = sorted(conn.execute(text("SELECT title FROM rm_change_requests")).scalars())
    assert again == titles
    assert replica.last_replayed == head  # from the start
    assert why in caplog.text
    assert replica._checked_seal() is not None  # noqa: SLF001 - resealed, and it verifies


def test_a_replica_of_another_ledger_is_not_used(services: Services, tmp_path: Path) -> None:
    load_demo(services)
    head = sealed_head(services)
    with services.evidence.view(head):
        pass
    seal = json.loads(services.evidence.seal_path.read_text())
    seal["key_id"] = "0" * 16
    services.evidence.seal_path.write_text(json.dumps(seal))
    assert "which the ledger does not know" in services.evidence._problem(seal)  # noqa: SLF001


def test_a_forged_replica_cell_does_not_reach_a_bundle(
        client: FlaskClient, member: dict[str, Any], services: Services,
        tmp_path: Path) -> None:
    for i in range(2):
        client.post("/api/v1/change-requests", json=valid_change(title=f"Change {i}"),
                    headers=bearer(member))
    start, end = parse_moment("2026-03-01", "from"), parse_moment("2100-01-01", "to", end=True)
    build_bundle(services, start, end)  # builds the replica
    forge_cell(services.evidence.path)

    data, manifest = build_bundle(services, start, end)

    folder = unzip(data, tmp_path / "bundle")
    assert verify(folder).returncode == 0
    for report in (folder / "reports").glob("*.csv"):
        assert "Forged title" not in report.read_text(), report.name
    assert "Change 0" in (folder / "reports" / "change_requests.csv").read_text()
    assert "sealed evidence replica" in manifest["reports_from"]


def test_bundles_read_the_replica_without_replaying_the_log_again(
        client: FlaskClient, member: dict[str, Any], services: Services, clock: FakeClock,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client.post("/api/v1/change-requests", json=valid_change(title="Early change"),
                headers=bearer(member))
    clock.advance(days=3)
    client.post("/api/v1/change-requests", json=valid_change(title="Later change"),
                headers=bearer(member))
    early = (parse_moment("2026-03-01", "from"), parse_moment("2026-03-03", "to", end=True))
    everything = (early[0], parse_moment("2100-01-01", "to", end=True))

    def no_replay(*_args: Any) -> None:
        raise AssertionError("a bundle replayed the log into a scratch file")

    monkeypatch.setattr(services.as_of, "build", no_replay)
    monkeypatch.setattr(services.as_of, "replayed_to", no_replay)
    build_bundle(services, *everything)  # replays into the replica: the whole log
    assert services.evidence.last_replayed == services.evidence.position() > 0

    data, _ = build_bundle(services, *early)  # an earlier moment: no replay at all

    assert services.evidence.last_replayed == 0
    population = (unzip(data, tmp_path / "b") / "reports" / "change_requests.csv").read_text()
    assert "Early change" in population
    assert "Later change" not in population


def test_the_worker_keeps_the_replica_close_behind_the_sealed_log(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from app import background as background_module
    from app.background import Background

    monkeypatch.setattr(evidence_module, "EVERY_EVENTS", 300)
    load_demo(services)  # ~400 events
    background = Background(services)
    background.round()  # seals
    assert background.evidence_round() > 300  # more than 300 events behind: advanced
    at = services.evidence.position()
    assert at == sealed_head(services) > 300

    generate(services, 100, seed=3)
    background.round()
    assert background.evidence_round() == 0
    assert services.evidence.position() == at  # fewer than EVERY_EVENTS behind: not yet

    generate(services, 400, seed=4)
    background.round()
    assert services.evidence.position() == at  # not in the read models' round: its own
    background.evidence_round()
    assert services.evidence.position() == sealed_head(services) > at + 300

    monkeypatch.setattr(evidence_module, "EVERY_SECONDS", 0.0)  # behind at all, for long
    generate(services, 10, seed=5)
    background.round()
    background.evidence_round()
    assert services.evidence.position() == sealed_head(services)

    monkeypatch.setattr(background_module, "EVIDENCE_INTERVAL", 0.05)
    generate(services, 10, seed=6)
    head = sealed_head(services)
    running = Background(services, interval=0.05)
    running.start()
    try:
        deadline = time.monotonic() + 20
        while services.evidence.position() < head and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        running.stop()
    assert services.evidence.position() >= head > at
