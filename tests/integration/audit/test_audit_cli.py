"""``govledger init`` creates the signing key; ``seal``, ``verify`` and ``keys rotate``."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from app.audit.service import KEY_FILENAME
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI at the test database; returns the instance folder."""
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_an_owner_only_signing_key_and_a_first_checkpoint(
        cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "init")

    key = cli_env / KEY_FILENAME
    assert key.exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    code, out, _ = run(capsys, "keys", "show")
    assert code == 0 and "(current)" in out and "BEGIN PUBLIC KEY" in out


def test_verify_passes_on_an_intact_ledger_and_names_a_changed_position(
        cli_env: Path, capsys: pytest.CaptureFixture[str], database_url: str,
        backend: str) -> None:
    run(capsys, "init")
    for name in ("quinn", "riley", "sam"):
        run(capsys, "user", "add", "--name", name, "--email", f"{name}@example.org",
            "--function", "qa", "--role", "member")
    code, out, err = run(capsys, "verify")
    assert code == 0 and "intact" in out and err == ""

    from app.bootstrap import bootstrap
    from app.config import load_settings

    services = bootstrap(load_settings(database_url=database_url, instance_path=cli_env))
    table = services.ledger.recorder.events_table_name
    pos = "notification_id" if backend == "postgres" else "rowid"
    with services.engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET state = :s WHERE {pos} = 12"),
                      {"s": b'{"timestamp":{"_type_":"datetime_iso","_data_":'
                            b'"2026-01-01T00:00:00+00:00"}}'})
    services.close()

    code, _, err = run(capsys, "verify")
    assert code == 1
    assert "first bad position: 12" in err and "position 12: changed" in err


def test_a_key_rotation_is_an_event_and_old_checkpoints_still_verify(
        cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "init")
    before = (cli_env / KEY_FILENAME).read_bytes()

    code, out, _ = run(capsys, "keys", "rotate")

    assert code == 0 and "New signing key" in out
    assert (cli_env / KEY_FILENAME).read_bytes() != before
    assert stat.S_IMODE((cli_env / KEY_FILENAME).stat().st_mode) == 0o600
    assert run(capsys, "keys", "show")[1].count("BEGIN PUBLIC KEY") == 2
    assert run(capsys, "verify")[0] == 0


def test_on_the_demo_data_verify_and_bundle_pass_and_one_changed_byte_fails_both(
        cli_env: Path, capsys: pytest.CaptureFixture[str], database_url: str, backend: str,
        tmp_path: Path) -> None:
    import subprocess
    import sys
    import zipfile

    from app.bootstrap import bootstrap
    from app.config import load_settings

    run(capsys, "init")
    run(capsys, "demo")
    out = tmp_path / "bundle.zip"
    assert run(capsys, "verify")[0] == 0
    assert run(capsys, "bundle", "--from", "2000-01-01", "--to", "2100-01-01",
               "--out", str(out))[0] == 0
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path / "b")
    checked = subprocess.run([sys.executable, "-I", "verify_bundle.py"], cwd=tmp_path / "b",
                             env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0, checked.stdout

    services = bootstrap(load_settings(database_url=database_url, instance_path=cli_env))
    table = services.ledger.recorder.events_table_name
    pos = "notification_id" if backend == "postgres" else "rowid"
    with services.engine.begin() as conn:
        state = bytearray(conn.execute(text(f"SELECT state FROM {table} WHERE {pos} = 9"))
                          .scalar_one())
        state[-2] ^= 0x01
        conn.execute(text(f"UPDATE {table} SET state = :s WHERE {pos} = 9"),
                     {"s": bytes(state)})
    services.close()

    code, _, err = run(capsys, "verify")
    bundled, _, bundle_err = run(capsys, "bundle", "--from", "2000-01-01", "--to", "2100-01-01",
                                 "--out", str(tmp_path / "again.zip"))
    assert code == 1 and "first bad position: 9" in err
    assert bundled == 2 and "ledger_tampered" in bundle_err and "position 9" in bundle_err
