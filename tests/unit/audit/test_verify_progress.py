"""``govledger verify`` progress when stderr is not a terminal: a line every few seconds with the
count, the share done and the rate, and a closing line for a long run."""

from __future__ import annotations

from unittest import mock

import pytest

from web.cli.progress import progress_lines


def test_progress_lines_on_a_log(capsys: pytest.CaptureFixture[str]) -> None:
    clock = iter([0.0, 1.0, 6.0, 7.0, 12.0, 13.0])
    with mock.patch("time.monotonic", lambda: next(clock)):
        advance, close = progress_lines(400_000, "verify")
        advance(100_000)  # t=1: too soon
        advance(200_000)  # t=6: a line
        advance(50_000)   # t=7: too soon
        advance(50_000)   # t=12: a line
        close()           # t=13
    lines = capsys.readouterr().err.splitlines()

    assert lines == ["verify: 300,000 events of 400,000 (75%), 50,000 events/s",
                     "verify: 400,000 events of 400,000 (100%), 33,333 events/s",
                     "verify: 400,000 events in 13.0 s (30,769 events/s)"]
