"""The fault suite: a real ``govledger serve`` under N client processes × M commands (new change
requests, and votes on ONE agenda item: a hot aggregate), killed with SIGKILL R times mid-load
and restarted, every client retrying every unanswered request with its ``Idempotency-Key``
(and the same ``X-Request-Id``, which every event records). Optionally a full disk (a small
tmpfs, when this machine lets us mount one).

Then every event of the store is read back and each command checked:

- acknowledged: answered 2xx (or ``recorded_answer_lost`` after a crash);
- present: acknowledged and its events are in the store;
- lost: acknowledged but no event carries its request id;
- duplicated: one command's events stored twice (the same request id, aggregate and event type);
- refused but stored: answered 4xx (or 507, disk full) yet its events are in the store;
- 5xx: any server error answered (507 "disk full" is counted apart, in the disk phase only).

Exit status 1 on any loss, duplicate, refused-but-stored or 5xx, or when a planned kill did not
happen. ``python -m benchmarks.faults`` (quick: CI) or ``--thorough`` (8 × 200, 14 kills);
``scripts/fault-suite`` runs it with the project's virtualenv.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

QUICK = {"processes": 4, "commands": 16, "kills": 2}
THOROUGH = {"processes": 8, "commands": 200, "kills": 14}
ANSWER_DEADLINE = 120.0
"""Seconds a client keeps retrying one command before it gives up (counted as unanswered)."""


@dataclass
class Tally:
    """One run's figures."""

    backend: str
    processes: int
    commands: int
    sent: int = 0
    acknowledged: int = 0
    present: int = 0
    lost: int = 0
    duplicated: int = 0
    refused: int = 0
    refused_but_stored: int = 0
    server_errors: int = 0
    disk_full: int = 0
    unanswered: int = 0
    answer_lost_replies: int = 0
    replayed: int = 0
    retries: int = 0
    kills: int = 0
    kills_planned: int = 0
    stalled: list[str] = field(default_factory=list)
    """Projections the health check reports stalled after the run (none expected)."""
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: str = ""

    @property
    def failed(self) -> bool:
        """Whether the run found a fault."""
        return bool(self.lost or self.duplicated or self.refused_but_stored or
                    self.server_errors or self.unanswered or self.kills < self.kills_planned
                    or self.stalled)


# -- the store and the server -----------------------------------------------------------------

def prepare(database_url: str, instance: Path, writers: int) -> dict[str, Any]:
    """A board of ``writers`` members (each a client's token), an open meeting with one agenda
    item (the hot aggregate), everyone present."""
    from datetime import datetime, timedelta, timezone

    from app.bootstrap import bootstrap
    from app.config import load_settings

    services = bootstrap(load_settings(database_url=database_url, instance_path=instance,
                                       password_cost="fast"))
    try:
        people = services.people
        with services.ledger.as_system():
            admin = people.register_person(name="Fault Admin", email="admin@faults.example",
                                           function="management", role="admin", password=None)
            members = [people.register_person(
                name=f"Writer {n}", email=f"writer{n}@faults.example",
                function=("engineering", "product", "security", "devops", "qa")[n % 5],
                role="member", password=None) for n in range(max(writers, 3))]
        chair = members[0]["id"]
        with services.ledger.acting_as(admin["id"]):
            board = services.ccb.create_board(name="Fault CCB", chair_id=chair,
                                              members=[m["id"] for m in members])["id"]
        with services.ledger.acting_as(admin["id"]):  # not a voter: every vote may count
            start = datetime.now(timezone.utc) + timedelta(days=30)
            change = services.changes.submit_change_request(**_change_input(
                "The hot agenda item", start))["id"]
        with services.ledger.acting_as(chair):
            meeting = services.ccb.schedule_meeting(board, datetime.now(timezone.utc))["id"]
            services.ccb.add_agenda_item(meeting, change)
            services.ccb.open_meeting(meeting)
        for member in members:
            with services.ledger.acting_as(member["id"]):
                services.ccb.record_attendance(meeting, member["id"], "in_person", None)
        return {"tokens": [m["token"] for m in members], "meeting": meeting, "item": change}
    finally:
        services.close()


def _change_input(title: str, start: Any) -> dict[str, Any]:
    from datetime import timedelta

    from app.changes.schemas import ChangeRequestInputSchema

    return ChangeRequestInputSchema().load(_change_body(title, start.isoformat(),
                                                        (start + timedelta(hours=2)).isoformat()))


def _change_body(title: str, start: str, end: str, description: str = "Fault suite.") -> dict:
    return {"title": title, "description": description, "category": "normal", "risk": "low",
            "systems": ["fault-suite"], "planned_start": start, "planned_end": end,
            "rollback_plan": "Nothing to roll back."}


class Server:
    """``govledger serve`` as a subprocess, killed and restarted at will."""

    def __init__(self, database_url: str, instance: Path, port: int, log: Path) -> None:
        self.port, self.log = port, log
        self.env = {**os.environ, "GOVLEDGER_DATABASE_URL": database_url,
                    "GOVLEDGER_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until it answers."""
        govledger = Path(sys.executable).with_name("govledger")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                [str(govledger), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"govledger serve exited {self.process.returncode}; see "
                                   f"{self.log}")
            try:
                status, _ = request(self.port, "GET", "/api/v1/health", None, {}, timeout=2)
                if status:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"govledger serve did not answer within {timeout} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last answer."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the clients ------------------------------------------------------------------------------

def request(port: int, method: str, path: str, body: Any, headers: dict[str, str],
            timeout: float = 15.0) -> tuple[int, Any]:
    """One HTTP request on a new connection: (status, decoded JSON or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={
            **headers, **({"Content-Type": "application/json"} if data else {})})
        response = conn.getresponse()
        raw = response.read()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = None
        replayed = response.getheader("Idempotent-Replayed") == "true"
        return response.status, {"body": decoded, "replayed": replayed}
    finally:
        conn.close()


_progress: Any = None


def _share(progress: Any) -> None:
    global _progress  # noqa: PLW0603 - a pool worker's one shared counter
    _progress = progress


def client(args: tuple[int, int, str, dict[str, Any], str]) -> list[dict[str, Any]]:
    """One writer: ``commands`` commands, half of them votes on the hot agenda item, each sent
    until it is answered (retried with the same key after a dropped connection or a 429)."""
    n, port, run, fixture, token = args
    progress = _progress
    rng = random.Random(f"{run}-{n}")  # noqa: S311 - test data
    votes = f"/api/v1/meetings/{fixture['meeting']}/items/{fixture['item']}/votes"
    done = []
    for i in range(fixture["commands"]):
        key = f"{run}-{n}-{i}"
        if i % 2 == 0:
            kind, path, body = "vote", votes, {"choice": rng.choice(("approve", "reject"))}
        else:
            kind, path = "change", "/api/v1/change-requests"
            body = _change_body(f"Fault {key}", "2031-01-01T10:00:00+00:00",
                                "2031-01-01T11:00:00+00:00", fixture.get("description",
                                                                         "Fault suite."))
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key,
                   "X-Request-Id": key}
        status, answer, retries, statuses = 0, None, 0, []
        deadline = time.monotonic() + ANSWER_DEADLINE
        while time.monotonic() < deadline:
            try:
                status, answer = request(port, "POST", path, body, headers)
            except (OSError, http.client.HTTPException):
                status = 0
            statuses.append(status)
            if status in (0, 429):
                retries += 1
                time.sleep(min(1.0, 0.05 * 2 ** min(retries, 5)))
                continue
            if 500 <= status and status != 507 and fixture.get("retry_5xx"):
                retries += 1
                time.sleep(0.2)
                continue
            break
        outcome = ((answer or {}).get("body") or {}) if isinstance(answer, dict) else {}
        error = outcome.get("error") if isinstance(outcome, dict) else None
        done.append({"key": key, "kind": kind, "status": status, "statuses": statuses,
                     "code": error.get("code") if isinstance(error, dict) else None,
                     "retries": retries, "replayed": bool(answer and answer.get("replayed")),
                     "answer_lost": isinstance(outcome, dict)
                     and outcome.get("outcome") == "recorded_answer_lost"})
        with progress.get_lock():
            progress.value += 1
    return done


# -- one run ----------------------------------------------------------------------------------

def run(backend: str, database_url: str, instance: Path, processes: int, commands: int,
        kills: int, *, description: str = "Fault suite.", disk: Path | None = None,
        keep: Path | None = None) -> Tally:
    """Prepare the store, serve it, load it with the clients while killing the server, then
    read every event back and count."""
    tally = Tally(backend=backend, processes=processes, commands=commands, kills_planned=kills)
    started = time.monotonic()
    fixture = prepare(database_url, instance, processes)
    fixture.update(commands=commands, description=description)
    port = free_port()
    log = (keep or instance) / f"serve-{backend}.log"
    server = Server(database_url, instance, port, log)
    server.start()
    run_id = uuid.uuid4().hex[:8]
    ctx = multiprocessing.get_context("spawn")
    progress = ctx.Value("i", 0)
    total = processes * commands
    marks = [total * (k + 1) // (kills + 1) for k in range(kills)]
    stop = threading.Event()

    def killer() -> None:
        for mark in marks:
            while progress.value < mark and not stop.is_set():
                time.sleep(0.02)
            if stop.is_set():
                return
            time.sleep(random.uniform(0, 0.05))  # noqa: S311 - somewhere mid-request
            server.kill()
            tally.kills += 1
            server.start()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    if disk is not None:
        fill(disk)
    try:
        with ctx.Pool(processes, initializer=_share, initargs=(progress,)) as pool:
            answers = [a for batch in pool.map(client, [
                (n, port, run_id, fixture, fixture["tokens"][n % len(fixture["tokens"])])
                for n in range(processes)]) for a in batch]
        if disk is not None:  # room again: every refused command is sent again, same key
            unfill(disk)
            again = [a for a in answers if a["status"] == 507]
            tally.disk_full = len(again)
            tally.statuses = {"507 before room was made": len(again)}
            fixture["retry_5xx"] = True
            if again:
                with ctx.Pool(1, initializer=_share, initargs=(progress,)) as pool:
                    redone = {a["key"]: a for batch in pool.map(client, [
                        (n, port, run_id, fixture, fixture["tokens"][n % len(fixture["tokens"])])
                        for n in sorted({int(a["key"].split("-")[1]) for a in again})])
                        for a in batch}
                answers = [redone.get(a["key"], a) if a["status"] == 507 else a
                           for a in answers]
        stop.set()
        thread.join(60)
        _, health = request(port, "GET", "/api/v1/health", None, {})
        tally.stalled = list((health or {}).get("body", {}).get("stalled", ["health unknown"]))
    finally:
        stop.set()
        thread.join(5)
        server.stop()
    count(tally, answers, database_url, instance)
    tally.seconds = round(time.monotonic() - started, 1)
    return tally


def count(tally: Tally, answers: list[dict[str, Any]], database_url: str,
          instance: Path) -> None:
    """Read every event back and classify every command."""
    from app.bootstrap import bootstrap
    from app.config import load_settings

    services = bootstrap(load_settings(database_url=database_url, instance_path=instance,
                                       password_cost="fast"))
    by_request: Counter[tuple[str, str, str]] = Counter()
    try:
        recorder, mapper = services.ledger.recorder, services.ledger.mapper
        start = 1
        while batch := recorder.select_notifications(start=start, limit=1000):
            for notification in batch:
                event = mapper.to_domain_event(notification)
                rid = getattr(event, "request_id", None)
                if rid:
                    by_request[(rid, str(event.originator_id), notification.topic)] += 1
            start = batch[-1].id + 1
    finally:
        services.close()
    stored: Counter[str] = Counter()
    twice: set[str] = set()
    for (rid, _, _), n in by_request.items():
        stored[rid] += n
        if n > 1:
            twice.add(rid)
    statuses: Counter[str] = Counter()
    for answer in answers:
        tally.sent += 1
        tally.retries += answer["retries"]
        status = answer["status"]
        for seen in answer["statuses"][:-1]:
            statuses[str(seen) if seen else "dropped"] += 1
        last = answer["statuses"][-1] if answer["statuses"] else 0
        statuses[f"{last} {answer['code']}" if answer["code"] else str(last or "dropped")] += 1
        for seen in answer["statuses"]:
            if 500 <= seen and seen != 507:
                tally.server_errors += 1
        tally.replayed += answer["replayed"]
        tally.answer_lost_replies += answer["answer_lost"]
        if status == 0:
            tally.unanswered += 1
        elif 200 <= status < 300:
            tally.acknowledged += 1
            if stored[answer["key"]]:
                tally.present += 1
            else:
                tally.lost += 1
        elif stored[answer["key"]]:
            tally.refused_but_stored += 1
        else:
            tally.refused += 1
        if answer["key"] in twice:
            tally.duplicated += 1
    tally.statuses = {**tally.statuses, **dict(sorted(statuses.items()))}


# -- a full disk ------------------------------------------------------------------------------

FILLER = "filler.bin"


def mount_tmpfs(size_mb: int) -> Path | None:
    """A fresh tmpfs of ``size_mb`` MiB, or None when this machine does not let us mount."""
    where = Path(tempfile.mkdtemp(prefix="govledger-fulldisk-"))
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs",  # noqa: S607
                             str(where)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        where.rmdir()
        return None
    return where


def unmount(where: Path) -> None:
    """Unmount and remove a tmpfs made by ``mount_tmpfs``."""
    subprocess.run(["umount", str(where)], capture_output=True, check=False)  # noqa: S607
    with contextlib.suppress(OSError):
        where.rmdir()


def fill(disk: Path) -> None:
    """Fill the disk but for a few KiB (enough for the first commands, not for all)."""
    free = shutil.disk_usage(disk).free
    with (disk / FILLER).open("wb") as out:
        out.write(b"\0" * max(0, free - 96 * 1024))


def unfill(disk: Path) -> None:
    """Make room again."""
    with contextlib.suppress(OSError):
        (disk / FILLER).unlink()


# -- the command ------------------------------------------------------------------------------

def pg_database(url: str) -> tuple[str, str]:
    """A new empty PostgreSQL database next to ``url``'s: (name, url)."""
    import psycopg

    name = f"gl_faults_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, url.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__
                                     .split("\n\n")[0])
    parser.add_argument("--thorough", action="store_true",
                        help="8 processes × 200 commands, 14 kills (default: quick, for CI)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both",
                        help="default: both (PostgreSQL when GOVLEDGER_TEST_POSTGRES_URL or "
                             "--postgres-url names a server)")
    parser.add_argument("--postgres-url", default=os.environ.get("GOVLEDGER_TEST_POSTGRES_URL"))
    parser.add_argument("--processes", type=int)
    parser.add_argument("--commands", type=int)
    parser.add_argument("--kills", type=int)
    parser.add_argument("--no-disk", action="store_true", help="skip the full-disk phase")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    sizes = {**(THOROUGH if args.thorough else QUICK),
             **{k: v for k in ("processes", "commands", "kills")
                if (v := getattr(args, k)) is not None}}
    results: list[Tally] = []
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="govledger-faults-") as tmp:
            instance = Path(tmp)
            if backend == "sqlite":
                results.append(run(backend, f"sqlite:///{instance / 'govledger.sqlite3'}",
                                   instance, **sizes))
                continue
            if not args.postgres_url:
                results.append(Tally(backend, 0, 0, skipped="no PostgreSQL (set "
                                     "GOVLEDGER_TEST_POSTGRES_URL or --postgres-url)"))
                continue
            name, url = pg_database(args.postgres_url)
            try:
                results.append(run(backend, url, instance, **sizes))
            finally:
                drop_pg_database(args.postgres_url, name)
    if not args.no_disk:
        results.append(full_disk(sizes))
    report(results)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 1 if any(r.failed for r in results) else 0


def full_disk(sizes: dict[str, int]) -> Tally:
    """SQLite on a small tmpfs filled but for a few KiB: commands that cannot be stored are
    refused (507) with nothing stored; sent again once there is room, each is stored once."""
    disk = mount_tmpfs(24)
    if disk is None:
        return Tally("sqlite, full disk", 0, 0,
                     skipped="cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)")
    try:
        instance = disk / "instance"
        instance.mkdir()
        return run("sqlite, full disk", f"sqlite:///{instance / 'govledger.sqlite3'}",
                   instance, min(sizes["processes"], 4), min(sizes["commands"], 40), 0,
                   description="Fault suite, full disk. " + "x" * 3000, disk=disk,
                   keep=Path(tempfile.gettempdir()))
    finally:
        unmount(disk)


COLUMNS = ("backend", "processes", "commands", "sent", "acknowledged", "present", "lost",
           "duplicated", "refused", "refused_but_stored", "server_errors", "disk_full",
           "unanswered", "stalled", "kills", "retries", "replayed", "answer_lost_replies", "seconds")


def report(results: list[Tally]) -> None:
    """Print the figures, one line per run."""
    for r in results:
        if r.skipped:
            print(f"{r.backend}: skipped: {r.skipped}")
            continue
        figures = ", ".join(f"{c.replace('_', ' ')} {getattr(r, c)}" for c in COLUMNS[1:])
        verdict = "FAULT" if r.failed else "ok"
        print(f"{r.backend}: {verdict}: {figures}; answers {r.statuses}")


if __name__ == "__main__":
    sys.exit(main())
