"""Conflicts are handled, not leaked: writers racing for one aggregate (the votes on one agenda
item, one change request) get only 2xx and 409, never a 500, on both backends; a use case that
keeps losing the race is reported as 409 ``concurrent_update`` with nothing appended."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from eventsourcing.persistence import IntegrityError

from app.conflicts import retried
from domain.errors import ConcurrentUpdate
from tests.conftest import bearer, event_count, valid_change
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from flask import Flask

    from app.bootstrap import Services

WRITERS = 8
COMMANDS = 12


def hammer(app: Flask, calls: list[tuple[dict[str, Any], str, dict[str, Any]]]) -> Counter[Any]:
    """Run every writer's calls at once, each writer in its own thread with its own client."""
    seen: Counter[Any] = Counter()
    lock, start = threading.Lock(), threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        client = app.test_client()
        start.wait()
        for i in range(COMMANDS):
            person, url, body = calls[(n + i) % len(calls)]
            response = client.post(f"/api/v1{url}", json=body, headers=bearer(person))
            code = response.get_json()["error"]["code"] if response.status_code >= 400 else ""
            with lock:
                seen[(response.status_code, code)] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


class TestHotAggregates:
    def test_writers_hammering_one_agenda_item_and_one_change_request_get_only_2xx_and_409(
            self, app: Flask, services: Services) -> None:
        ccb = running_meeting(services)
        votes = f"/meetings/{ccb.meeting_id}/items/{ccb.changes[0]}/votes"
        calls = [(person, votes, {"choice": choice})
                 for person in ccb.people for choice in ("approve", "reject")]
        calls += [(ccb.requester, "/change-requests", valid_change(title=f"Change {n}"))
                  for n in range(4)]
        calls += [(ccb.requester, f"/change-requests/{ccb.changes[0]}/withdraw", {})]

        seen = hammer(app, calls)

        statuses = Counter(status for status, _ in seen.elements())
        assert sum(statuses.values()) == WRITERS * COMMANDS
        assert all(200 <= s < 300 or s == 409 for s in statuses), seen
        assert any(200 <= s < 300 for s in statuses), seen
        client = app.test_client()
        meeting = client.get(f"/api/v1/meetings/{ccb.meeting_id}", headers=bearer(ccb.chair))
        assert meeting.status_code == 200


class TestRetried:
    def test_a_use_case_losing_the_race_is_run_again_and_then_succeeds(self) -> None:
        attempts = []

        def command() -> str:
            attempts.append(1)
            if len(attempts) < 3:
                raise IntegrityError("version conflict")
            return "saved"

        assert retried(command)() == "saved" and len(attempts) == 3

    def test_one_that_always_loses_is_a_concurrent_update_409(self) -> None:
        def command() -> None:
            raise IntegrityError("version conflict")

        with pytest.raises(ConcurrentUpdate) as raised:
            retried(command, attempts=3)()

        assert raised.value.status == 409 and raised.value.code == "concurrent_update"

    def test_the_api_answers_409_concurrent_update_and_appends_nothing(
            self, app: Flask, services: Services, member: dict[str, Any],
            monkeypatch: pytest.MonkeyPatch) -> None:
        def conflict(*aggregates: Any, **kwargs: Any) -> Any:
            raise IntegrityError("duplicate key value violates unique constraint")

        before = event_count(services)
        monkeypatch.setattr(services.ledger, "save", conflict)

        response = app.test_client().post("/api/v1/change-requests", json=valid_change(),
                                          headers=bearer(member))

        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "concurrent_update"
        assert event_count(services) == before
