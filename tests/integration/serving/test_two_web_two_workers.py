"""A deployment of issue 17 on one PostgreSQL database: two web processes (real ``govledger
serve --no-worker`` subprocesses on their own loopback ports) and two ``govledger worker``
processes. Change requests are written through both web processes at once; none is lost, each
is readable on the *other* web process as soon as its POST answered (read-your-writes across
processes: the POST waited for the workers to apply it), both answer the same list, and every
projection applied each event once (rows equal events, nothing stalled, nothing pending)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
import requests

from tests.conftest import _drop_pg_database, _new_pg_database, valid_change
from tests.support.processes import GOVLEDGER, answering, child, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.postgres

PER_WEB = 50


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out, child([GOVLEDGER, *args], env=env, stdout=out,
                                      stderr=subprocess.STDOUT) as running:
        yield running


def started(url: str, running: subprocess.Popen[bytes], log: Path) -> str:
    answering(f"{url}/api/v1/health", running, log.read_text, timeout=45)
    return url


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[str, list[str], dict[str, str]]]:
    """(database URL, [web URL, web URL], admin's headers)."""
    name, database_url = _new_pg_database()
    env = {**os.environ, "GOVLEDGER_DATABASE_URL": database_url,
           "GOVLEDGER_INSTANCE_PATH": str(tmp_path / "instance"),
           "GOVLEDGER_SECRET_KEY": "test-secret-of-the-deployment", "PYTHONUNBUFFERED": "1",
           "GOVLEDGER_WEB_PROJECTIONS": "workers", "GOVLEDGER_READ_YOUR_WRITES_SECONDS": "30"}
    try:
        subprocess.run([GOVLEDGER, "init"], env=env, check=True, capture_output=True)  # noqa: S603
        issued = subprocess.run([GOVLEDGER, "user", "token", "issue",  # noqa: S603
                                 "admin@example.org", "--name", "deployment-test"],
                                env=env, check=True, capture_output=True, text=True)
        token = json.loads(issued.stdout.strip().splitlines()[-1])["token"]
        with ExitStack() as stack:
            for n in range(2):
                stack.enter_context(process(["worker"], env, tmp_path / f"worker{n}.log"))
            urls = []
            for n in range(2):
                port, log = free_port(), tmp_path / f"web{n}.log"
                child = stack.enter_context(process(
                    ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                     "--no-worker"], env, log))
                urls.append((f"http://127.0.0.1:{port}", child, log))
            webs = [started(url, child, log) for url, child, log in urls]
            yield database_url, webs, {"Authorization": f"Bearer {token}"}
    finally:
        _drop_pg_database(name)


def test_two_web_processes_and_two_workers_lose_nothing_and_apply_each_event_once(
        deployment: tuple[str, list[str], dict[str, str]]) -> None:
    database_url, webs, headers = deployment
    began = time.monotonic()

    def submit(n: int) -> tuple[int, str, int]:
        web, other = webs[n % 2], webs[(n + 1) % 2]
        answer = requests.post(f"{web}/api/v1/change-requests", timeout=30, headers=headers,
                               json=valid_change(title=f"Change {n:03d}"))
        assert answer.status_code == 201, answer.text
        change_id = answer.json()["id"]
        # read-your-writes on the other process: the POST answered once its event was applied
        seen = requests.get(f"{other}/api/v1/change-requests/{change_id}", timeout=30,
                            headers=headers)
        return n, change_id, seen.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(submit, range(2 * PER_WEB)))
    assert [status for _, _, status in results] == [200] * (2 * PER_WEB)
    ids = {change_id for _, change_id, _ in results}
    assert len(ids) == 2 * PER_WEB

    # both web processes answer the same list, with every change request
    lists = [requests.get(f"{web}/api/v1/change-requests", params={"limit": 500}, timeout=30,
                          headers=headers).json() for web in webs]
    for listed in lists:
        assert listed["total"] == 2 * PER_WEB
        assert {item["id"] for item in listed["items"]} == ids

    with psycopg.connect(database_url) as conn:
        submitted = conn.execute("SELECT count(*) FROM ledger_events WHERE topic LIKE "
                                 "'%ChangeRequest.Submitted'").fetchone()[0]
        rows = conn.execute("SELECT count(*), count(DISTINCT id) FROM rm_change_requests"
                            ).fetchone()
        failures = conn.execute("SELECT name, error FROM projection_failures").fetchall()
        last_change = conn.execute("SELECT max(notification_id) FROM ledger_events WHERE topic "
                                   "LIKE '%ChangeRequest%'").fetchone()[0]
        position = conn.execute("SELECT position FROM projection_tracking WHERE "
                                "name = 'change_requests'").fetchone()[0]
    assert submitted == 2 * PER_WEB  # nothing lost, nothing stored twice
    assert rows == (submitted, submitted)  # one row per event: each applied once
    assert failures == []  # no projection tripped over an event applied twice
    assert position >= last_change

    # every projection's position reaches the log's head (nothing pending anywhere)
    status = subprocess.run([GOVLEDGER, "projections", "status"], check=True, text=True,  # noqa: S603
                            capture_output=True,
                            env={**os.environ, "GOVLEDGER_DATABASE_URL": database_url}).stdout
    pending = [line.split() for line in status.splitlines()[1:] if line.strip()]
    assert pending and all(cols[-1] == "0" for cols in pending), status
    assert time.monotonic() - began < 60
