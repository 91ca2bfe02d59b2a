"""``python -m app.rebuild_part``: one half of a rebuild on SQLite, in its own process.

``ProjectionRunner.rebuild`` (``projections/runner.py``) starts it through :func:`part_replay`
with a JSON job on stdin — the event store's settings, the read models to replay, the log
position to stop at and a scratch file — and replays the other half itself meanwhile. This
process replays its read models from the start of the log into the scratch file (journal and
syncs off: a half-written file is deleted), prints how many events it applied, and exits 0; the
runner then copies the rows in, in one transaction. It stops after the batch in which it finds
that the rebuild which started it has gone (the runner removes such a part's file later).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from app.config import Settings, eventsourcing_env


def part_replay(settings: Settings) -> Any:
    """The runner's ``part_replay`` for the store of ``settings``: starts this module."""
    env = eventsourcing_env(settings)

    def start(names: list[str], head: int, path: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "app.rebuild_part"],  # noqa: S603 - this interpreter, a fixed module
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert process.stdin is not None
        process.stdin.write(json.dumps({"env": env, "names": names, "head": head,
                                        "path": path, "parent": os.getpid()}).encode())
        process.stdin.close()
        return process

    return start


def main() -> int:
    from app.audit.as_of import replay, scratch_engine
    from app.ledger import Ledger

    job = json.load(sys.stdin)

    def orphaned(_events: int) -> None:  # checked after each batch
        if os.getppid() != job["parent"]:
            raise SystemExit("rebuild_part: the rebuild that started this part has gone")

    ledger = Ledger(env=job["env"])
    engine = scratch_engine(job["path"])
    try:
        applied = replay(engine, ledger, job["head"], fresh=True, names=job["names"],
                         progress=orphaned)
    finally:
        engine.dispose()
        ledger.close()
    print(applied)
    return 0


if __name__ == "__main__":
    sys.exit(main())
