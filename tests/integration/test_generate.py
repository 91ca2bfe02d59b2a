"""The history generator (``govledger generate``): a valid, realistic, reproducible history."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from app.bootstrap import Services, bootstrap
from app.config import load_settings
from app.generate import generate
from domain.audit import event_auth
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

EVENTS = 2500


def stored(services: Services) -> list[Any]:
    """Every stored notification, oldest first."""
    found: list[Any] = []
    while batch := services.ledger.recorder.select_notifications(
            start=len(found) + 1 if not found else found[-1].id + 1, limit=5000):
        found += batch
    return found


def history(services: Services) -> list[tuple[str, str, int, bytes]]:
    """The log without the per-instance authentication tags (the event key differs)."""
    return [(n.topic, str(n.originator_id), n.originator_version,
             event_auth.split(bytes(n.state))[0]) for n in stored(services)]


def fresh(tmp_path: Path, name: str) -> Services:
    folder = tmp_path / name
    folder.mkdir()
    return bootstrap(load_settings(database_url=f"sqlite:///{folder / 'ledger.sqlite3'}",
                                   instance_path=folder, password_cost="fast"))


class TestGeneratedHistory:
    def test_appends_at_least_the_events_asked_for_in_whole_commands(
            self, services: Services) -> None:
        appended = generate(services, EVENTS, seed=1)

        assert EVENTS <= appended < EVENTS + 60
        assert services.ledger.recorder.max_notification_id() == appended

    def test_has_the_realistic_mix_of_every_area(self, services: Services) -> None:
        generate(services, EVENTS, seed=1)

        kinds = Counter(n.topic.rsplit(":", 1)[1] for n in stored(services))

        for kind in ("ChangeRequest.Submitted", "ChangeRequest.Approved", "Meeting.Opened",
                     "Meeting.AttendanceRecorded", "Meeting.VoteCast", "Meeting.ItemDecided",
                     "Meeting.Closed", "Incident.Opened", "Incident.Resolved",
                     "ActionItem.Raised", "ActionItem.StatusUpdated", "Review.Finalised",
                     "Rotation.Planned"):
            assert kinds[kind] > 0, kind
        assert kinds["Meeting.VoteCast"] > kinds["Meeting.Opened"] * 5  # votes dominate

    def test_every_projection_applies_it_without_a_failure(self, services: Services) -> None:
        generate(services, EVENTS, seed=2)

        services.projections.rebuild()

        assert services.projections.stalled() == {}
        head = services.ledger.recorder.max_notification_id()
        assert all(row["position"] == head and row["pending"] == 0
                   for row in services.projections.status())

    def test_the_log_is_in_time_order(self, services: Services) -> None:
        generate(services, EVENTS, seed=3)

        times = [services.ledger.mapper.to_domain_event(n).timestamp for n in stored(services)]

        assert times == sorted(times)

    def test_the_generated_log_seals_and_verifies(self, services: Services) -> None:
        generate(services, EVENTS, seed=4)

        services.audit.seal(force=True)

        assert services.audit.verify().ok


class TestReproducible:
    def test_the_same_seed_gives_the_same_history(self, tmp_path: Path) -> None:
        first, second = fresh(tmp_path, "a"), fresh(tmp_path, "b")
        try:
            generate(first, 1500, seed=7)
            generate(second, 1500, seed=7)

            assert history(first) == history(second)
        finally:
            first.close()
            second.close()

    def test_another_seed_gives_another_history(self, tmp_path: Path) -> None:
        first, second = fresh(tmp_path, "a"), fresh(tmp_path, "b")
        try:
            generate(first, 1500, seed=7)
            generate(second, 1500, seed=8)

            assert history(first) != history(second)
        finally:
            first.close()
            second.close()


class TestNonEmptyStore:
    def test_a_second_run_continues_after_the_last_event(self, services: Services) -> None:
        first = generate(services, 1500, seed=1)
        last = services.ledger.mapper.to_domain_event(stored(services)[-1]).timestamp

        second = generate(services, 1500, seed=1)

        log = stored(services)
        assert len(log) == first + second
        assert services.ledger.mapper.to_domain_event(log[first]).timestamp > last
        services.projections.rebuild()
        assert services.projections.stalled() == {}


class TestCommandLine:
    @pytest.fixture
    def cli_env(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
        monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))

    def test_generate_appends_and_says_how_many(self, cli_env: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["generate", "--events", "300", "--seed", "5"])

        out = capsys.readouterr().out
        assert code == 0 and out.startswith("Appended 3") and "(seed 5)" in out

    @pytest.mark.parametrize(("argv", "message"), [
        (["--events", "0"], "--events: must be at least 1"),
        (["--events", "many"], "--events: 'many' is not a whole number"),
        (["--events", "10", "--seed", "-1"], "--seed: must be at least 0"),
    ])
    def test_a_bad_number_is_one_line_and_exit_2(self, cli_env: None,
                                                 capsys: pytest.CaptureFixture[str],
                                                 argv: list[str], message: str) -> None:
        code = main(["generate", *argv])

        err = capsys.readouterr().err
        assert code == 2 and err.startswith(f"govledger: {message}") and err.count("\n") == 1


class TestNotifications:
    def test_generated_history_notifies_nobody(self, services: Services) -> None:
        from app.notifications.worker import Worker

        generate(services, 600, seed=5)
        worker = Worker(services)

        assert worker._position() == services.ledger.recorder.max_notification_id()  # noqa: SLF001
        assert worker.derive() == 0

    def test_a_worker_behind_is_left_behind_and_derives_what_it_has_not(
            self, services: Services) -> None:
        from app.notifications.worker import Worker

        generate(services, 600, seed=6)
        worker = Worker(services)
        behind = worker._position() - 400  # noqa: SLF001
        assert worker._move(worker._position(), behind)  # noqa: SLF001

        generate(services, 300, seed=7)

        assert worker._position() == behind  # noqa: SLF001
        assert worker.derive() > 0
        assert worker._position() > behind  # noqa: SLF001

    def test_a_batch_derives_the_same_notifications_loading_each_record_once(
            self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.notifications.rules import TOPICS
        from app.notifications.worker import Worker

        generate(services, 1500, seed=8)
        worker = Worker(services)
        batch = services.ledger.recorder.select_notifications(start=1, limit=600, topics=TOPICS)
        loads: list[Any] = []
        real = services.ledger.load
        monkeypatch.setattr(services.ledger, "load",
                            lambda cls, i: loads.append((cls, str(i))) or real(cls, i))

        with services.ledger.as_system():
            one_by_one = [worker._specs(item) for item in batch]  # noqa: SLF001
            unbatched = len(loads)
            loads.clear()
            with worker.rules.batch():
                batched = [worker._specs(item) for item in batch]  # noqa: SLF001

        assert batched == one_by_one and sum(map(len, batched)) > 50
        assert len(loads) == len(set(loads)) < unbatched / 2
