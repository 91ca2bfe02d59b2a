"""``govledger serve`` and ``govledger worker``: the web app under gunicorn (N web processes),
the background work in ``govledger worker`` processes (see docs/DEPLOYMENT.md).

``serve`` checks its settings and the store first (``web/cli/preflight.py``, then the bootstrap
DDL), then hands the socket to gunicorn's arbiter through its programmatic ``BaseApplication``:
each web process (gunicorn worker, ``gthread`` class balanced by ``BalancedThreadWorker``,
``web_threads`` threads) opens its own connections and
builds the app after the fork. Unless ``--no-worker`` (or ``GOVLEDGER_SERVE_WORKER=0``), serve
also starts one ``govledger worker`` process and stops it when it stops; each child dies with
its parent (Linux ``PR_SET_PDEATHSIG``), so a ``kill -9`` of serve leaves no process holding the
port or the store. Where gunicorn cannot run (not POSIX), serve falls back to waitress in one
process with the background work in threads.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from app.bootstrap import bootstrap

if TYPE_CHECKING:
    import argparse

    from app.bootstrap import Services
    from app.config import Settings

THREADS = 4
"""Request threads per web process on PostgreSQL unless set (``--threads``,
``GOVLEDGER_WEB_THREADS``). Python runs one thread of a process at a time: more threads than
requests wait on the database only add switching between them (see docs/PERFORMANCE.md), and
every thread holds a database connection."""

SQLITE_THREADS = 2
"""The same on SQLite, whose queries run in the web process itself (on its CPU, not waited
for over a socket): two threads in each of two processes keep both cores of a small machine
busy with less switching than four (docs/PERFORMANCE.md, stop 25)."""

WORKERS = 2
"""Web processes unless set (``--workers``, ``GOVLEDGER_WEB_WORKERS``), on either store: one
process runs Python on one core at a time."""

YOUNG_OBJECTS = 2000
"""New objects between two collections of the youngest generation in a web process (Python's
default is 700). A list page makes a few thousand: fewer, larger collections cost less."""


def settle_memory() -> None:
    """Once a web process has built its app: collect, then move every object alive now (the
    app, its routes, templates and modules) out of the collector's sight (``gc.freeze``), and
    collect the youngest generation every ``YOUNG_OBJECTS`` new objects. Without this a full
    collection walks those ~200k objects, a pause of ~100 ms at 1M events that stalls every
    request in the process (docs/PERFORMANCE.md, stop 26). Garbage made later is collected as
    before."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, older, oldest)


def web_threads(settings: Settings, requested: int | None = None) -> int:
    """Request threads per web process: ``--threads``, else the setting, else ``THREADS``
    (``SQLITE_THREADS`` on SQLite)."""
    return (requested or settings.web_threads
            or (THREADS if settings.is_postgres else SQLITE_THREADS))


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Linux: ask the kernel to send ``sig`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def gunicorn_available() -> bool:
    """Whether gunicorn can serve here (it needs POSIX: fork, fcntl)."""
    if os.name != "posix":
        return False
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError:
        return False
    return True


def web_workers(settings: Settings, requested: int | None) -> int:
    """How many web processes: ``--workers``, else ``GOVLEDGER_WEB_WORKERS``, else
    ``WORKERS``. On SQLite each applies new events itself before it reads (``inline``); a
    tracking row's claim lets only one of them apply each batch (``projections/runner.py``)."""
    return requested or settings.web_workers or WORKERS


def serve(services: Services, args: argparse.Namespace) -> int:
    """Serve until stopped (SIGTERM, Ctrl+C)."""
    settings = services.settings
    embedded = settings.serve_worker and not args.no_worker
    if not gunicorn_available():
        return _serve_with_waitress(services, args, embedded)
    if not settings.web_projections:  # who applies events for the web processes
        settings.web_projections = "workers" if settings.is_postgres else "inline"
    workers = web_workers(settings, args.workers)
    from app.coordination import schema_lock
    from web import create_app

    with schema_lock(settings):  # a bad setting (e.g. single sign-on) stops here, in one line,
        create_app(services=services)  # before any process starts; the app's tables exist
    services.close()  # each web process opens its own connections after the fork
    worker = start_worker_process() if embedded else None
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Governance Ledger on http://{host}:{args.port}/  ({workers} web process"
          f"{'es' if workers > 1 else ''}, {'a' if worker else 'no'} worker process; Ctrl+C to "
          "stop)", flush=True)
    threads = web_threads(settings, getattr(args, "threads", None))
    try:
        WebServer(settings, {
            "bind": f"{host}:{args.port}", "workers": workers,
            "worker_class": BalancedThreadWorker,
            "threads": threads, "timeout": 120, "graceful_timeout": 10, "keepalive": 5,
            "accesslog": None, "errorlog": "-", "loglevel": "warning",
            "proc_name": "govledger-web", "post_fork": _post_fork,
        }).run()
    finally:
        if worker is not None:
            stop_process(worker)
    return 0


def _post_fork(_server: Any, _worker: Any) -> None:
    die_with_parent(signal.SIGKILL)  # the arbiter died: give the port back at once


def start_worker_process() -> subprocess.Popen[bytes]:
    """``govledger worker`` as a child of this process (same settings, same environment)."""
    return subprocess.Popen([sys.executable, "-m", "web.cli.main", "worker",  # noqa: S603
                             "--parent", str(os.getpid())], env=dict(os.environ))


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


try:
    from gunicorn.app.base import BaseApplication
    from gunicorn.workers.gthread import ThreadWorker
except ImportError:  # not POSIX, or not installed: serve falls back to waitress
    BaseApplication = ThreadWorker = object  # type: ignore[assignment,misc]


ACCEPT_YIELD = 0.001
"""Seconds a web process waits, per connection it holds beyond its threads (at most
``ACCEPT_YIELDS`` of them), after accepting one (``BalancedThreadWorker``)."""
ACCEPT_YIELDS = 3


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc,valid-type]
    """gunicorn's ``gthread`` worker, leaving new connections to a less busy sibling.

    Every web process waits on the one listening socket, and whichever wakes first accepts.
    When many clients connect at once (a proxy's pool, a load test) one process could take
    nearly all of them: 16 keep-alive connections split 14/2 or 16/0 in three of eight tries,
    so one core served them all at half the throughput. Having accepted a connection beyond
    its threads, a process now pauses ``ACCEPT_YIELD`` seconds per extra one, at most three
    (its request threads go on working), so a sibling with fewer takes the next: 16 clients
    split 8/8. Clients that connect for every request (``Connection: close``) are served as
    fast as before (937–1,063 against 923–1,030 requests/s), with a shorter tail (p99 23–26
    against 36–44 ms); a longer pause cost them 7% of their throughput."""

    def accept(self, server: Any, listener: Any) -> None:
        super().accept(server, listener)
        beyond = self.nr_conns - self.cfg.threads
        if beyond > 0:
            time.sleep(min(beyond, ACCEPT_YIELDS) * ACCEPT_YIELD)


class WebServer(BaseApplication):  # type: ignore[misc,valid-type]
    """gunicorn's arbiter over our app: options from ``serve``, the app built in each worker."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app.coordination import schema_lock
        from web import create_app

        with schema_lock(self.settings):  # the app's own tables too (sessions, sign-in limits)
            app = create_app(services=bootstrap(self.settings))
        settle_memory()
        return app


def _serve_with_waitress(services: Services, args: argparse.Namespace, embedded: bool) -> int:
    from waitress import serve as waitress_serve

    from app.background import Background
    from web import create_app

    app = create_app(services=services)
    settle_memory()
    background = Background(services) if embedded else None
    if background is not None:
        background.start()
    print(f"Governance Ledger on http://{args.host}:{args.port}/  (waitress, one process; "
          "Ctrl+C to stop)", flush=True)
    try:
        waitress_serve(app, host=args.host, port=args.port,
                       threads=getattr(args, "threads", None) or services.settings.web_threads
                       or THREADS,  # one process for everything: more threads than gunicorn's
                       ident="govledger")
    finally:
        if background is not None:
            background.stop()
    return 0


def work(services: Services, args: argparse.Namespace) -> int:
    """``govledger worker``: projections, sealing, pruning, escalations and notifications
    until SIGTERM or Ctrl+C (``--once``: one round of each, printed)."""
    import json

    from app.background import Background

    if args.parent:
        die_with_parent(signal.SIGTERM)
        if os.getppid() != args.parent:  # it died before the request took hold
            return 0
    background = Background(services, interval=args.interval or 1.0,
                            worker_interval=args.interval)
    if args.once:
        background.round()
        print(json.dumps(background.worker.tick()))
        return 0
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    background.start()
    print(f"govledger worker {background.worker.owner}: projections, sealing, escalations, "
          f"notifications (every {background.worker.interval:g} s; Ctrl+C to stop)", flush=True)
    try:
        while not stopping.wait(1.0):
            if args.parent and os.getppid() != args.parent:
                break  # serve is gone (where the kernel does not tell us)
    except KeyboardInterrupt:
        pass
    finally:
        background.stop()
    return 0
