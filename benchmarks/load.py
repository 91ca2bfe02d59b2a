"""Load at scale: list pages and API p95 at 16 clients against a trivial endpoint on the same
server (``wrk`` from Debian), and the server's peak memory.

``govledger serve`` runs as it would in production (gunicorn web workers beside a ``govledger
worker`` process) on a generated store (``BENCH_EVENTS`` events, or the store named by
``BENCH_STORE``, a folder holding ``ledger.sqlite3``; ``BENCH_DATABASE_URL`` points it at a
PostgreSQL database instead). A member signs in (a session cookie for pages, a bearer token for
the API); each URL is requested once (the first request: caches cold), then for
``BENCH_LOAD_SECONDS`` seconds by ``BENCH_CLIENTS`` connections. The baseline is the same run
against ``GET /api/v1/me`` — authentication, one read, JSON — run just before each row (the
machine's speed drifts over minutes), so each row's ratio is ``baseline p95 / p95`` (the
issue's "within 3×" is a ratio of at least ⅓).

``python -m benchmarks.load`` prints the rows; ``benchmarks/run.py`` adds them to ``make bench``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from web.cli.serving import WORKERS

if TYPE_CHECKING:
    from collections.abc import Iterator

EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "10"))
PASSWORD = "bench-password-123"

PAGES = ["/", "/changes/", "/decision-log", "/action-items/", "/oncall/incidents", "/reviews/",
         "/launches/"]
API = ["/api/v1/change-requests", "/api/v1/decision-log", "/api/v1/action-items",
       "/api/v1/incidents", "/api/v1/launches", "/api/v1/me/tasks"]
BASELINE = "/api/v1/me"

REPORT = """
done = function(summary, latency, requests)
  io.write(string.format('{"p50": %f, "p95": %f, "p99": %f, "requests": %d, "seconds": %f, '
    .. '"errors": %d, "non2xx": %d}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(folder: Path, database_url: str) -> dict[str, str]:
    return {**os.environ, "GOVLEDGER_INSTANCE_PATH": str(folder),
            "GOVLEDGER_DATABASE_URL": database_url}


def govledger(env: dict[str, str], *args: str) -> str:
    """Run the CLI; its standard output."""
    done = subprocess.run([sys.executable, "-m", "web.cli.main", *args], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"govledger {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def prepared(folder: Path, env: dict[str, str], ready: bool) -> None:
    """A generated store of ``EVENTS`` events, caught up and sealed (left as it is when given)."""
    if ready or os.environ.get("BENCH_STORE") or os.environ.get("BENCH_DATABASE_URL"):
        return
    govledger(env, "generate", "--events", str(EVENTS), "--seed", "1")
    govledger(env, "projections", "rebuild")
    govledger(env, "seal")


@contextmanager
def serving(env: dict[str, str], workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``govledger serve`` on a free loopback port until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli.main", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if process.poll() is not None:
                raise RuntimeError("serve stopped: "
                                   + (process.stderr.read().decode() if process.stderr else ""))
            try:
                if requests.get(f"{base}/api/v1/health", timeout=5).status_code < 500:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not answer within 600 s")
            time.sleep(0.5)
        yield base, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def sign_in(base: str, email: str) -> str:
    """A signed-in session's cookie header, through the sign-in form."""
    web = requests.Session()
    form = web.get(f"{base}/auth/login", timeout=30).text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    answer = web.post(f"{base}/auth/login", data={**hidden, "email": email,
                                                   "password": PASSWORD},
                      timeout=30, allow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    return "; ".join(f"{k}={v}" for k, v in web.cookies.items())


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        queue += [int(c) for c in children]
    return found


def peak_rss(pid: int) -> dict[str, int]:
    """Peak resident memory (VmHWM, bytes) of each process of the server."""
    out = {}
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            name = Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ")[:80]
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            out[f"{p} {name}"] = int(match.group(1)) * 1024
    return out


def wrk(base: str, path: str, header: str, script: str) -> dict[str, Any]:
    """p50/p95/p99 (ms), requests and errors of ``CLIENTS`` connections for ``SECONDS``."""
    done = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{SECONDS}s", "--timeout", "60s",
         "-s", script, "-H", header, base + path],
        capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def first(base: str, path: str, header: str) -> dict[str, Any]:
    """The first request's time and size (nothing warmed for this URL)."""
    name, value = header.split(": ", 1)
    began = time.perf_counter()
    response = requests.get(base + path, headers={name: value}, timeout=600)
    took = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return {"first_ms": took, "bytes": len(response.content)}


def run(folder: Path | None = None, ready: bool = False) -> list[dict[str, Any]]:
    """Every load row on one generated store (``ready``: ``folder`` already holds it, as
    ``benchmarks/scale.py`` leaves it)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install wrk (scripts/install-bench-deps.sh)")
    with tempfile.TemporaryDirectory(prefix="govledger-load-") as scratch:
        store = Path(os.environ.get("BENCH_STORE") or folder or scratch)
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{store / 'ledger.sqlite3'}"
        env = environment(store, url)
        prepared(store, env, ready)
        email = f"load{time.time_ns()}@example.org"
        token = json.loads(govledger(env, "user", "add", "--name", "Load Bench", "--email",
                                     email, "--function", "qa", "--role", "member",
                                     "--password", PASSWORD))["token"]
        script = str(Path(scratch) / "report.lua")
        Path(script).write_text(REPORT)
        workers = int(os.environ.get("BENCH_WEB_WORKERS") or WORKERS)  # serve's default
        backend = "postgresql" if url.startswith("postgresql") else "sqlite"
        with serving(env, workers) as (base, process):
            cookie = f"Cookie: {sign_in(base, email)}"
            bearer = f"Authorization: Bearer {token}"
            first(base, BASELINE, bearer)
            wrk(base, BASELINE, bearer, script)  # warms every process up; not reported
            rows = []
            for path, header in [*[(p, cookie) for p in PAGES], *[(p, bearer) for p in API]]:
                cold = first(base, path, header)
                baseline = wrk(base, BASELINE, bearer, script)  # next to the row it judges
                measured = wrk(base, path, header, script)
                rows.append({
                    "name": f"load_{backend}_{path.strip('/').replace('/', '_') or 'home'}",
                    "unit": f"ms p95 at {CLIENTS} clients", "value": measured["p95"],
                    "baseline_value": baseline["p95"],
                    "ratio": baseline["p95"] / measured["p95"] if measured["p95"] else 0.0,
                    "target_ratio": 1 / 3, "events": EVENTS, "path": path,
                    "web_workers": workers, "requests_per_s":
                        measured["requests"] / measured["seconds"],
                    "baseline_requests_per_s": baseline["requests"] / baseline["seconds"],
                    "errors": measured["errors"] + measured["non2xx"], **cold})
            memory = peak_rss(process.pid)
        rows.append({"name": f"load_{backend}_server_peak_rss", "unit": "MB (largest process)",
                     "value": max(memory.values()) / 2**20, "baseline_value": 300.0,
                     "ratio": 300.0 / (max(memory.values()) / 2**20), "target_ratio": 1.0,
                     "events": EVENTS,
                     "processes": {k: v / 2**20 for k, v in memory.items()}})
        return rows


def main() -> int:
    rows = run()
    for r in rows:
        extra = f"  first {r['first_ms']:.0f} ms, {r['bytes']:,} B" if "first_ms" in r else ""
        print(f"{r['name']:<44} {r['value']:9.1f} {r['unit']:<22} baseline "
              f"{r['baseline_value']:8.1f}  ratio {r['ratio']:.2f}{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
