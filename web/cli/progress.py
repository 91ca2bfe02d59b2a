"""A progress bar for long CLI runs (tqdm on a terminal, silent otherwise)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def progress_bar(total: int, label: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """Return (advance, close) for a terminal progress bar; silent when not a terminal."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="ev", disable=not sys.stderr.isatty())
    return bar.update, bar.close


def progress_lines(total: int, label: str, every: float = 5.0
                   ) -> tuple[Callable[[int], None], Callable[[], None]]:
    """(advance, close): the terminal bar, or when stderr is not a terminal (a log, a cron job)
    one line on stderr every ``every`` seconds with the count, the share done and the rate."""
    if sys.stderr.isatty():
        return progress_bar(total, label)
    import time

    began = last = time.monotonic()
    done = 0

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        moment = time.monotonic()
        if moment - last >= every:
            last = moment
            share = f" of {total:,} ({100 * done / total:.0f}%)" if total else ""
            print(f"{label}: {done:,} events{share}, {done / (moment - began):,.0f} events/s",
                  file=sys.stderr, flush=True)

    def close() -> None:
        took = time.monotonic() - began
        if took >= every:
            print(f"{label}: {done:,} events in {took:.1f} s "
                  f"({done / took:,.0f} events/s)", file=sys.stderr, flush=True)

    return advance, close
