"""``govledger serve`` as processes: several web processes start at once on a fresh SQLite store
(the web app's own tables are created under the schema lock, none fails), it starts its worker
process, and a ``kill -9`` of serve takes every child with it (nothing keeps the port)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from web.cli.serving import stop_process

GOVLEDGER = str(Path(sys.executable).with_name("govledger"))

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc and relies on PR_SET_PDEATHSIG")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def initialised_store(tmp_path: Path) -> tuple[dict[str, str], int]:
    """The environment of a fresh SQLite store under ``tmp_path`` (initialised) and a free
    loopback port."""
    env = {**os.environ, "GOVLEDGER_INSTANCE_PATH": str(tmp_path / "instance"),
           "GOVLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"}
    subprocess.run([GOVLEDGER, "init"], env=env, check=True, capture_output=True)  # noqa: S603
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return env, probe.getsockname()[1]


def test_four_web_processes_and_a_worker_start_and_die_with_serve(tmp_path: Path) -> None:
    env, port = initialised_store(tmp_path)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen([GOVLEDGER, "serve", "--port", str(port),  # noqa: S603
                                  "--workers", "4"], env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 45
        kids: list[int] = []
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=3).ok:
                    kids = children(serve.pid)
                    if len(kids) == 5:  # four web processes and the worker
                        break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert serve.poll() is None, log.read_text()[-2000:]
            time.sleep(0.2)
        assert len(kids) == 5, (kids, log.read_text()[-2000:])
        time.sleep(1.0)  # every web process has built its app
        assert "Exception in worker process" not in log.read_text(), log.read_text()[-3000:]
        serve.send_signal(signal.SIGKILL)
        serve.wait()
        deadline = time.monotonic() + 10
        while any(alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [k for k in kids if alive(k)]
        with socket.socket() as probe:  # the port is free again
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        for kid in children(serve.pid):
            os.kill(kid, signal.SIGKILL)


def established_by_process(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections to ``port`` each process holds (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    held = {}
    for pid in pids:
        targets = []
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                targets.append(os.readlink(fd))
            except OSError:
                continue
        held[pid] = sum(1 for t in targets if t.startswith("socket:[") and t[8:-1] in inodes)
    return held


def test_clients_connecting_at_once_are_shared_between_the_web_processes(
        tmp_path: Path) -> None:
    env, port = initialised_store(tmp_path)
    serve = subprocess.Popen([GOVLEDGER, "serve", "--port", str(port), "--workers", "2",  # noqa: S603
                              "--threads", "2", "--no-worker"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    clients: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and len(children(serve.pid)) < 2:
            time.sleep(0.2)
        web = children(serve.pid)
        assert len(web) == 2
        while time.monotonic() < deadline:  # both have built their app and listen
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=3).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        time.sleep(1.0)
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(16)]
        for client in clients:  # keep-alive requests: each connection stays with its process
            client.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        for client in clients:
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        held = established_by_process(web, port)
        assert sum(held.values()) == 16, held
        assert min(held.values()) >= 4, held  # unbalanced, one took 14 or all 16 of them
    finally:
        for client in clients:
            client.close()
        stop_process(serve)
