"""Checkpoints kept elsewhere (C2SP signed notes) and ``verify --against``: a history rewritten and
re-signed with the real keys still fails against an older witnessed checkpoint."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, text

from app.audit.service import (
    EVENT_KEY_FILENAME,
    KEY_FILENAME,
    NOTE_KEY_NAME,
    audit_checkpoints,
    audit_leaves,
    note_key_hash,
)
from domain.audit import event_auth
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def add_users(capsys: pytest.CaptureFixture[str], *names: str) -> None:
    for name in names:
        run(capsys, "user", "add", "--name", name, "--email", f"{name}@example.org",
            "--function", "qa", "--role", "member")


def test_the_export_is_a_c2sp_signed_note_with_the_checkpoint_signature(
        cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "init")
    code, note, _ = run(capsys, "checkpoint", "export")
    assert code == 0
    body, _, sig_line = note.partition("\n\n")
    origin, size, root, *_ = body.split("\n")
    assert origin == "Governance Ledger" and int(size) >= 1 and len(base64.b64decode(root)) == 32
    assert sig_line.startswith(f"\u2014 {NOTE_KEY_NAME} ")
    blob = base64.b64decode(sig_line.split()[-1])
    key = serialization.load_pem_private_key((cli_env / KEY_FILENAME).read_bytes(), None)
    public = key.public_key()  # type: ignore[union-attr]
    assert blob[:4] == note_key_hash(NOTE_KEY_NAME, public)  # type: ignore[arg-type]
    public.verify(blob[4:], (body + "\n").encode())  # type: ignore[call-arg]


def test_a_rewritten_history_re_signed_with_the_real_keys_fails_against_a_kept_checkpoint(
        cli_env: Path, capsys: pytest.CaptureFixture[str], database_url: str,
        tmp_path: Path) -> None:
    from app.bootstrap import bootstrap
    from app.config import load_settings

    run(capsys, "init")
    add_users(capsys, "quinn", "riley")
    run(capsys, "seal")
    kept = tmp_path / "witness.txt"
    assert run(capsys, "checkpoint", "export", "--all", "--out", str(kept))[0] == 0
    add_users(capsys, "sam")
    code, out, _ = run(capsys, "verify", "--against", str(kept))
    assert code == 0 and "extends all" in out

    # the insider holds the database and both key files: rewrite event 3, re-tag, re-seal
    services = bootstrap(load_settings(database_url=database_url, instance_path=cli_env))
    try:
        n = services.ledger.recorder.select_notifications(start=3, limit=1)[0]
        base, _, _ = event_auth.split(bytes(n.state))
        forged = base.replace(b"quinn", b"quinX") if b"quinn" in base else \
            base[:-1] + b',"x":1}'
        keys = json.loads((cli_env / EVENT_KEY_FILENAME).read_text())
        state = event_auth.add_tag(bytes.fromhex(keys["keys"][keys["current"]]),
                                   n.originator_id, n.originator_version, n.topic, forged)
        table = services.ledger.recorder.events_table_name
        pos = "notification_id" if services.settings.is_postgres else "rowid"
        with services.engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET state = :s WHERE {pos} = 3"),  # noqa: S608
                         {"s": state})
            conn.execute(delete(audit_checkpoints))
            conn.execute(delete(audit_leaves))
        services.audit._tree = None  # noqa: SLF001
        services.audit.seal(force=True)
    finally:
        services.close()

    assert run(capsys, "verify")[0] == 0  # everything in the database agrees with itself
    code, _, err = run(capsys, "verify", "--against", str(kept))
    assert code == 1
    assert "kept checkpoint #1" in err and "consistency proof" in err and "rewritten" in err


def test_a_note_not_signed_by_the_ledger_is_refused(
        cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "init")
    note = run(capsys, "checkpoint", "export")[1]
    lines = note.split("\n")
    lines[1] = str(int(lines[1]) + 0)
    lines[3] = lines[3][:-1] + ("0" if lines[3][-1] != "0" else "1")  # the time line
    kept = tmp_path / "kept.txt"
    kept.write_text("\n".join(lines))
    code, _, err = run(capsys, "verify", "--against", str(kept))
    assert code == 1 and "not signed by any key of this ledger" in err
