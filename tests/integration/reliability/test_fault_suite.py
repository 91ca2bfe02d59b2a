"""The fault suite at a small size (benchmarks/faults.py; ``scripts/fault-suite`` runs it in
full): a real ``govledger serve`` under concurrent writers, one of them voting on the same agenda
item as the others, killed with SIGKILL mid-load and restarted; the clients retry with their
``Idempotency-Key``. Nothing acknowledged is lost, nothing is stored twice, no 5xx."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from benchmarks import faults

if TYPE_CHECKING:
    from pathlib import Path


def test_kill_9_mid_load_loses_and_doubles_nothing(database_url: str, tmp_path: Path) -> None:
    tally = faults.run("test", database_url, tmp_path / "instance", processes=3, commands=8,
                       kills=1)

    assert tally.kills == 1
    assert tally.sent == 24 and tally.unanswered == 0
    assert tally.acknowledged > 0 and tally.present == tally.acknowledged
    assert (tally.lost, tally.duplicated, tally.refused_but_stored, tally.server_errors) == (
        0, 0, 0, 0), tally
    assert not tally.failed


def test_a_full_disk_refuses_with_507_stores_nothing_and_the_retries_store_once() -> None:
    tally = faults.full_disk({"processes": 2, "commands": 10})
    if tally.skipped:
        pytest.skip(tally.skipped)
    assert tally.disk_full > 0  # the disk did fill up
    assert (tally.lost, tally.duplicated, tally.refused_but_stored, tally.server_errors) == (
        0, 0, 0, 0), tally
    assert tally.present == tally.acknowledged > 0
