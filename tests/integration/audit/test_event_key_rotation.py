"""Event-key rotation: a new HMAC key tags new events, the rotation is an event in the log,
events tagged before still verify, and the retired key cannot tag events after it."""

from __future__ import annotations

import json
import stat
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import text

from app.audit.service import EVENT_KEY_FILENAME
from app.bootstrap import bootstrap
from domain.audit import event_auth
from domain.audit.keys import EVENT_KEYRING_ID
from tests.conftest import bearer, valid_change
from tests.integration.audit.test_event_auth import cli_env, run  # noqa: F401 - fixture

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def key_id_of_last(services: Services) -> str | None:
    head = services.ledger.recorder.max_notification_id()
    n = services.ledger.recorder.select_notifications(start=head, limit=1)[0]
    return event_auth.split(bytes(n.state))[1]


def test_rotation_tags_new_events_with_the_new_key_and_old_events_still_verify(
        client: FlaskClient, member: dict[str, Any], services: Services) -> None:
    client.post("/api/v1/change-requests", json=valid_change(), headers=bearer(member))
    old = services.audit.event_key_id
    services.audit.seal(force=True)

    with services.ledger.as_system(reason="yearly rotation"):
        new = services.audit.rotate_event_key()
    client.post("/api/v1/change-requests", json=valid_change(), headers=bearer(member))

    assert new != old
    assert key_id_of_last(services) == new
    history = services.ledger.repository.event_store.get(EVENT_KEYRING_ID)
    rotated = [e for e in history if type(e).__name__ == "KeyRotated"]
    assert [(e.previous_key_id, e.key_id, e.reason) for e in rotated] == [
        (old, new, "yearly rotation")]
    assert services.audit.verify().ok
    data = json.loads((services.settings.instance_path / EVENT_KEY_FILENAME).read_text())
    assert set(data["keys"]) == {old, new} and data["current"] == new
    assert stat.S_IMODE((services.settings.instance_path / EVENT_KEY_FILENAME).stat()
                        .st_mode) == 0o600


def forge_with(services: Services, key: bytes) -> int:
    """Insert a copy of the first event row, new version, tagged with ``key``."""
    table = services.ledger.recorder.events_table_name
    pos = "notification_id" if services.settings.is_postgres else "rowid"
    with services.engine.begin() as conn:
        row = conn.execute(text(f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                                f"FROM {table} ORDER BY {pos} LIMIT 1")).one()
        top = conn.execute(text(f"SELECT max(originator_version) FROM {table} "  # noqa: S608
                                "WHERE originator_id = :o"), {"o": row.originator_id}).scalar()
        state = bytes(row.state) if not isinstance(row.state, str) else row.state.encode()
        base = event_auth.split(state)[0]
        forged = event_auth.add_tag(key, UUID(str(row.originator_id)), top + 1, row.topic,
                                    base)
        conn.execute(text(f"INSERT INTO {table} (originator_id, originator_version, topic, "  # noqa: S608
                          "state) VALUES (:o, :v, :t, :s)"),
                     {"o": row.originator_id, "v": top + 1, "t": row.topic, "s": forged})
        return int(conn.execute(text(f"SELECT max({pos}) FROM {table}")).scalar())  # noqa: S608


def test_an_event_tagged_with_the_retired_key_after_the_rotation_fails(
        services: Services, client: FlaskClient, member: dict[str, Any]) -> None:
    client.post("/api/v1/change-requests", json=valid_change(), headers=bearer(member))
    old_key = services.ledger.mapper.event_key
    assert old_key is not None
    with services.ledger.as_system():
        services.audit.rotate_event_key()
    services.audit.seal(force=True)

    forged_at = forge_with(services, old_key)
    report = services.audit.verify()

    assert not report.ok
    assert report.first is not None
    assert (report.first.kind, report.first.position) == ("unauthenticated", forged_at)
    assert "retired by the rotation" in report.first.detail


def test_a_process_that_checked_before_another_rotated_still_refuses_the_retired_key(
        services: Services, client: FlaskClient, member: dict[str, Any]) -> None:
    client.post("/api/v1/change-requests", json=valid_change(), headers=bearer(member))
    old_key = services.ledger.mapper.event_key
    assert old_key is not None
    other = bootstrap(services.settings)
    try:
        assert other.audit.verify().ok  # it has looked at the keys before the rotation
        with services.ledger.as_system():
            services.audit.rotate_event_key()

        forged_at = forge_with(services, old_key)
        report = other.audit.verify()
        other.audit.seal(force=True)
    finally:
        other.close()

    assert report.first is not None
    assert (report.first.kind, report.first.position) == ("unauthenticated", forged_at)
    assert "retired" in report.first.detail
    assert services.audit.sealed_size() == forged_at - 1


def test_another_process_follows_a_rotation(services: Services, client: FlaskClient,
                                            member: dict[str, Any]) -> None:
    other = bootstrap(services.settings)
    try:
        with services.ledger.as_system():
            new = services.audit.rotate_event_key()

        with other.ledger.as_system():
            other.people.register_person(name="Late Person", email="late@example.org",
                                         function="qa", role="member", password=None)

        assert key_id_of_last(services) == new
        assert other.audit.verify().ok and services.audit.verify().ok
    finally:
        other.close()


def test_the_cli_rotates_and_keys_show_lists_the_event_key_ids(
        cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert run(capsys, "init")[0] == 0

    code, out, _ = run(capsys, "keys", "rotate-event-key")
    shown = run(capsys, "keys", "show")[1]
    verified = run(capsys, "verify")

    assert code == 0 and "New event key" in out
    new = out.split("New event key ")[1].split(":")[0]
    assert f"# event key {new} (current)" in shown
    assert "(retired at position" in shown
    assert verified[0] == 0


def test_the_audit_page_says_loudly_when_sealing_is_stopped_by_a_forged_row(
        services: Services, client: FlaskClient, auditor: dict[str, Any]) -> None:
    from tests.conftest import login
    from tests.integration.audit.test_event_auth import forge_copy_of_last_row

    services.audit.seal(force=True)
    login(client, auditor)
    assert "Sealing is stopped" not in client.get("/audit/").get_data(as_text=True)
    position = forge_copy_of_last_row(services)

    html = client.get("/audit/").get_data(as_text=True)

    assert f"Sealing is stopped at position {position}" in html
    assert "What to do next" in html
