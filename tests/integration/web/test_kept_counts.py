"""A list's total is counted once per set of read-model positions (``web/context.py``
``kept_count``): the same page viewed again reads no count, any new event counts again, and
as-of views and other filters always get their own count."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event

from tests.conftest import bearer, valid_change

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


@pytest.fixture
def counts(services: Services) -> list[str]:
    """The count statements the read models' engine runs."""
    seen: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT COUNT(*)") and "rm_change_requests" in statement:
            seen.append(statement)

    engines = {id(e): e for e in (services.engine, services.reader)}.values()
    for engine in engines:  # on PostgreSQL pages read through a pool of their own
        event.listen(engine, "before_cursor_execute", spy)
    yield seen
    for engine in engines:
        event.remove(engine, "before_cursor_execute", spy)


def test_a_total_is_counted_again_only_when_the_read_models_move(
        client: FlaskClient, member: dict[str, Any], services: Services,
        counts: list[str]) -> None:
    for i in range(3):
        assert client.post("/api/v1/change-requests", headers=bearer(member),
                           json=valid_change(title=f"Change {i}")).status_code == 201
    listed = [client.get("/api/v1/change-requests?limit=2", headers=bearer(member)).get_json()
              for _ in range(3)]
    assert [page["total"] for page in listed] == [3, 3, 3]
    assert len(counts) == 1  # three views, one count

    other = client.get("/api/v1/change-requests?limit=2&status=submitted",
                       headers=bearer(member)).get_json()
    assert other["total"] == 3 and len(counts) == 2  # another filter, its own count

    assert client.post("/api/v1/change-requests", headers=bearer(member),
                       json=valid_change(title="Change 4")).status_code == 201
    again = client.get("/api/v1/change-requests?limit=2", headers=bearer(member)).get_json()
    assert again["total"] == 4 and len(counts) == 3  # a new event: counted again

    past = client.get("/api/v1/change-requests?limit=2&as_of=2000-01-01T00:00:00Z",
                      headers=bearer(member)).get_json()
    assert past["total"] == 0  # an as-of view counts its own rows, never the kept count
    assert client.get("/api/v1/change-requests?limit=2",
                      headers=bearer(member)).get_json()["total"] == 4
