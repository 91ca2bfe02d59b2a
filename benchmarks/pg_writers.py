"""PostgreSQL writers: change-request commands from 8 concurrent writer processes through the
application layer, against raw psycopg single-row commits from 8 processes under the same table
lock the event store's recorder takes (``LOCK TABLE … IN EXCLUSIVE MODE``, one transaction per
row), on the same cluster in the same run.

Runs when ``GOVLEDGER_BENCH_POSTGRES_URL`` (or the test cluster's ``GOVLEDGER_TEST_POSTGRES_URL``)
names a PostgreSQL server; each measurement gets a fresh database. ``python -m
benchmarks.pg_writers`` runs it alone.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

WRITERS = 8
COMMANDS = int(os.environ.get("BENCH_PG_COMMANDS", "2400"))  # in all, split between the writers
START = datetime(2026, 4, 1, 10, tzinfo=timezone.utc)


def server_url() -> str | None:
    """The PostgreSQL server to measure on, if any."""
    return os.environ.get("GOVLEDGER_BENCH_POSTGRES_URL") or os.environ.get(
        "GOVLEDGER_TEST_POSTGRES_URL")


def fresh_database(server: str) -> tuple[str, str]:
    import psycopg

    name = f"gl_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, server.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def in_processes(work: Callable[[int, Any], None], args: Any) -> float:
    """Run ``work(n, args)`` in ``WRITERS`` forked processes that start together; seconds from
    the start to the last one's end."""
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Barrier(WRITERS + 1)
    done = ctx.Queue()

    def run(n: int) -> None:
        prepared, cleanup = work(n, args)  # connect, load, warm up: not timed
        ready.wait()
        prepared()
        done.put(time.perf_counter())
        cleanup()  # closing connections: not timed

    processes = [ctx.Process(target=run, args=(n,)) for n in range(WRITERS)]
    for p in processes:
        p.start()
    ready.wait()
    began = time.perf_counter()
    ends = [done.get(timeout=600) for _ in processes]
    for p in processes:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"a writer process failed (exit {p.exitcode})")
    return max(ends) - began


def raw_writer(n: int, url: str) -> tuple[Callable[[], None], Callable[[], None]]:
    import psycopg

    conn = psycopg.connect(url)
    payload = (b'{"title":"' + b"x" * 60 + b'","systems":["db"],"risk":"low"}')

    def go() -> None:
        for i in range(COMMANDS // WRITERS):
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '5s'")
                cur.execute("LOCK TABLE raw_events IN EXCLUSIVE MODE")
                cur.execute("INSERT INTO raw_events (originator_id, originator_version, topic, "
                            "state) VALUES (%s, 1, 'topic', %s) RETURNING notification_id",
                            (uuid.uuid4(), payload))
                cur.fetchone()

    return go, conn.close


def raw_locked_commits(server: str) -> float:
    """Rows/s: 8 processes of single-row commits, each under the recorder's table lock."""
    import psycopg

    name, url = fresh_database(server)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE raw_events (originator_id uuid NOT NULL, "
                         "originator_version bigint NOT NULL, topic text, state bytea, "
                         "notification_id bigserial, PRIMARY KEY (originator_id, "
                         "originator_version))")
            conn.execute("CREATE UNIQUE INDEX ON raw_events (notification_id)")
        return COMMANDS / in_processes(raw_writer, url)
    finally:
        drop_database(server, name)


def command_writer(n: int, args: tuple[str, str, str]
                   ) -> tuple[Callable[[], None], Callable[[], None]]:
    from app.bootstrap import bootstrap
    from app.config import load_settings

    url, folder, person = args
    services = bootstrap(load_settings(database_url=url, instance_path=folder,
                                       password_cost="fast"))

    def go() -> None:
        with services.ledger.acting_as(person):
            for i in range(COMMANDS // WRITERS):
                services.changes.submit_change_request(
                    board_id=None, title=f"Change {n}-{i}", description="benchmark change",
                    category="normal", risk="low", systems=["db"],
                    planned_start=START + timedelta(hours=i),
                    planned_end=START + timedelta(hours=i + 1), rollback_plan="restore")

    return go, services.close


def command_throughput(server: str) -> float:
    """Commands/s: 8 processes submitting change requests through the application layer."""
    from app.bootstrap import bootstrap
    from app.config import load_settings

    name, url = fresh_database(server)
    try:
        with tempfile.TemporaryDirectory(prefix="gl-bench-pg-") as folder:
            services = bootstrap(load_settings(database_url=url, instance_path=folder,
                                               password_cost="fast"))
            with services.ledger.as_system():
                person = services.people.register_person(
                    name="Bench", email="b@example.org", function="qa", role="member")["id"]
            services.close()
            return COMMANDS / in_processes(command_writer, (url, folder, person))
    finally:
        drop_database(server, name)


def run() -> list[dict[str, Any]]:
    """The row, or none without a PostgreSQL server."""
    server = server_url()
    if not server:
        return []
    ours = command_throughput(server)
    raw = raw_locked_commits(server)
    return [{"name": "postgres_commands_8_writers", "unit": "commands/s", "value": ours,
             "baseline_value": raw, "ratio": ours / raw, "target_ratio": 0.5,
             "writers": WRITERS, "commands": COMMANDS}]


if __name__ == "__main__":
    for result in run() or [{"name": "no PostgreSQL: set GOVLEDGER_BENCH_POSTGRES_URL"}]:
        print(result)
    sys.exit(0)
