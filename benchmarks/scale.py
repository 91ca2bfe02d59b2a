"""Benchmarks at scale: a generated history (``app/generate.py``) of ``BENCH_EVENTS`` events
(default 100,000), each figure against a raw baseline measured in the same run on the same data.

- ``generate``: events/s appended by the generator (CPU time: the machine may be shared) —
  against the 10,000 events/s the generator is meant to reach;
- ``rebuild``: projection rebuild events/s against a raw pipeline over the same log (select every
  stored event, decode its JSON, executemany one row per event into a plain table), the median
  of three of each taken in turn;
- ``verify``: ``govledger verify`` events/s (wall, with its worker processes, and CPU time of
  this process plus its workers) against SHA-256 alone over the same stored bytes, with the peak
  memory of the verifying processes (``VmHWM``);
- ``bundle_one_day``: seconds for the compliance bundle of one day, the slowest of a day a tenth
  of the way into the log, one in its middle and one near its end, with the evidence replica
  kept up (as the worker keeps it; its first replay is measured beside it), against the 5 s
  goal — and the same on a log a fifth as long, to show it does not grow with the log;
- ``as_of_first_request``: seconds to build an as-of view of the middle of the log (first
  request, nothing cached) against the 1 s goal;
- ``post_latency``: median ms of a change-request POST through the API (command, read-model
  catch-up, sealing) against ``GET /api/v1/me`` on the same app, at this log length.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.bootstrap import bootstrap
from app.config import eventsourcing_env, load_settings
from app.generate import generate

if TYPE_CHECKING:
    from app.bootstrap import Services

EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
POSTS = 25


def row(name: str, unit: str, value: float, baseline: float, target: float,
        higher_is_better: bool = True, **extra: Any) -> dict[str, Any]:
    """One result: value, baseline, ratio (value / baseline, or baseline / value when lower is
    better, so a ratio >= target always passes)."""
    ratio = value / baseline if higher_is_better else baseline / value
    return {"name": name, "unit": unit, "value": value, "baseline_value": baseline,
            "ratio": ratio, "target_ratio": target, "events": EVENTS, **extra}


def open_store(folder: Path) -> Services:
    return bootstrap(load_settings(database_url=f"sqlite:///{folder / 'ledger.sqlite3'}",
                                   instance_path=folder, password_cost="fast"))


def generated(folder: Path) -> tuple[Services, dict[str, Any]]:
    """A store with ``EVENTS`` generated events, caught up and sealed; the generator's row."""
    services = open_store(folder)
    began, cpu = time.perf_counter(), time.process_time()
    appended = generate(services, EVENTS, seed=1)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    services.projections.catch_up()
    services.audit.seal(force=True)
    return services, row("generate_events", "events/s (CPU)", appended / cpu, 10_000, 1.0,
                         wall_events_per_s=appended / wall)


def raw_pipeline(path: str) -> int:
    """Select every stored event, decode its JSON, insert one row per event (raw sqlite3)."""
    db = sqlite3.connect(path)
    db.execute("DROP TABLE IF EXISTS bench_raw_rows")
    db.execute("CREATE TABLE bench_raw_rows (id TEXT, version INTEGER, topic TEXT, "
               "actor TEXT, at TEXT, body TEXT)")
    rows = []
    for oid, version, topic, state in db.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"):
        d = json.loads(state)
        rows.append((oid, version, topic, d.get("actor_id"), d["timestamp"]["_data_"],
                     json.dumps(d)))
    db.executemany("INSERT INTO bench_raw_rows VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.execute("DROP TABLE bench_raw_rows")
    db.close()
    return len(rows)


def raw_sha256(path: str) -> int:
    """SHA-256 of every stored event's bytes, nothing else (raw sqlite3)."""
    db = sqlite3.connect(path)
    count = 0
    sha = hashlib.sha256
    for (state,) in db.execute("SELECT state FROM stored_events ORDER BY rowid"):
        sha(state).digest()
        count += 1
    db.close()
    return count


def rate(count_and_run: Any) -> float:
    began = time.perf_counter()
    count = count_and_run()
    return count / (time.perf_counter() - began)


def rebuild(services: Services, runs: int = 3) -> dict[str, Any]:
    """The median of ``runs`` rebuilds and raw pipelines, taken in turn (each alone varies by
    ±25% here). A rebuild of a log this long uses two processes on SQLite
    (``ProjectionRunner.rebuild``); the raw pipeline one."""
    head = services.ledger.recorder.max_notification_id() or 0
    path = eventsourcing_env(services.settings)["SQLITE_DBNAME"]
    raws, ours = [], []
    for _ in range(runs):
        raws.append(rate(lambda: raw_pipeline(path)))
        ours.append(rate(lambda: (services.projections.rebuild(), head)[1]))
    return row("projection_rebuild_generated", "events/s", statistics.median(ours),
               statistics.median(raws), 0.5, runs=runs,
               processes=2 if head >= services.projections.parallel_from else 1)


def peak_rss() -> int:
    """This process's resident-memory high-water mark in bytes (``VmHWM``: unlike
    ``getrusage``'s ``ru_maxrss`` it is not inherited from the parent across exec)."""
    from app.audit.service import _peak_rss  # noqa: PLC2701 - the one reader of VmHWM

    return _peak_rss(os.getpid())


def cpu_of_children() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def verify(services: Services) -> dict[str, Any]:
    from app.audit import service

    path = eventsourcing_env(services.settings)["SQLITE_DBNAME"]
    cpu = time.process_time()
    raw = rate(lambda: raw_sha256(path))
    raw_cpu = EVENTS / max(time.process_time() - cpu, 1e-9)
    report: list[Any] = []
    cpu, children = time.process_time(), cpu_of_children()
    ours = rate(lambda: (report.append(services.audit.verify()), report[0].events)[1])
    used = time.process_time() - cpu + cpu_of_children() - children
    assert report[0].ok, report[0].lines()
    workers = service.verify_workers(report[0].events)
    cpu = time.process_time()
    alone = rate(lambda: services.audit.verify(workers=0).events)
    alone_cpu = report[0].events / (time.process_time() - cpu)
    return row("verify_generated", "events/s", ours, raw, 0.1, target_events_per_s=200_000,
               one_process_events_per_s=alone, one_process_cpu_events_per_s=alone_cpu,
               workers=workers, cpu_events_per_s=report[0].events / used,
               raw_sha256_cpu_events_per_s=raw_cpu,
               worker_peak_rss_mb=[round(b / 2**20) for b in service.WORKER_PEAK_RSS],
               verify_process_peak_rss_mb=round(verify_in_a_process(services) / 2**20))


def verify_in_a_process(services: Services) -> int:
    """Peak memory (bytes) of ``govledger verify`` run alone in a fresh process."""
    import subprocess
    import sys

    script = ("import os, sys; from app.bootstrap import bootstrap; "
              "from app.config import load_settings; "
              "from app.audit.service import _peak_rss; "
              "s = bootstrap(load_settings(database_url=sys.argv[1], instance_path=sys.argv[2],"
              " password_cost='fast')); r = s.audit.verify(); assert r.ok, r.lines(); "
              "print(_peak_rss(os.getpid()))")
    done = subprocess.run([sys.executable, "-c", script, services.settings.database_url,
                           str(services.settings.instance_path)], capture_output=True,
                          text=True, check=True)
    return int(done.stdout.split()[-1])


def bundle_one_day(services: Services, folder: Path) -> dict[str, Any]:
    """One-day bundles (a day early in the log, one in its middle, one near its end): here, and
    on a log a fifth as long (the bundle's work must not grow with the log)."""
    small = folder / "small"
    small.mkdir(exist_ok=True)
    shorter = open_store(small)
    try:
        generate(shorter, max(EVENTS // 5, 5_000), seed=1)
        at_small = _timed_bundles(shorter)
    finally:
        shorter.close()
    here = _timed_bundles(services)
    return row("bundle_one_day", "s (the slowest of three days)", here["bundle_s"], 5.0, 1.0,
               higher_is_better=False, days=here["days"],
               replica_first_replay_s=here["replica_s"], peak_rss_mb=round(peak_rss() / 2**20),
               at_log_of_events=max(EVENTS // 5, 5_000), bundle_s_at_that_log=at_small[
                   "bundle_s"], days_at_that_log=at_small["days"])


def _days(services: Services) -> list[str]:
    """The days of the events a tenth, half and 98% of the way into the log (the last event may
    be the signing key's, recorded today)."""
    from sqlalchemy import select

    from app.audit.service import audit_leaves

    size = services.audit.sealed_size()
    with services.engine.connect() as conn:
        return [str(conn.scalar(select(audit_leaves.c.recorded_at).where(
            audit_leaves.c.leaf_index == i)))[:10]
            for i in (size // 10, size // 2, size * 49 // 50)]


def _timed_bundles(services: Services) -> dict[str, Any]:
    """Each of ``_days`` bundled, the evidence replica first replayed to the sealed log (what
    ``govledger worker`` keeps it at; timed apart)."""
    from app.audit.bundle import build_bundle, parse_moment

    services.audit.seal(force=True)
    began = time.perf_counter()
    with services.evidence.view(services.evidence._sealed_head()):  # noqa: SLF001
        pass
    replica = time.perf_counter() - began
    days = {}
    for day in _days(services):
        start, end = parse_moment(day, "from"), parse_moment(day, "to", end=True)
        began = time.perf_counter()
        _, manifest = build_bundle(services, start, end)
        days[day] = {"s": round(time.perf_counter() - began, 2),
                     "events": manifest["counts"]["events"]}
    return {"bundle_s": max(d["s"] for d in days.values()), "days": days, "replica_s": replica}


def as_of_first_request(services: Services) -> dict[str, Any]:
    """The first request for the moment half way through the log, nothing cached: a page of
    the decision log API as of then, through the app (``?as_of=``)."""
    from urllib.parse import quote

    from web import create_app

    head = services.ledger.recorder.max_notification_id() or 0
    middle = services.ledger.recorder.select_notifications(start=head // 2, limit=1)[0]
    moment = services.ledger.mapper.to_domain_event(middle).timestamp
    client = create_app(services=services).test_client()
    with services.ledger.as_system():
        person = services.people.register_person(
            name="Bench Auditor", email=f"asof{time.monotonic_ns()}@example.org",
            function="qa", role="auditor")
    headers = {"Authorization": f"Bearer {person['token']}"}
    services.projections.catch_up()
    client.get("/api/v1/me", headers=headers)
    services.as_of.clear()
    began = time.perf_counter()
    answer = client.get(f"/api/v1/decision-log?as_of={quote(moment.isoformat())}",
                        headers=headers)
    took = time.perf_counter() - began
    if answer.status_code != 200:
        raise RuntimeError(f"as-of request answered {answer.status_code}: {answer.data[:200]!r}")
    services.as_of.clear()
    return row("as_of_first_request", "s", took, 1.0, 1.0, higher_is_better=False,
               items=len(answer.get_json()["items"]))


def post_latency(services: Services) -> dict[str, Any]:
    """Median latency of a change request POST against GET /api/v1/me, same app and store."""
    from web import create_app

    app = create_app(services=services)
    client = app.test_client()
    with services.ledger.as_system():
        person = services.people.register_person(
            name="Bench Poster", email=f"poster{time.monotonic_ns()}@example.org",
            function="qa", role="member")
    headers = {"Authorization": f"Bearer {person['token']}"}
    start = services.ledger.mapper.to_domain_event(services.ledger.recorder.select_notifications(
        start=services.ledger.recorder.max_notification_id() or 1, limit=1)[0]).timestamp
    client.get("/api/v1/me", headers=headers)
    services.projections.catch_up()

    def timed(method: Any, *args: Any, **kwargs: Any) -> float:
        began = time.perf_counter()
        response = method(*args, **kwargs)
        assert response.status_code < 300, response.get_json()
        return (time.perf_counter() - began) * 1000

    posts, gets = [], []
    for i in range(POSTS):
        when = start + timedelta(days=1, hours=i)
        posts.append(timed(client.post, "/api/v1/change-requests", headers=headers, json={
            "title": f"Bench change {i}", "description": "d", "category": "normal",
            "risk": "low", "systems": ["db"], "planned_start": when.isoformat(),
            "planned_end": (when + timedelta(hours=1)).isoformat(), "rollback_plan": "r"}))
        gets.append(timed(client.get, "/api/v1/me", headers=headers))
    return row("post_latency_generated", "ms (median)", statistics.median(posts),
               statistics.median(gets), 1 / 3, higher_is_better=False,
               p95_ms=sorted(posts)[int(len(posts) * 0.95) - 1])


def run(folder: Path) -> list[dict[str, Any]]:
    """Every scale row, on one generated store."""
    services, generated_row = generated(folder)
    try:
        return [generated_row, post_latency(services), as_of_first_request(services),
                verify(services), bundle_one_day(services, folder), rebuild(services)]
    finally:
        services.close()
