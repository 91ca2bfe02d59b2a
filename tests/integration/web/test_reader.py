"""Pages and lists read the read models through ``Services.reader``: on PostgreSQL the same
pool with its connections in autocommit (no ``BEGIN``/``ROLLBACK`` round trips per read), while
every write keeps its transaction; on SQLite the engine itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import insert, select

from app.people.sessions import sessions
from projections.tables import tracking
from tests.conftest import bearer, valid_change
from web.context import read_model

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def autocommit(engine: Any) -> bool:
    with engine.connect() as conn:
        return bool(getattr(conn.connection.dbapi_connection, "autocommit", False))


def test_reads_go_through_the_reader_and_writes_keep_their_transaction(
        services: Services, app: Flask, backend: str) -> None:
    with app.test_request_context("/changes/"):
        assert read_model() is services.reader
    if backend == "postgres":
        assert services.reader is not services.engine
        assert autocommit(services.reader)
        assert not autocommit(services.engine)
    else:
        assert services.reader is services.engine
    # a failing write through the engine still rolls back as a whole
    with pytest.raises(RuntimeError), services.engine.begin() as conn:
        conn.execute(insert(tracking).values(name="reader-test", position=1))
        raise RuntimeError("abandon the transaction")
    with services.reader.connect() as conn:
        assert conn.execute(select(tracking).where(tracking.c.name == "reader-test")).first() is None


def test_a_read_through_the_reader_opens_no_transaction_on_postgresql(
        services: Services, client: FlaskClient, member: dict[str, Any], backend: str) -> None:
    assert client.post("/api/v1/change-requests", json=valid_change(),
                       headers=bearer(member)).status_code == 201
    listed = client.get("/api/v1/change-requests", headers=bearer(member))
    assert listed.status_code == 200 and listed.get_json()["total"] == 1
    if backend != "postgres":
        return
    with services.reader.connect() as conn:
        conn.execute(select(tracking).limit(1)).all()
        conn.execute(select(sessions.c.id_hash).limit(1)).all()
        assert conn.connection.dbapi_connection.info.transaction_status.name == "IDLE"
    with services.engine.connect() as conn:  # the transactional engine: BEGIN before a query
        conn.execute(select(tracking).limit(1)).all()
        assert conn.connection.dbapi_connection.info.transaction_status.name == "INTRANS"


def test_every_statement_is_planned_for_its_values_on_postgresql(
        services: Services, backend: str) -> None:
    """psycopg prepares a statement a connection runs often, and PostgreSQL may then keep one
    generic plan that ignores the bound values (My work's emergency-board query scanned every
    change request, 40 ms instead of 0.2 ms): the reader's connections plan for the values."""
    from sqlalchemy import text

    if backend != "postgres":
        pytest.skip("SQLite plans every statement for its values")
    for _ in range(2):  # also once returned to the pool and taken again
        with services.reader.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    with services.engine.connect() as conn:  # the projections' writes keep generic plans
        assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
