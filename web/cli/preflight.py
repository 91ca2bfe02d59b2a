"""Operator mistakes found before anything is opened or created, and infrastructure failures
turned into one line: every case ends with ``govledger: …`` on stderr and exit status 2.

``check(args, settings)`` runs before the store is opened: a command that only reads or serves
(``verify``, ``projections status``, ``bundle``, ``serve`` …) never creates a store that is not
there (``init``, ``demo``, ``generate`` and ``user add`` do); a SQLite file must be a database in an existing
folder; ``serve`` needs a port in 1–65535 on a host that resolves and is free; ``bundle --out``
needs an existing folder. ``describe(exc)`` names a failure of the store itself (PostgreSQL
unreachable, a read-only file, a file that is not a database).
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from eventsourcing.persistence import PersistenceError
from sqlalchemy.exc import SQLAlchemyError

from app.config import sqlalchemy_url, sqlite_path

if TYPE_CHECKING:
    import argparse

    from app.config import Settings

CREATE_STORE = frozenset({"init", "demo", "user", "generate"})
"""Commands that may create the store when it does not exist yet."""

STORE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, PersistenceError, SQLAlchemyError,
                                                 OSError)
"""Failures of the store or the file system an operator can fix (never a traceback)."""

SQLITE_MAGIC = b"SQLite format 3\x00"


class Refused(Exception):
    """Raised when a command cannot run as asked; the message is the one line shown."""


def check(args: argparse.Namespace, settings: Settings) -> None:
    """Refuse, before anything is opened, what would fail or create a store by mistake."""
    if settings.is_postgres:
        if args.command not in CREATE_STORE:
            check_postgres_store(settings)
    else:
        path = Path(sqlite_path(settings.database_url))
        may_create = args.command in CREATE_STORE
        if may_create and path.parent == settings.instance_path:
            # the service's own instance folder (a fresh clone's `make run`): made, not refused
            settings.instance_path.mkdir(parents=True, exist_ok=True)
        check_sqlite_store(path, may_create=may_create)
    if args.command == "serve":
        check_serve(args.host, args.port)
    if getattr(args, "out", None):
        check_out(Path(args.out))


def check_serve(host: str, port: int) -> None:
    """A port in range, a host that resolves, and nobody listening there already."""
    if not 1 <= port <= 65535:
        raise Refused(f"--port {port} is outside 1-65535")
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"--host {host!r} cannot be resolved ({exc})") from None
    with socket.socket(family, kind) as probe:
        # as waitress binds: a restart after a crash is not refused for the old connections
        # still in TIME_WAIT, only for a port another process listens on
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise Refused(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def check_out(out: Path) -> None:
    """The folder of ``--out`` must exist (the file itself is written)."""
    folder = out.resolve().parent
    if not folder.is_dir():
        raise Refused(f"--out {out}: the folder {folder} does not exist")
    if out.is_dir():
        raise Refused(f"--out {out}: is a folder; name the .zip file to write")


def check_sqlite_store(path: Path, *, may_create: bool) -> None:
    """The SQLite file exists (or may be created in an existing folder) and is a database."""
    if not path.exists():
        if not may_create:
            raise Refused(f"no store at {path}; run 'govledger init' first (or check "
                          "GOVLEDGER_DATABASE_URL)")
        if not path.parent.is_dir():
            raise Refused(f"cannot create the store {path}: the folder {path.parent} does not "
                          "exist")
        return
    if path.is_dir():
        raise Refused(f"{path} is a folder, not a SQLite database")
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise Refused(f"cannot read the store {path}: {exc.strerror or exc}") from None
    if head and head != SQLITE_MAGIC:
        raise Refused(f"{path} is not a SQLite database")


def check_postgres_store(settings: Settings) -> None:
    """PostgreSQL answers and holds the ledger's events table."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(sqlalchemy_url(settings), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            exists = inspect(conn).has_table("ledger_events")
    except SQLAlchemyError as exc:
        raise Refused(describe(exc)) from None
    finally:
        engine.dispose()
    if not exists:
        raise Refused("no store in this PostgreSQL database; run 'govledger init' first (or "
                      "check GOVLEDGER_DATABASE_URL)")


def describe(exc: BaseException) -> str:
    """One line naming a failure of the store (no traceback, no password)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    if "readonly" in first.replace("-", "").replace(" ", "").lower():
        return f"the store is read-only: {first}"
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        return f"{exc.strerror or first}" + (f": {exc.filename}" if exc.filename else "")
    return f"the store cannot be used: {first}"
