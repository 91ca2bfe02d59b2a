"""Shared fixtures: a fresh store per test on SQLite and PostgreSQL, app/client/auth helpers."""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

from app.bootstrap import Services, bootstrap
from app.config import load_settings
from domain.base import set_default_clock, system_clock
from web import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from flask import Flask
    from flask.testing import FlaskClient

settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

PG_URL = os.environ.get("GOVLEDGER_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        """Move the clock forward."""
        self.now += timedelta(**kwargs)
        return self.now


def _new_pg_database() -> tuple[str, str]:
    import psycopg

    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("GOVLEDGER_TEST_POSTGRES_URL is not set: run the suite with `make test`")
        pytest.skip("no PostgreSQL: run with `make test` (scripts/with-postgres.sh)")
    template = _pg_template()
    name = f"gl_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name, _pg_url(name)


def _pg_url(name: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"  # type: ignore[union-attr]


_TEMPLATE: list[str] = []


def _pg_template() -> str:
    """A database with every table already created, copied for each test (creating ~50 tables
    and their indexes per test would dominate the suite's time); one per xdist worker."""
    import psycopg

    if not _TEMPLATE:
        name = f"gl_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{name}"')
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            svc = bootstrap(load_settings(database_url=_pg_url(name), instance_path=tmp,
                                          password_cost="fast"))
            assert not svc.ledger.recorder.max_notification_id(), "templates hold no events"
            svc.close()
        _TEMPLATE.append(name)
    return _TEMPLATE[0]


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The event store and read-model backend under test."""
    return request.param


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'govledger.sqlite3'}"
        return
    name, url = _new_pg_database()
    yield url
    _drop_pg_database(name)


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    """Install a fake clock for event times."""
    fake = FakeClock()
    set_default_clock(fake)
    yield fake
    set_default_clock(system_clock)


@pytest.fixture
def services(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    """The ledger, read models and projections over a fresh database."""
    svc = bootstrap(load_settings(database_url=database_url, instance_path=tmp_path / "instance",
                                  password_cost="fast"))
    yield svc
    svc.close()


@pytest.fixture
def app(services: Services) -> Flask:
    """The Flask app over the test services."""
    return create_app({"TESTING": True}, services=services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


def add_person(services: Services, role: str = "member", function: str = "engineering",
               name: str | None = None, password: str | None = "correct-horse-battery",
               ) -> dict[str, Any]:
    """Register someone as the system actor; returns id, token, email and password."""
    email = f"{uuid.uuid4().hex[:8]}@example.org"
    with services.ledger.as_system():
        result = services.people.register_person(
            name=name or f"{role.title()} {email[:4]}", email=email, function=function,
            role=role, password=password)
    return {**result, "email": email, "password": password}


@pytest.fixture
def member(services: Services) -> dict[str, Any]:
    """A member with a token and a password."""
    return add_person(services, "member", name="Maria Member")


@pytest.fixture
def admin(services: Services) -> dict[str, Any]:
    """An admin with a token and a password."""
    return add_person(services, "admin", "management", name="Ada Admin")


@pytest.fixture
def auditor(services: Services) -> dict[str, Any]:
    """An auditor with a token."""
    return add_person(services, "auditor", "management", name="Otto Auditor")


def bearer(person: dict[str, Any]) -> dict[str, str]:
    """Authorization header for a person's token."""
    return {"Authorization": f"Bearer {person['token']}"}


def csrf_token(client: FlaskClient, path: str = "/auth/login") -> str:
    """Fetch a page and return the CSRF token embedded in its form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, person: dict[str, Any]) -> None:
    """Sign in through the login form."""
    response = client.post("/auth/login", data={
        "email": person["email"], "password": person["password"],
        "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)


def valid_change(**overrides: Any) -> dict[str, Any]:
    """A valid change request body."""
    body = {"title": "Upgrade the billing database", "description": "Minor version upgrade.",
            "category": "normal", "risk": "medium", "systems": ["billing-db"],
            "planned_start": "2026-04-01T10:00:00+00:00",
            "planned_end": "2026-04-01T12:00:00+00:00",
            "rollback_plan": "Restore the snapshot."}
    body.update(overrides)
    return body


def event_count(services: Services) -> int:
    """How many events the store holds."""
    return services.ledger.recorder.max_notification_id() or 0
