"""``verify`` with worker processes: the same report as in one process, and when a worker cannot
start the main process hashes the rest itself (same report, a warning in the log)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from unittest import mock

import pytest

from app.audit import service
from tests.conftest import add_person

if TYPE_CHECKING:
    from app.bootstrap import Services


@pytest.fixture
def ledger(services: Services) -> Services:
    for _ in range(6):
        add_person(services, password=None)
    services.audit.seal(force=True)
    for _ in range(2):
        add_person(services, password=None)  # not sealed yet
    return services


def test_workers_give_the_report_of_one_process(ledger: Services) -> None:
    alone = ledger.audit.verify(workers=0)
    with mock.patch.object(service, "VERIFY_BATCH", 4):
        parallel = ledger.audit.verify(workers=2)

    assert alone.ok and alone.events > 8 and parallel.as_dict() == alone.as_dict()
    assert len(service.WORKER_PEAK_RSS) == 2


def test_a_worker_that_cannot_start_leaves_the_work_to_the_main_process(
        ledger: Services, caplog: pytest.LogCaptureFixture) -> None:
    alone = ledger.audit.verify(workers=0)
    with mock.patch.object(service, "VERIFY_BATCH", 4), \
            mock.patch("sys.executable", "/bin/false"), \
            caplog.at_level(logging.WARNING, logger="app.audit.service"):
        parallel = ledger.audit.verify(workers=2)

    assert parallel.as_dict() == alone.as_dict()
    assert "verify goes on in one process from position 1" in caplog.text


def test_the_number_of_workers_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVLEDGER_VERIFY_WORKERS", raising=False)
    assert service.verify_workers(1000) == 0
    assert service.verify_workers(service.VERIFY_WORKERS_FROM) >= 1
    monkeypatch.setenv("GOVLEDGER_VERIFY_WORKERS", "0")
    assert service.verify_workers(10**6) == 0
    monkeypatch.setenv("GOVLEDGER_VERIFY_WORKERS", "3")
    assert service.verify_workers(10) == 3
