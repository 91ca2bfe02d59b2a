"""Events are authenticated when written: a row put straight into the events table is caught."""

from __future__ import annotations

import json
import stat
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from app.audit.service import EVENT_KEY_FILENAME
from domain.audit import event_auth
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

    from app.bootstrap import Services


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def forge_copy_of_last_row(services: Services) -> int:
    """Insert a copy of the newest event row with the next version; returns its position."""
    table = services.ledger.recorder.events_table_name
    pos = "notification_id" if services.settings.is_postgres else "rowid"
    with services.engine.begin() as conn:
        row = conn.execute(text(f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                                f"FROM {table} ORDER BY {pos} DESC LIMIT 1")).one()
        top = conn.execute(text(f"SELECT max(originator_version) FROM {table} "  # noqa: S608
                                "WHERE originator_id = :o"), {"o": row.originator_id}).scalar()
        conn.execute(text(f"INSERT INTO {table} (originator_id, originator_version, topic, "  # noqa: S608
                          "state) VALUES (:o, :v, :t, :s)"),
                     {"o": row.originator_id, "v": top + 1, "t": row.topic, "s": row.state})
        return int(conn.execute(text(f"SELECT max({pos}) FROM {table}")).scalar())  # noqa: S608


def test_every_new_event_carries_a_valid_tag_and_still_decodes(services: Services) -> None:
    services.audit.seal(force=True)  # records the signing key: one event
    n = services.ledger.recorder.select_notifications(start=1, limit=10)[-1]
    base, key_id, tag = event_auth.split(bytes(n.state))
    assert key_id is not None and tag is not None
    assert json.loads(n.state)["_auth"].startswith(key_id)
    assert services.audit.authenticate(n) is None
    assert "_auth" not in vars(services.ledger.mapper.to_domain_event(n))
    key_file = services.settings.instance_path / EVENT_KEY_FILENAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert services.audit.verify().ok


def test_a_copied_row_with_a_new_version_fails_verify_and_is_not_sealed(
        cli_env: Path, capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    from app.bootstrap import bootstrap
    from app.config import load_settings

    run(capsys, "init")
    for name in ("quinn", "riley"):
        run(capsys, "user", "add", "--name", name, "--email", f"{name}@example.org",
            "--function", "qa", "--role", "member")
    assert run(capsys, "seal")[0] == 0
    services = bootstrap(load_settings(database_url=database_url, instance_path=cli_env))
    forged = forge_copy_of_last_row(services)
    services.close()

    code, _, err = run(capsys, "verify")
    assert code == 1
    assert f"first bad position: {forged}" in err
    assert f"position {forged}: unauthenticated" in err

    code, out, err = run(capsys, "seal")
    assert code == 1
    assert f"REFUSED to seal past position {forged}" in err
    services = bootstrap(load_settings(database_url=database_url, instance_path=cli_env))
    try:
        latest = services.audit.latest()
        assert latest is not None and latest["tree_size"] == forged - 1
        assert services.audit.sealed_size() == forged - 1
    finally:
        services.close()


def test_a_tag_from_another_instance_key_does_not_authenticate() -> None:
    state = b'{"a":1}'
    tagged = event_auth.add_tag(b"k" * 32, "ID", 3, "t", state)
    assert event_auth.check({event_auth.key_id_of(b"k" * 32): b"k" * 32}, "id", 3, "t",
                            tagged) is None
    assert event_auth.check({event_auth.key_id_of(b"k" * 32): b"k" * 32}, "id", 4, "t",
                            tagged) is not None
    assert "unknown" in str(event_auth.check({}, "id", 3, "t", tagged))
    assert event_auth.check({}, "id", 3, "t", state) == "untagged"
    assert event_auth.split(tagged)[0] == state
