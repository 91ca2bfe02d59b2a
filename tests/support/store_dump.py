"""Dump a SQLite store's read models (every ``rm_*`` table) as sorted JSON-able rows."""

from __future__ import annotations

import json
import sqlite3
import sys
from typing import Any


def dump_read_models(path: str) -> dict[str, list[dict[str, Any]]]:
    """Every ``rm_*`` table of the SQLite file at ``path``: its rows, in a stable order."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        names = [n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'rm_%' ORDER BY name")]
        for name in names:
            cursor = conn.execute(f'SELECT * FROM "{name}"')  # noqa: S608 - names from the catalogue
            columns = [d[0] for d in cursor.description]
            rows = [dict(zip(columns, row)) for row in cursor]
            rows.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
            out[name] = rows
        return out
    finally:
        conn.close()


if __name__ == "__main__":  # python -m tests.support.store_dump store.sqlite3 > read-models.json
    json.dump(dump_read_models(sys.argv[1]), sys.stdout, sort_keys=True, default=str, indent=0)
