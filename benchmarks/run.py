"""Benchmarks with their raw baselines measured in the same run; writes benchmarks/results.json
(an output, not tracked). The rows at scale (a generated history of ``BENCH_EVENTS`` events,
default 100,000) are in ``benchmarks/scale.py``.

Figures are ratios (ours / raw) so they hold across machines:
- change request commands/s through the application layer (durable SQLite: WAL,
  synchronous=FULL) against raw sqlite3 single-row commits with the same settings;
- projection rebuild events/s against a raw pipeline (select the stored events, decode their
  JSON payloads, executemany the rows into a plain table).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from app.bootstrap import bootstrap
from app.config import eventsourcing_env, load_settings
from domain.changes.change_request import ChangeRequest

RESULTS = Path(__file__).with_name("results.json")
COMMANDS = 2000
REBUILD_EVENTS = 20000
START = datetime(2026, 4, 1, 10, tzinfo=timezone.utc)


def timed(func: Callable[[], Any]) -> float:
    """Seconds taken by ``func``."""
    began = time.perf_counter()
    func()
    return time.perf_counter() - began


def median_rate(count: int, func: Callable[[], Any], repeats: int = 3) -> float:
    """Median of ``repeats`` rates (count / seconds)."""
    rates = sorted(count / timed(func) for _ in range(repeats))
    return rates[len(rates) // 2]


def raw_durable_commits(folder: Path, n: int) -> float:
    """Rows/s for single-row commits with raw sqlite3 in WAL mode with synchronous=FULL."""
    db = sqlite3.connect(folder / f"raw-{time.monotonic_ns()}.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
               "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))")
    payload = json.dumps({"title": "x" * 60, "systems": ["db"], "risk": "low"}).encode()

    def run() -> None:
        for i in range(n):
            db.execute("BEGIN")
            db.execute("INSERT INTO stored_events VALUES (?, 1, 'topic', ?)", (f"id-{i}-"
                       f"{time.monotonic_ns()}", payload))
            db.execute("COMMIT")

    rate = median_rate(n, run)
    db.close()
    return rate


def ledger_services(folder: Path) -> Any:
    services = bootstrap(load_settings(
        database_url=f"sqlite:///{folder / f'ledger-{time.monotonic_ns()}.sqlite3'}",
        instance_path=folder, password_cost="fast"))
    with services.ledger.as_system():
        person = services.people.register_person(name="Bench", email="b@example.org",
                                                 function="qa", role="member")
    return services, person["id"]


def submit(services: Any, person: str, n: int) -> None:
    with services.ledger.acting_as(person):
        for i in range(n):
            services.changes.submit_change_request(
                board_id=None, title=f"Change {i}", description="benchmark change",
                category="normal", risk="low", systems=["db"],
                planned_start=START + timedelta(hours=i),
                planned_end=START + timedelta(hours=i + 1), rollback_plan="restore")


def durability(services: Any) -> tuple[str, int]:
    """The journal mode and synchronous level the event store's connections use."""
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        return mode, cursor.fetchone()[0]


def command_throughput(folder: Path) -> dict[str, Any]:
    services, person = ledger_services(folder)
    mode, sync = durability(services)
    assert mode == "wal" and sync == 2, f"event store is not durable: {mode}, synchronous={sync}"
    ours = median_rate(COMMANDS, lambda: submit(services, person, COMMANDS))
    services.close()
    raw = raw_durable_commits(folder, COMMANDS)
    return {"name": "change_request_commands_sqlite", "unit": "commands/s", "value": ours,
            "baseline_value": raw, "ratio": ours / raw, "target_ratio": 0.3}


def raw_pipeline(path: str) -> int:
    """Select the stored events, decode their payloads, executemany the same rows as the read
    model (16 columns) into a plain table."""
    db = sqlite3.connect(path)
    db.execute("DROP TABLE IF EXISTS raw_rows")
    db.execute("CREATE TABLE raw_rows (id TEXT PRIMARY KEY, requester_id TEXT, board_id TEXT, "
               "title TEXT, description TEXT, category TEXT, risk TEXT, systems TEXT, "
               "planned_start TEXT, planned_end TEXT, rollback_plan TEXT, status TEXT, "
               "submitted_at TEXT, updated_at TEXT, version INTEGER)")
    rows = []
    for originator_id, version, state in db.execute(
            "SELECT originator_id, originator_version, state FROM stored_events "
            "WHERE topic LIKE '%ChangeRequest.Submitted'"):
        d = json.loads(state)
        rows.append((originator_id, d["requester_id"], d["board_id"], d["title"],
                     d["description"], d["category"], d["risk"], json.dumps(d["systems"]),
                     d["planned_start"]["_data_"], d["planned_end"]["_data_"],
                     d["rollback_plan"], "submitted", d["timestamp"]["_data_"],
                     d["timestamp"]["_data_"], version))
    db.executemany("INSERT INTO raw_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   rows)
    db.commit()
    db.close()
    return len(rows)


def rebuild_throughput(folder: Path) -> dict[str, Any]:
    services, person = ledger_services(folder)
    with services.ledger.acting_as(person):
        for chunk in range(REBUILD_EVENTS // 500):
            changes = []
            for i in range(500):
                k = chunk * 500 + i
                changes.append(ChangeRequest.submit(
                    requester_id=person, board_id=None, title=f"Change {k}", description="b",
                    category="normal", risk="low", systems=["db"],
                    planned_start=START + timedelta(hours=k),
                    planned_end=START + timedelta(hours=k + 1), rollback_plan="restore"))
            services.ledger.save(*changes)
    total = services.ledger.recorder.max_notification_id()
    ours = median_rate(total, services.projections.rebuild)
    path = eventsourcing_env(services.settings)["SQLITE_DBNAME"]
    raw = median_rate(total, lambda: raw_pipeline(path))
    services.close()
    return {"name": "projection_rebuild_sqlite", "unit": "events/s", "value": ours,
            "baseline_value": raw, "ratio": ours / raw, "target_ratio": 0.3}


def as_of_throughput(folder: Path) -> dict[str, Any]:
    """An as-of view of the whole log (every read model, replayed into a temporary SQLite file)
    against the same raw pipeline as the rebuild."""
    from app.audit.as_of import drop

    services, person = ledger_services(folder)
    with services.ledger.acting_as(person):
        for chunk in range(REBUILD_EVENTS // 500):
            services.ledger.save(*[ChangeRequest.submit(
                requester_id=person, board_id=None, title=f"Change {k}", description="b",
                category="normal", risk="low", systems=["db"],
                planned_start=START + timedelta(hours=k),
                planned_end=START + timedelta(hours=k + 1), rollback_plan="restore")
                for k in range(chunk * 500, chunk * 500 + 500)])
    services.audit.index()
    total = services.ledger.recorder.max_notification_id()
    ours = median_rate(total, lambda: drop(services.as_of.build(total)))
    path = eventsourcing_env(services.settings)["SQLITE_DBNAME"]
    raw = median_rate(total, lambda: raw_pipeline(path))
    services.close()
    return {"name": "as_of_view_sqlite", "unit": "events/s", "value": ours,
            "baseline_value": raw, "ratio": ours / raw, "target_ratio": 0.3}


def sign_in_timing(folder: Path, attempts: int = 5) -> dict[str, Any]:
    """Median time of a failed sign-in for an unknown email against a known one (production
    Argon2 parameters, the whole password sign-in with its shared limits and lock check): within
    2x either way, time does not tell which accounts exist."""
    import statistics

    from app.people.sign_in import Limits, PasswordSignIn

    services = bootstrap(load_settings(
        database_url=f"sqlite:///{folder / f'signin-{time.monotonic_ns()}.sqlite3'}",
        instance_path=folder, password_cost="strong"))
    with services.ledger.as_system():
        services.people.register_person(name="Known", email="known@example.org", function="qa",
                                        role="member", password="correct-horse-battery")

    unlimited = Limits(pair=10**6, address=10**6, account=10**6)
    sign_in = PasswordSignIn(services.engine, services.people, unlimited)

    def median(email: str) -> float:
        return statistics.median(timed(lambda: sign_in.attempt(
            email, "wrong-password-guess", "127.0.0.1")) for _ in range(attempts))

    median("nobody@example.org")  # warm up (the dummy hash is made once)
    unknown, known = median("nobody@example.org"), median("known@example.org")
    services.close()
    return {"name": "sign_in_unknown_vs_known_email", "unit": "ms", "value": unknown * 1000,
            "baseline_value": known * 1000, "ratio": min(unknown, known) / max(unknown, known),
            "target_ratio": 0.5}


def main() -> int:
    """Run every benchmark, print a table, write results.json; exit 1 if a target is missed."""
    from benchmarks import load, pg_writers, scale

    with tempfile.TemporaryDirectory(prefix="gl-bench-") as tmp:
        folder = Path(tmp)
        results = [command_throughput(folder), rebuild_throughput(folder),
                   as_of_throughput(folder), sign_in_timing(folder)]
        keep = os.environ.get("BENCH_KEEP_STORE")  # a new folder: the scale store stays there
        at_scale = Path(keep) if keep else folder / "scale"
        at_scale.mkdir(parents=bool(keep))
        results += scale.run(at_scale)
        results += load.run(at_scale, ready=True)  # the same store, served under wrk
    results += pg_writers.run()  # with GOVLEDGER_BENCH_POSTGRES_URL (or the test cluster's)
    RESULTS.write_text(json.dumps({"benchmarks": results}, indent=2) + "\n")
    print(f"{'benchmark':<34}{'unit':>16}{'value':>12}{'baseline':>12}{'ratio':>8}"
          f"{'target':>8}")
    for r in results:
        print(f"{r['name']:<34}{r['unit']:>16}{r['value']:>12.1f}{r['baseline_value']:>12.1f}"
              f"{r['ratio']:>8.2f}{r['target_ratio']:>8.2f}")
    print(f"wrote {RESULTS}")
    return 0 if all(r["ratio"] >= r["target_ratio"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
