"""Background work inside ``govledger serve``: keeps read models caught up with the log, and
runs the notification worker (``app.notifications.worker``), which fires the escalations that
are due, derives and delivers notifications — the one escalation clock of ``serve``."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.bootstrap import Services

log = logging.getLogger(__name__)


class Background:
    """A daemon thread that catches the projections up every ``interval`` seconds, and the
    notification worker's thread (escalations, notifications; its own interval)."""

    def __init__(self, services: Services, interval: float = 1.0) -> None:
        from app.notifications.worker import Worker

        self.services = services
        self.interval = interval
        self.worker = Worker(services)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="govledger-background",
                                        daemon=True)

    def start(self) -> None:
        """Start the loop and the worker."""
        self._thread.start()
        self.worker.start()

    def stop(self) -> None:
        """Stop the loop and the worker, and wait for them."""
        self._stop.set()
        self.worker.stop()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.services.projections.catch_up()
            except Exception:  # noqa: BLE001 - keep serving; the next tick retries
                log.exception("projection catch-up failed")
            try:
                self.services.idempotency.prune()  # keys older than the retention
            except Exception:  # noqa: BLE001 - keep serving; the next tick retries
                log.exception("pruning idempotency keys failed")
            try:
                self.services.audit.seal()
            except Exception:  # noqa: BLE001 - keep serving; the next tick retries
                log.exception("sealing failed")
