"""Child processes of the tests (``govledger serve`` and ``worker``, the OIDC provider): a free
loopback port, a process stopped when its block ends, and waiting for a server to answer."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

GOVLEDGER = str(Path(sys.executable).with_name("govledger"))
"""The CLI of the interpreter running the tests."""


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def child(args: list[str], grace: float = 15.0, **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """``args`` running until the block ends: then SIGTERM, and SIGKILL after ``grace`` s."""
    process = subprocess.Popen(args, **popen)  # noqa: S603 - the tests' own commands
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answering(url: str, process: subprocess.Popen[Any], why: Callable[[], str],
              timeout: float = 60.0) -> str:
    """``url`` once a GET of it gets any answer; a RuntimeError with ``why()`` when the
    process exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=3)
            return url
        except (requests.ConnectionError, requests.Timeout):  # bound, still starting
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {why()[-2000:]}") from None
            time.sleep(0.2)
