"""The CLI never shows a traceback for an operator's mistake: each case is one line on stderr
and exit status 2, and commands that only read or serve never create a missing store."""

from __future__ import annotations

import socket
import sqlite3
from typing import TYPE_CHECKING

import pytest

from web.cli import main as cli
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

READ_OR_SERVE = [["verify"], ["projections", "status"], ["serve", "--port", "8765"],
                 ["bundle", "--from", "2026-01-01", "--to", "2026-02-01", "--out", "b.zip"]]


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the CLI; assert one line on stderr, no traceback, exit 2; return that line."""
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("govledger: "), err
    assert "Traceback" not in err
    return err


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the SQLite store would be (nothing created yet)."""
    path = tmp_path / "store" / "govledger.sqlite3"
    path.parent.mkdir()
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.chdir(tmp_path)
    return path


class TestNoStoreIsCreatedByMistake:
    @pytest.mark.parametrize("argv", READ_OR_SERVE)
    def test_a_missing_store_is_refused_and_not_created(
            self, store: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
        line = refused(capsys, *argv)

        assert "no store" in line and "govledger init" in line
        assert not store.exists()

    def test_a_missing_database_folder_is_named(
            self, store: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        missing = store.parent / "nope" / "govledger.sqlite3"
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", f"sqlite:///{missing}")

        line = refused(capsys, "init")

        assert "does not exist" in line and not missing.parent.exists()

    @pytest.mark.parametrize("argv", [["init"], ["verify"], ["projections", "status"]])
    def test_a_file_that_is_not_a_database_is_named(
            self, store: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
        store.write_text("these are my notes, not a ledger\n")

        line = refused(capsys, *argv)

        assert "not a SQLite database" in line
        assert store.read_text() == "these are my notes, not a ledger\n"

    def test_a_read_only_store_is_one_line(
            self, store: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        def read_only(settings: object) -> None:
            raise sqlite3.OperationalError("attempt to write a readonly database")

        store.write_bytes(b"")
        monkeypatch.setattr(cli, "bootstrap", read_only)

        assert "read-only" in refused(capsys, "projections", "status")

    def test_postgresql_unreachable_is_one_line(
            self, store: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setenv("GOVLEDGER_DATABASE_URL", "postgresql://postgres:secret@127.0.0.1:1/x")

        line = refused(capsys, "verify")

        assert "secret" not in line


class TestServeAndBundleArguments:
    @pytest.fixture
    def initialised(self, store: Path, capsys: pytest.CaptureFixture[str]) -> Path:
        assert main(["init"]) == 0
        capsys.readouterr()
        return store

    @pytest.mark.parametrize("port", ["0", "99999", "-1"])
    def test_a_port_outside_1_to_65535_is_refused(
            self, initialised: Path, capsys: pytest.CaptureFixture[str], port: str) -> None:
        assert "1-65535" in refused(capsys, "serve", "--port", port)

    def test_a_host_that_does_not_resolve_is_refused(
            self, initialised: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert "--host" in refused(capsys, "serve", "--host", "no-such-host.invalid")

    def test_a_port_in_use_is_refused(self, initialised: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]

            assert "cannot listen" in refused(capsys, "serve", "--port", str(port))

    def test_bundle_into_a_missing_folder_is_refused(
            self, initialised: Path, capsys: pytest.CaptureFixture[str]) -> None:
        line = refused(capsys, "bundle", "--from", "2026-01-01", "--to", "2026-02-01",
                       "--out", "missing/folder/b.zip")

        assert "does not exist" in line


def test_demo_and_init_create_the_default_instance_folder_of_a_fresh_clone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`make run` on a fresh clone: no instance folder yet, no database URL set."""
    instance = tmp_path / "fresh" / "instance"
    monkeypatch.delenv("GOVLEDGER_DATABASE_URL", raising=False)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(instance))

    assert main(["demo"]) == 0
    assert main(["init"]) == 0
    assert (instance / "govledger.sqlite3").exists()
    assert "Loaded demo data" in capsys.readouterr().out
