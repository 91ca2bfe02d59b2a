"""Rebuild: one pass over the log for every projection gives the rows that following the log one
projection at a time gives, and a poison event stalls only its own projection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from app.config import eventsourcing_env
from app.generate import generate
from projections.ccb.tables import decisions
from projections import runner
from projections.runner import ProjectionRunner
from tests.integration.projections.test_poison_events import poison, titles
from tests.integration.projections.test_projections import submit_many

if TYPE_CHECKING:
    from app.bootstrap import Services


def every_table(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model table's rows, sorted."""
    with services.engine.connect() as conn:
        return {table.name: sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
                for p in services.projections.projections for table in p.tables}


class TestOnePassRebuild:
    def test_gives_the_rows_of_catching_up_one_projection_at_a_time(
            self, services: Services) -> None:
        generate(services, 3000, seed=2)  # meetings, votes, emergencies, incidents, reviews
        one_at_a_time = ProjectionRunner(services.ledger, services.engine, batch_size=700)
        one_at_a_time.catch_up()
        expected = every_table(services)

        services.projections.rebuild()

        assert every_table(services) == expected
        assert sum(len(rows) for rows in expected.values()) > 1000
        with services.engine.connect() as conn:
            ratified = set(conn.scalars(select(decisions.c.ratification).where(
                decisions.c.kind == "emergency")))
        assert ratified - {"pending"}  # emergency decisions the board has ratified since

    def test_batches_of_any_size_give_the_same_rows(
            self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        generate(services, 1500, seed=3)
        services.projections.rebuild()
        expected = every_table(services)
        small = ProjectionRunner(services.ledger, services.engine, batch_size=97)
        monkeypatch.setattr(runner, "REBUILD_BATCH", 97)

        small.rebuild()

        assert every_table(services) == expected
        head = services.ledger.recorder.max_notification_id()
        assert {small.position(p.name) for p in small.projections} == {head}

    def test_a_poison_event_stalls_only_its_projection_and_the_others_complete(
            self, services: Services, member: dict[str, Any],
            monkeypatch: pytest.MonkeyPatch) -> None:
        submit_many(services, member, 4)
        head = services.ledger.recorder.max_notification_id()
        poison(services, monkeypatch, "Change 002")

        services.projections.rebuild()

        assert titles(services) == ["Change 000", "Change 001"]
        stalled = services.projections.stalled()
        assert list(stalled) == ["change_requests"] and "boom on Change 002" in \
            stalled["change_requests"]["error"]
        live = services.projections
        assert live.position("change_requests") < stalled["change_requests"]["position"]
        assert {live.position(p.name) for p in live.projections
                if p.name != "change_requests"} == {head}


class TestRebuildInTwoProcesses:
    """On SQLite a long log is replayed by two processes (``ProjectionRunner.rebuild``): the
    lighter half of the read models in another process, into a scratch file merged at the
    end. (``parallel_from`` lowered so a small log takes that path.)"""

    @staticmethod
    def two_way(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
        if services.settings.is_postgres:
            pytest.skip("the read models in a SQLite file only")
        live = services.projections
        monkeypatch.setattr(live, "parallel_from", 1)
        started: list[list[str]] = []
        start = live.part_replay

        def recorded(names: list[str], head: int, path: str) -> Any:
            started.append(names)
            return start(names, head, path)

        monkeypatch.setattr(live, "part_replay", recorded)
        return started

    def rebuilt_in_one_pass(self, services: Services, monkeypatch: pytest.MonkeyPatch,
                            seed: int) -> dict[str, list[tuple[Any, ...]]]:
        """Every table after a one-pass rebuild of a generated log; then rebuilds take the
        two-process path."""
        generate(services, 1500, seed=seed)
        services.projections.rebuild()
        expected = every_table(services)
        self.two_way(services, monkeypatch)
        return expected

    def test_gives_the_rows_and_history_of_one_pass(
            self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        generate(services, 3000, seed=5)
        one_pass = services.projections.rebuild()  # the log is shorter than PARALLEL_FROM
        expected = every_table(services)
        started = self.two_way(services, monkeypatch)

        applied = services.projections.rebuild()

        assert every_table(services) == expected
        assert len(started) == 1 and "ccb" not in started[0]  # the heaviest stays here
        assert {"change_requests", "oncall_incidents"} <= set(started[0])
        head = services.ledger.recorder.max_notification_id()
        live = services.projections
        assert {live.position(p.name) for p in live.projections} == {head}
        assert applied == one_pass  # an event counts once per read model following it
        assert not list(Path(services.engine.url.database).parent.glob("*.rebuild-*"))

    def test_the_scratch_files_of_killed_rebuilds_are_removed(
            self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rebuilt_in_one_pass(services, monkeypatch, seed=9)
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()
        store = Path(services.engine.url.database)
        killed = store.with_name(f"{store.name}.rebuild-{gone}.tmp")
        killed.write_bytes(b"half a replay")
        running = store.with_name(f"{store.name}.rebuild-{os.getppid()}.tmp")
        running.write_bytes(b"another rebuild's part, still going")

        services.projections.rebuild()

        assert not killed.exists()
        assert running.exists()

    def test_a_part_replay_whose_rebuild_has_gone_stops(
            self, services: Services, tmp_path: Path) -> None:
        if services.settings.is_postgres:
            pytest.skip("the read models in a SQLite file only")
        generate(services, 300, seed=10)
        gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True, check=True).stdout)
        job = {"env": eventsourcing_env(services.settings), "names": ["change_requests"],
               "head": services.ledger.recorder.max_notification_id(),
               "path": str(tmp_path / "part.tmp"), "parent": gone}

        done = subprocess.run([sys.executable, "-m", "app.rebuild_part"], input=json.dumps(job),
                              capture_output=True, text=True, timeout=120, check=False)

        assert done.returncode == 1 and done.stdout == ""
        assert "the rebuild that started this part has gone" in done.stderr

    def test_a_part_replay_that_fails_leaves_its_read_models_to_catch_up_here(
            self, services: Services, monkeypatch: pytest.MonkeyPatch,
            caplog: pytest.LogCaptureFixture) -> None:
        expected = self.rebuilt_in_one_pass(services, monkeypatch, seed=6)
        monkeypatch.setattr(services.projections, "part_replay", lambda names, head, path:
                            subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"],
                                             stdout=subprocess.PIPE))

        services.projections.rebuild()

        assert every_table(services) == expected
        assert "exited with 3; they catch up here" in caplog.text

    def test_read_models_another_process_moved_meanwhile_are_not_overwritten(
            self, services: Services, monkeypatch: pytest.MonkeyPatch,
            caplog: pytest.LogCaptureFixture) -> None:
        expected = self.rebuilt_in_one_pass(services, monkeypatch, seed=7)
        live = services.projections
        replay_mine = live._replay_together

        def and_a_server_catches_up(*args: Any) -> int:
            applied = replay_mine(*args)
            ProjectionRunner(services.ledger, services.engine).catch_up()  # another process
            return applied

        monkeypatch.setattr(live, "_replay_together", and_a_server_catches_up)

        live.rebuild()

        assert every_table(services) == expected  # nothing copied twice
        assert "moved while it was replayed apart" in caplog.text


def test_a_rebuild_leaves_the_connections_zeroing_freed_pages_as_it_found_them(
        services: Services) -> None:
    """Its drop does not zero the pages of rows it writes again (``secure_delete=FAST``), and
    the pooled connections go back to the setting they had."""
    if services.settings.is_postgres:
        pytest.skip("a SQLite setting")
    engine = services.engine
    with engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
    generate(services, 300, seed=8)

    services.projections.rebuild()

    for _ in range(3):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == before


class TestDecodingRawRows:
    def test_event_from_row_gives_the_event_to_domain_event_gives(
            self, services: Services) -> None:
        generate(services, 800, seed=4)
        mapper = services.ledger.mapper
        stored = services.ledger.recorder.select_notifications(start=1, limit=10_000)

        for raw_id in (lambda n: n.originator_id, lambda n: n.originator_id.hex):  # PG, SQLite
            decoded = [mapper.event_from_row(raw_id(n), n.originator_version, n.topic, n.state)
                       for n in stored]

            expected = [mapper.to_domain_event(n) for n in stored]
            assert [type(e) for e in decoded] == [type(e) for e in expected]
            assert [e.__dict__ for e in decoded] == [e.__dict__ for e in expected]
            assert [str(e.originator_id) for e in decoded] == [
                str(e.originator_id) for e in expected]
