"""Web processes that leave the read models to ``govledger worker`` processes
(``GOVLEDGER_WEB_PROJECTIONS=workers``): a read never catches up, a command waits until its own
events are applied (woken by LISTEN on PostgreSQL, polling on SQLite), and applies them itself
when no worker did in time. Plus the settings and command-line checks of serve."""

from __future__ import annotations

import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.background import Background
from app.bootstrap import bootstrap
from app.config import ConfigError, load_settings
from tests.conftest import add_person, bearer, valid_change
from web import create_app
from web.cli import serving
from web.cli.main import main

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.bootstrap import Services


@pytest.fixture
def web(database_url: str, tmp_path: Path, services: Services) -> Iterator[Services]:
    """A second set of services on the same store, as a web process in ``workers`` mode sees
    it (``services`` plays the worker's part)."""
    settings = load_settings(database_url=database_url, instance_path=tmp_path / "instance",
                             password_cost="fast", web_projections="workers",
                             read_your_writes_wait=10.0)
    svc = bootstrap(settings)
    yield svc
    svc.close()


def count_catch_ups(svc: Services, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = svc.projections.catch_up

    def counted(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(svc.projections, "catch_up", counted)
    return calls


def test_a_command_answers_once_a_worker_applied_it_and_reads_never_catch_up(
        services: Services, web: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    member = add_person(services)
    services.projections.catch_up()
    client = create_app({"TESTING": True}, services=web).test_client()
    web_catch_ups = count_catch_ups(web, monkeypatch)
    worker = Background(services, interval=0.2)  # the worker process's loop
    worker.start()
    try:
        began = time.monotonic()
        created = client.post("/api/v1/change-requests", json=valid_change(title="Seen at once"),
                              headers=bearer(member))
        took = time.monotonic() - began
        assert created.status_code == 201, created.get_data(as_text=True)
        listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
    finally:
        worker.stop()
    assert [item["title"] for item in listed["items"]] == ["Seen at once"]
    assert web_catch_ups == []  # the worker applied it; the web process only waited
    assert took < 5  # woken by the worker's batch, not by the 10 s fallback


def test_with_no_worker_a_command_applies_its_events_itself_after_the_wait(
        services: Services, web: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    member = add_person(services)
    services.projections.catch_up()
    web.settings.read_your_writes_wait = 0.3
    client = create_app({"TESTING": True}, services=web).test_client()
    created = client.post("/api/v1/change-requests", json=valid_change(title="No worker"),
                          headers=bearer(member))
    assert created.status_code == 201
    listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
    assert [item["title"] for item in listed["items"]] == ["No worker"]


def test_in_workers_mode_a_read_does_not_catch_up_what_others_appended(
        services: Services, web: Services) -> None:
    member = add_person(services)
    services.projections.catch_up()
    with services.ledger.acting_as(member["id"]):  # appended elsewhere, no worker running
        services.changes.submit_change_request(
            board_id=None, title="Elsewhere", description="d", category="normal", risk="low",
            systems=["db"], planned_start=datetime(2026, 4, 1, 10, tzinfo=timezone.utc),
            planned_end=datetime(2026, 4, 1, 12, tzinfo=timezone.utc), rollback_plan="r")
    client = create_app({"TESTING": True}, services=web).test_client()
    listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
    assert listed["total"] == 0  # until a worker applies it: reads do no projection work
    services.projections.catch_up()
    listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
    assert listed["total"] == 1


@pytest.mark.parametrize(("name", "value", "message"), [
    ("GOVLEDGER_WEB_PROJECTIONS", "sometimes", "GOVLEDGER_WEB_PROJECTIONS must be"),
    ("GOVLEDGER_WEB_WORKERS", "0", "GOVLEDGER_WEB_WORKERS must be a positive number"),
    ("GOVLEDGER_SERVE_WORKER", "maybe", "GOVLEDGER_SERVE_WORKER must be 1 or 0"),
    ("GOVLEDGER_READ_YOUR_WRITES_SECONDS", "-1", "GOVLEDGER_READ_YOUR_WRITES_SECONDS must be"),
])
def test_bad_serving_settings_are_refused_naming_the_setting(name: str, value: str,
                                                             message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({name: value})


def test_serving_settings_are_read() -> None:
    settings = load_settings({"GOVLEDGER_WEB_WORKERS": "3", "GOVLEDGER_SERVE_WORKER": "0",
                              "GOVLEDGER_WEB_PROJECTIONS": "workers",
                              "GOVLEDGER_READ_YOUR_WRITES_SECONDS": "2.5"})
    assert (settings.web_workers, settings.serve_worker, settings.web_projections,
            settings.read_your_writes_wait) == (3, False, "workers", 2.5)


@pytest.fixture
def served_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An initialised SQLite store, named by the environment ``govledger serve`` reads."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    bootstrap(load_settings(database_url=url, instance_path=tmp_path)).close()
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path))


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--workers", "0", "--workers: must be at least 1, not 0"),
    ("--workers", "many", "--workers: 'many' is not a whole number"),
    ("--workers", "65", "--workers: at most 64, not 65"),
    ("--threads", "0", "--threads: must be at least 1, not 0"),
    ("--threads", "lots", "--threads: 'lots' is not a whole number"),
    ("--threads", "65", "--threads: at most 64, not 65")])
def test_serve_refuses_a_bad_number_of_workers_or_threads_in_one_line(
        flag: str, value: str, message: str, served_store: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["serve", "--port", str(port), flag, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"govledger: {message}"]


@pytest.mark.parametrize(("env", "flag", "expected"), [
    ({}, [], serving.SQLITE_THREADS), ({"GOVLEDGER_WEB_THREADS": "3"}, [], 3),
    ({"GOVLEDGER_WEB_THREADS": "3"}, ["--threads", "6"], 6)])
def test_each_web_process_runs_the_threads_asked_for(
        env: dict[str, str], flag: list[str], expected: int, served_store: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVLEDGER_SERVE_WORKER", "0")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    started: list[dict[str, Any]] = []

    class Recorded:
        def __init__(self, _settings: Any, options: dict[str, Any]) -> None:
            started.append(options)

        def run(self) -> None:
            pass

    monkeypatch.setattr(serving, "WebServer", Recorded)
    assert main(["serve", "--port", "8999", *flag]) == 0
    assert [(o["worker_class"], o["threads"], o["workers"]) for o in started] == [
        (serving.BalancedThreadWorker, expected, serving.WORKERS)]
    with pytest.raises(ConfigError, match="GOVLEDGER_WEB_THREADS must be a positive number"):
        load_settings({"GOVLEDGER_WEB_THREADS": "none"})


@pytest.mark.parametrize(("url", "threads"), [
    ("sqlite:///x.sqlite3", serving.SQLITE_THREADS),
    ("postgresql+psycopg://u@127.0.0.1:1/db", serving.THREADS)])
def test_default_threads_follow_the_store(url: str, threads: int) -> None:
    settings = load_settings({}, database_url=url)
    assert (serving.web_threads(settings), serving.web_workers(settings, None)) == (
        threads, serving.WORKERS)
    assert serving.web_threads(settings, 5) == 5


def test_a_web_process_hides_its_startup_objects_from_the_collector() -> None:
    import gc

    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    kept = [{"built": n} for n in range(1000)]  # alive when the process settles: frozen
    try:
        serving.settle_memory()
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert gc.get_threshold()[0] == serving.YOUNG_OBJECTS
        assert gc.get_threshold()[1:] == threshold[1:]
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
