"""A store written by release 0.1.0 (flat modules) loads, rebuilds and verifies after the move.

The fixture's events carry the old topics (``domain.meetings:Meeting.Opened``); the aliases in
``domain/topics.py`` map them to today's classes. Rebuilt read models must equal the ones release
0.1.0 built, column for column, and new events appended after the upgrade join the old ones.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from app.bootstrap import bootstrap
from app.changes import queries as change_queries
from app.config import load_settings
from domain.ccb.meeting import Meeting
from domain.topics import LEGACY_MODULES
from tests.conftest import add_person, bearer, valid_change
from tests.support.store_dump import dump_read_models
from web import create_app
from web.cli.main import main

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.bootstrap import Services

FIXTURES = Path(__file__).resolve().parents[2] / "support" / "fixtures"
STORE = FIXTURES / "release-0.1.0.sqlite3.gz"
READ_MODELS = FIXTURES / "release-0.1.0.read-models.json.gz"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A private copy of the release 0.1.0 store."""
    path = tmp_path / "govledger.sqlite3"
    with gzip.open(STORE) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


@pytest.fixture
def services(store: Path, tmp_path: Path) -> Iterator[Services]:
    settings = load_settings(database_url=f"sqlite:///{store}", instance_path=tmp_path / "inst",
                             password_cost="fast")
    services = bootstrap(settings)
    yield services
    services.close()


def stored_topics(store: Path) -> set[str]:
    conn = sqlite3.connect(store)
    try:
        return {t for (t,) in conn.execute("SELECT DISTINCT topic FROM stored_events")}
    finally:
        conn.close()


def test_the_fixture_holds_events_under_the_old_module_paths(store: Path) -> None:
    modules = {t.partition(":")[0] for t in stored_topics(store)}
    assert modules <= set(LEGACY_MODULES), modules - set(LEGACY_MODULES)
    assert "domain.meetings" in modules


def test_rebuild_gives_the_read_models_release_0_1_0_built(services: Services,
                                                           store: Path) -> None:
    applied = services.projections.rebuild()
    assert applied > 300
    expected: dict[str, list[dict[str, Any]]] = json.loads(gzip.decompress(READ_MODELS.read_bytes()))
    actual = json.loads(json.dumps(dump_read_models(str(store)), default=str))
    for table, rows in expected.items():
        assert table in actual, f"{table} is gone"
        columns = set(rows[0]) & set(actual[table][0]) if rows else set()
        trim = lambda rs: sorted(json.dumps({c: r[c] for c in columns}, sort_keys=True)  # noqa: E731
                                 for r in rs)
        assert len(actual[table]) == len(rows), table
        assert trim(actual[table]) == trim(rows), table
    assert len(expected["rm_change_requests"]) > 0 and len(expected["rm_decisions"]) > 0


def test_old_events_load_as_todays_classes(services: Services, store: Path) -> None:
    conn = sqlite3.connect(store)
    ids = [row[0] for row in conn.execute(
        "SELECT originator_id FROM stored_events WHERE topic LIKE 'domain.meetings:Meeting.%'"
        " GROUP BY originator_id")]
    conn.close()
    assert ids
    meetings = [services.ledger.repository.get(UUID(bytes=i) if isinstance(i, bytes) else UUID(i))
                for i in ids]
    assert all(type(m) is Meeting for m in meetings)


def test_the_store_verifies_intact_with_todays_code(store: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", f"sqlite:///{store}")
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "inst"))
    assert main(["projections", "rebuild"]) == 0
    assert main(["verify"]) == 0
    assert capsys.readouterr().out.strip().endswith("intact")


def test_events_appended_after_the_upgrade_join_the_old_ones(services: Services) -> None:
    services.projections.rebuild()
    before = change_queries.list_change_requests(services.engine, limit=500)["items"]
    person = add_person(services, role="member")
    client = create_app({"TESTING": True}, services=services).test_client()
    response = client.post("/api/v1/change-requests", json=valid_change(title="After the upgrade"),
                           headers=bearer(person))
    assert response.status_code == 201, response.get_json()
    after = change_queries.list_change_requests(services.engine, limit=500)["items"]
    assert len(after) == len(before) + 1
    assert {r["title"] for r in before} < {r["title"] for r in after}


def test_a_fresh_process_resolves_todays_and_the_old_topics_of_every_event_class() -> None:
    """In a new interpreter (an empty topic cache), every class's current and old topics load
    the class itself: an old module path that prefixes a new one must not rewrite new topics."""
    import subprocess
    import sys

    script = """
import importlib, inspect
from eventsourcing.utils import resolve_topic
from app.ledger import Ledger
from domain.topics import LEGACY_MODULES
Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
old_of = {new: old for old, new in LEGACY_MODULES.items()}
classes = []
for module_name in LEGACY_MODULES.values():
    module = importlib.import_module(module_name)
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ == module_name:
            classes += [cls, *[v for v in vars(cls).values() if inspect.isclass(v)]]
checked = 0
for cls in classes:  # topics spelled out, never through get_topic (which would cache them)
    for module_name in (cls.__module__, old_of[cls.__module__]):
        topic = f"{module_name}:{cls.__qualname__}"
        assert resolve_topic(topic) is cls, topic
        checked += 1
print(checked)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, cwd=Path(__file__).resolve().parents[3])
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout) > 100
