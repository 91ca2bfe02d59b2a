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
