"""Background work: keeps read models caught up with the log, prunes idempotency keys, seals,
keeps the evidence replica close behind the sealed log (its own thread), and runs the
notification worker (``app.notifications.worker``), which fires the escalations
that are due, derives and delivers notifications.

It runs in ``govledger worker`` processes (``serve`` starts one beside its web processes unless
told not to; more may run on other hosts against the same PostgreSQL), or as threads inside
``serve`` when it falls back to waitress. On PostgreSQL the projection loop ``LISTEN``s on the
event store's channel (``NOTIFY ledger_events`` in every append's transaction) and catches up
as soon as something is appended; ``interval`` is then only the fallback poll. Several loops at
once apply each event once (``projections/runner.py``)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from app.coordination import EVENTS_CHANNEL, Wakeup

if TYPE_CHECKING:
    from app.bootstrap import Services

log = logging.getLogger(__name__)

EVIDENCE_INTERVAL = 30.0
"""Seconds between checks of the evidence replica (``app/audit/evidence.py``)."""


class Background:
    """A daemon thread that catches the projections up whenever the log grows (woken by
    ``NOTIFY`` on PostgreSQL) or every ``interval`` seconds, and the notification worker's
    thread (escalations, notifications; its own interval)."""

    def __init__(self, services: Services, interval: float = 1.0,
                 worker_interval: float | None = None) -> None:
        from app.notifications.worker import Worker

        self.services = services
        self.interval = interval
        self.worker = Worker(services, interval=worker_interval)
        self.wakeup = Wakeup(services.settings, (EVENTS_CHANNEL,))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="govledger-background",
                                        daemon=True)
        self._evidence = threading.Thread(target=self._keep_evidence, daemon=True,
                                          name="govledger-evidence")

    def start(self) -> None:
        """Start the loop and the worker."""
        self.wakeup.start()
        self._thread.start()
        self._evidence.start()
        self.worker.start()

    def stop(self) -> None:
        """Stop the loop and the worker, and wait for them."""
        self._stop.set()
        self.wakeup.stop()
        self.worker.stop()
        self._thread.join(timeout=5)
        self._evidence.join(timeout=5)

    def round(self) -> None:
        """Catch up, prune, seal: once."""
        try:
            self.services.projections.catch_up()
        except Exception:  # noqa: BLE001 - keep serving; the next round retries
            log.exception("projection catch-up failed")
        try:
            self.services.idempotency.prune()  # keys older than the retention
        except Exception:  # noqa: BLE001 - keep serving; the next round retries
            log.exception("pruning idempotency keys failed")
        try:
            self.services.audit.seal()
        except Exception:  # noqa: BLE001 - keep serving; the next round retries
            log.exception("sealing failed")

    def evidence_round(self) -> int:
        """Advance the evidence replica if it is far enough behind the sealed log (its own
        thread: a first replay of a long log takes minutes, and must not hold up the read
        models or sealing); returns how many events it replayed."""
        try:
            return self.services.evidence.keep_up()  # bundles then replay a few events at most
        except Exception:  # noqa: BLE001 - keep serving; a bundle replays what it lacks
            log.exception("advancing the evidence replica failed")
            return 0

    def _keep_evidence(self) -> None:
        while not self._stop.wait(EVIDENCE_INTERVAL):
            self.evidence_round()

    def _run(self) -> None:
        while not self._stop.wait(0 if self.wakeup.enabled else self.interval):
            since = self.wakeup.generation()
            self.round()
            if self.wakeup.enabled:
                self.wakeup.wait(self.interval, since)  # an append wakes it at once
