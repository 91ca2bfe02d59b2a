"""Background work inside ``govledger serve``: keeps read models caught up with the log."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.bootstrap import Services

log = logging.getLogger(__name__)


class Background:
    """A daemon thread that catches the projections up every ``interval`` seconds."""

    def __init__(self, services: Services, interval: float = 1.0) -> None:
        self.services = services
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="govledger-background",
                                        daemon=True)

    def start(self) -> None:
        """Start the loop."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and wait for it."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.services.projections.catch_up()
            except Exception:  # noqa: BLE001 - keep serving; the next tick retries
                log.exception("projection catch-up failed")
            try:
                from app.oncall.escalations import tick

                tick(self.services)
            except Exception:  # noqa: BLE001 - keep serving; the next tick retries
                log.exception("escalation tick failed")
            try:
                self.services.idempotency.prune()  # keys older than the retention
            except Exception:  # noqa: BLE001 - keep serving; the next tick retries
                log.exception("pruning idempotency keys failed")
            try:
                self.services.audit.seal()
            except Exception:  # noqa: BLE001 - keep serving; the next tick retries
                log.exception("sealing failed")
