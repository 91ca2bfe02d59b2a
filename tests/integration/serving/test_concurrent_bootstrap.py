"""Eight processes starting at once on a fresh PostgreSQL database: every one creates (or finds)
the schema, none fails (before the advisory lock two of eight died with ``tuple concurrently
updated``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from tests.conftest import PG_URL, _drop_pg_database, _pg_url

pytestmark = pytest.mark.postgres

PROCESSES = 8

START = """
import sys, time
from app.bootstrap import bootstrap
from app.config import load_settings
at = float(sys.argv[1])
while time.time() < at:
    time.sleep(0.001)
services = bootstrap(load_settings(database_url=sys.argv[2], instance_path=sys.argv[3]))
services.close()
print("ok")
"""


def test_eight_processes_bootstrapping_one_fresh_database_at_once_all_succeed(tmp_path) -> None:
    import psycopg

    if not PG_URL:
        pytest.skip("no PostgreSQL: run with `make test` (scripts/with-postgres.sh)")
    name = f"gl_fresh_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # empty: no template with the tables
    try:
        url = _pg_url(name)
        at = time.time() + 3.0  # every interpreter has imported everything by then
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        processes = [subprocess.Popen([sys.executable, "-c", START, str(at), url,  # noqa: S603
                                       str(tmp_path / f"i{n}")], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for n in range(PROCESSES)]
        results = [p.communicate(timeout=120) for p in processes]
        failures = [err.decode()[-600:] for p, (_, err) in zip(processes, results)
                    if p.returncode != 0]
        assert not failures, failures
        assert all(out.decode().strip() == "ok" for out, _ in results)
        with psycopg.connect(url) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname='public'"
                                  ).fetchone()[0]
            tracked = conn.execute("SELECT count(*) FROM projection_tracking").fetchone()[0]
        assert tables > 20
        assert tracked >= 10  # one tracking row per projection, not one per process
    finally:
        _drop_pg_database(name)
