"""Tamper evidence: random ledgers, random tampering done directly in the database, and
``govledger verify`` names the first affected position — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.bootstrap import bootstrap
from app.config import load_settings
from tests import conftest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.bootstrap import Services

TAMPERINGS = ("flip_byte", "delete", "swap", "insert", "retime")
EXPECTED = {"flip_byte": "changed", "delete": "missing", "swap": "reordered",
            "insert": "inserted", "retime": "changed"}


@contextmanager
def fresh_services(backend: str) -> Iterator[Services]:
    """A new store on the backend (one per hypothesis example)."""
    tmp = tempfile.mkdtemp(prefix="gl-tamper-")
    pg_name = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp}/store.sqlite3"
    else:
        pg_name, url = conftest._new_pg_database()  # noqa: SLF001
    services = bootstrap(load_settings(database_url=url, instance_path=f"{tmp}/instance",
                                       password_cost="fast"))
    try:
        yield services
    finally:
        services.close()
        if pg_name:
            conftest._drop_pg_database(pg_name)  # noqa: SLF001
        shutil.rmtree(tmp, ignore_errors=True)


def make_ledger(services: Services, changes: list[bool], seal_points: set[int]) -> None:
    """People, change requests (some withdrawn) and checkpoints after some of them."""
    person = conftest.add_person(services)
    with services.ledger.acting_as(person["id"]):
        for i, withdraw in enumerate(changes):
            cid = services.changes.submit_change_request(**{
                **conftest.valid_change(title=f"Change {i}"), "board_id": None,
                "planned_start": conftest.FakeClock().now + timedelta(days=i + 1),
                "planned_end": conftest.FakeClock().now + timedelta(days=i + 2)})["id"]
            if withdraw:
                services.changes.withdraw_change_request(cid)
            if i in seal_points:
                services.audit.seal(force=True)
    services.audit.seal(force=True)


class Store:
    """Raw SQL on the event table of either backend."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.pg = services.settings.is_postgres
        self.table = services.ledger.recorder.events_table_name
        self.pos = "notification_id" if self.pg else "rowid"

    def run(self, sql: str, **params: Any) -> Any:
        with self.services.engine.begin() as conn:
            return conn.execute(text(sql.format(t=self.table, pos=self.pos)), params)

    def positions(self) -> list[int]:
        return [r[0] for r in self.run("SELECT {pos} FROM {t} ORDER BY {pos}")]

    def state(self, p: int) -> bytes:
        return bytes(self.run("SELECT state FROM {t} WHERE {pos} = :p", p=p).scalar_one())

    def set_state(self, p: int, state: bytes) -> None:
        self.run("UPDATE {t} SET state = :s WHERE {pos} = :p", s=state, p=p)

    def move(self, src: int, dst: int) -> None:
        self.run("UPDATE {t} SET {pos} = :d WHERE {pos} = :s", d=dst, s=src)


def tamper(store: Store, kind: str, p: int, q: int, byte: int) -> None:
    """Change the stored rows directly, as someone with database access would."""
    if kind == "flip_byte":
        state = bytearray(store.state(p))
        state[byte % len(state)] ^= 0x01
        store.set_state(p, bytes(state))
    elif kind == "delete":
        store.run("DELETE FROM {t} WHERE {pos} = :p", p=p)
    elif kind == "swap":
        store.move(p, -1)
        store.move(q, p)
        store.move(-1, q)
    elif kind == "insert":
        store.run("UPDATE {t} SET {pos} = {pos} + 1000000 WHERE {pos} >= :p", p=p)
        store.run("UPDATE {t} SET {pos} = {pos} - 999999 WHERE {pos} >= 1000000")
        row = store.run("SELECT topic, state FROM {t} WHERE {pos} = :q", q=q + 1).one()
        origin = uuid.uuid4() if store.pg else str(uuid.uuid4())
        store.run("INSERT INTO {t} ({pos}, originator_id, originator_version, topic, state) "
                  "VALUES (:p, :o, 1, :topic, :state)", p=p, o=origin, topic=row.topic,
                  state=bytes(row.state))
    elif kind == "retime":
        state = json.loads(store.state(p))
        state["timestamp"]["_data_"] = "2020-01-01T00:00:00+00:00"
        store.set_state(p, json.dumps(state, separators=(",", ":")).encode())


@pytest.mark.parametrize("backend", conftest.BACKENDS)
@settings(max_examples=8, deadline=None)
@given(changes=st.lists(st.booleans(), min_size=1, max_size=5),
       seal_points=st.sets(st.integers(0, 4), max_size=3),
       kind=st.sampled_from(TAMPERINGS), data=st.data())
def test_verify_names_the_first_tampered_position(backend: str, changes: list[bool],
                                                  seal_points: set[int], kind: str,
                                                  data: st.DataObject) -> None:
    with fresh_services(backend) as services:
        make_ledger(services, changes, seal_points)
        store = Store(services)
        positions = store.positions()
        assert services.audit.verify().ok
        i = data.draw(st.integers(0, len(positions) - 2), label="tampered index")
        j = data.draw(st.integers(i + 1, len(positions) - 1), label="other index")
        p, q = positions[i], positions[j]

        tamper(store, kind, p, q, data.draw(st.integers(0, 10_000), label="byte"))
        report = services.audit.verify()

        assert not report.ok
        assert report.first is not None
        assert report.first.position == p, report.lines()
        assert report.first.kind == EXPECTED[kind], report.lines()
        # the same findings when the log is hashed by worker processes in small ranges
        assert in_workers(services).as_dict() == report.as_dict()


def in_workers(services: Services) -> Any:
    """``verify`` with two worker processes hashing ranges of 3 positions."""
    from unittest import mock

    from app.audit import service

    hashed = mock.Mock(wraps=service._hashed_by_workers)  # noqa: SLF001
    with mock.patch.object(service, "VERIFY_BATCH", 3), \
            mock.patch.object(service, "_hashed_by_workers", hashed):
        report = services.audit.verify(workers=2)
    assert hashed.call_count == 1 and hashed.call_args.args[2] == 2
    return report


@pytest.mark.parametrize("backend", conftest.BACKENDS)
def test_a_rewritten_checkpoint_fails_its_signature(backend: str) -> None:
    with fresh_services(backend) as services:
        make_ledger(services, [True, False], {0})
        with services.engine.begin() as conn:
            conn.execute(text("UPDATE audit_checkpoints SET issued_at = '2020-01-01T00:00:00."
                              "000000+00:00' WHERE id = 1"))

        report = services.audit.verify()

    assert [p.kind for p in report.problems] == ["bad_signature"]


@pytest.mark.parametrize("backend", conftest.BACKENDS)
def test_a_rewritten_sealed_leaf_is_caught_by_the_signed_root(backend: str) -> None:
    with fresh_services(backend) as services:
        make_ledger(services, [False, False], set())
        with services.engine.begin() as conn:
            conn.execute(text("UPDATE audit_leaves SET leaf_hash = :h WHERE leaf_index = 2"),
                         {"h": "00" * 32})

        report = services.audit.verify()
        in_parallel = in_workers(services)

    assert "sealed_leaves_mismatch" in [p.kind for p in report.problems]
    assert in_parallel.as_dict() == report.as_dict()
