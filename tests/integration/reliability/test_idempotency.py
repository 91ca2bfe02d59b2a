"""Idempotent commands: a write sent again with its ``Idempotency-Key`` gets the first answer and
appends nothing; the same key for another request is 422; concurrent repeats record once; a
repeat after the answer was lost (the server died after the commit) is told so and appends
nothing; a form sent twice (a double click) records once. On both backends."""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update

from app.idempotency import keys
from tests.conftest import add_person, bearer, event_count, login, valid_change
from tests.support.ccb import running_meeting

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def post(client: FlaskClient, person: dict[str, Any], url: str, body: Any,
         key: str | None = "key-1", **headers: str) -> Any:
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1{url}", json=body, headers={**bearer(person), **headers})


class TestRepeats:
    def test_a_repeat_gets_the_same_status_and_body_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        first = post(client, member, "/change-requests", valid_change())
        assert first.status_code == 201
        stored = event_count(services)

        again = post(client, member, "/change-requests", valid_change())

        assert again.status_code == 201
        assert again.get_data() == first.get_data()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert event_count(services) == stored
        listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
        assert listed["total"] == 1

    def test_the_body_is_compared_by_value_not_by_spelling(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        first = post(client, member, "/change-requests", valid_change())
        stored = event_count(services)
        body = dict(reversed(list(valid_change().items())))
        again = post(client, member, "/change-requests", body)
        assert (again.status_code, again.get_data()) == (201, first.get_data())
        assert event_count(services) == stored

    def test_the_same_key_for_another_request_is_422_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        post(client, member, "/change-requests", valid_change())
        stored = event_count(services)

        other = post(client, member, "/change-requests", valid_change(title="Something else"))

        assert other.status_code == 422
        error = other.get_json()["error"]
        assert error["code"] == "idempotency_key_reused"
        assert error["details"] == {"header": "Idempotency-Key"}
        assert event_count(services) == stored

    def test_keys_are_per_person(self, client: FlaskClient, services: Services,
                                 member: dict[str, Any]) -> None:
        other = add_person(services, "member")
        first = post(client, member, "/change-requests", valid_change())
        second = post(client, other, "/change-requests", valid_change())
        assert first.status_code == second.status_code == 201
        assert first.get_json()["id"] != second.get_json()["id"]

    def test_a_refusal_is_repeated_as_it_was(self, client: FlaskClient, services: Services,
                                             member: dict[str, Any]) -> None:
        change = post(client, member, "/change-requests", valid_change(), key=None).get_json()
        url = f"/change-requests/{change['id']}/withdraw"
        assert post(client, member, url, {}, key="w1").status_code == 200
        refused = post(client, member, url, {}, key="w2")
        assert refused.status_code == 409
        stored = event_count(services)
        again = post(client, member, url, {}, key="w2")
        assert (again.status_code, again.get_data()) == (409, refused.get_data())
        assert event_count(services) == stored

    def test_without_a_key_a_repeat_runs_again(self, client: FlaskClient, services: Services,
                                               member: dict[str, Any]) -> None:
        post(client, member, "/change-requests", valid_change(), key=None)
        post(client, member, "/change-requests", valid_change(), key=None)
        listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
        assert listed["total"] == 2

    @pytest.mark.parametrize("key", ["", "x" * 256, "has space", "caf\u00e9"])
    def test_a_malformed_key_is_422_naming_the_header(self, client: FlaskClient,
                                                      services: Services,
                                                      member: dict[str, Any], key: str) -> None:
        stored = event_count(services)
        headers = {**bearer(member), "Idempotency-Key": key}
        answer = client.post("/api/v1/change-requests", json=valid_change(),
                             headers=headers)
        assert answer.status_code == 422
        assert "Idempotency-Key" in answer.get_json()["error"]["details"]
        assert event_count(services) == stored

    def test_an_expired_key_is_free_again(self, client: FlaskClient, services: Services,
                                          member: dict[str, Any]) -> None:
        post(client, member, "/change-requests", valid_change())
        with services.engine.begin() as conn:
            conn.execute(update(keys).values(created_at=time.time() - 25 * 3600))
        again = post(client, member, "/change-requests", valid_change())
        assert again.status_code == 201
        assert "Idempotent-Replayed" not in again.headers
        listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
        assert listed["total"] == 2

    def test_the_key_is_recorded_in_the_same_transaction_as_the_events(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        first = post(client, member, "/change-requests", valid_change())
        with services.engine.connect() as conn:
            row = conn.execute(keys.select()).one()
        assert row.person_id == member["id"] and row.key == "key-1"
        assert [e[0] for e in eval_events(row.events)] == [first.get_json()["id"]]
        assert row.status == 201


def eval_events(text: str) -> list[list[Any]]:
    import json

    return json.loads(text)


class TestAnswerLost:
    def test_a_repeat_after_the_answer_was_lost_is_told_so_and_appends_nothing(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            monkeypatch: pytest.MonkeyPatch) -> None:
        """The server dies between the commit of the events (with the key) and storing the
        answer: the key's row holds the events but no answer."""
        def die(*args: Any, **kwargs: Any) -> bool:
            raise ConnectionError("the server stopped")

        monkeypatch.setattr(services.idempotency, "answer", die)
        first = post(client, member, "/change-requests", valid_change())
        assert first.status_code == 201  # the client never saw it: it retries
        monkeypatch.undo()
        with services.engine.begin() as conn:  # a process that has since died
            conn.execute(update(keys).values(owner="dead", created_at=time.time() - 10))
        stored = event_count(services)

        again = post(client, member, "/change-requests", valid_change())

        assert again.status_code == 200
        body = again.get_json()
        assert body["outcome"] == "recorded_answer_lost"
        assert [e["aggregate_id"] for e in body["events"]] == [first.get_json()["id"]]
        assert event_count(services) == stored
        other = post(client, member, "/change-requests", valid_change(title="Another one"))
        assert other.get_json()["error"]["code"] == "idempotency_key_reused"

    def test_a_server_error_after_the_commit_is_not_repeated_as_a_new_command(
            self, client: FlaskClient, services: Services, member: dict[str, Any],
            monkeypatch: pytest.MonkeyPatch) -> None:
        from web.api import openapi  # noqa: F401 - the app is built

        real = services.changes.submit_change_request

        def submit_then_fail(**data: Any) -> Any:
            real(**data)
            raise RuntimeError("the answer could not be built")

        monkeypatch.setattr(services.changes, "submit_change_request", submit_then_fail)
        failed = post(client, member, "/change-requests", valid_change())
        assert failed.status_code == 500
        monkeypatch.undo()
        stored = event_count(services)
        started = time.monotonic()
        again = post(client, member, "/change-requests", valid_change())
        assert time.monotonic() - started < 2  # no wait for an answer that is not coming
        assert again.get_json()["outcome"] == "recorded_answer_lost"
        assert event_count(services) == stored


class TestConcurrentRepeats:
    def test_repeats_sent_at_once_record_one_event_set(
            self, app: Flask, services: Services) -> None:
        ccb = running_meeting(services)
        voter = ccb.people[1]
        votes = f"/meetings/{ccb.meeting_id}/items/{ccb.changes[0]}/votes"
        new = "/change-requests"
        before = event_count(services)
        answers: list[tuple[str, int, bytes]] = []
        lock, start = threading.Lock(), threading.Barrier(8)

        def send(n: int) -> None:
            client = app.test_client()
            start.wait()
            url, body, key = ((votes, {"choice": "approve"}, "vote-1") if n % 2 else
                              (new, valid_change(), "change-1"))
            response = post(client, voter, url, body, key=key)
            with lock:
                answers.append((key, response.status_code, response.get_data()))

        threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        by_key: dict[str, set[tuple[int, bytes]]] = {}
        for key, status, body in answers:
            by_key.setdefault(key, set()).add((status, body))
        assert {k: {s for s, _ in v} for k, v in by_key.items()} == {
            "vote-1": {201}, "change-1": {201}}, answers
        assert all(len(v) == 1 for v in by_key.values()), by_key  # one answer per key
        assert event_count(services) == before + 2  # one vote, one change request


class TestForms:
    def test_a_form_sent_twice_with_its_token_records_once(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(client, member)
        page = client.get("/changes/new").get_data(as_text=True)
        token = re.search(r'name="form_token" value="([^"]+)"', page)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token and csrf
        form = {**{k: v for k, v in valid_change().items() if k != "systems"},
                "systems": "billing-db", "csrf_token": csrf.group(1),
                "form_token": token.group(1)}

        first = client.post("/changes/new", data=form)
        second = client.post("/changes/new", data=form)

        assert first.status_code == second.status_code == 302
        assert first.headers["Location"] == second.headers["Location"]
        listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
        assert listed["total"] == 1

    def test_every_form_of_a_page_gets_the_pages_token(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(client, member)
        page = client.get("/changes/new").get_data(as_text=True)
        assert page.count('name="form_token"') == page.count('name="csrf_token"') >= 1
        again = client.get("/changes/new").get_data(as_text=True)
        tokens = re.findall(r'name="form_token" value="([^"]+)"', page + again)
        assert len(set(tokens)) == 2  # one per page sent

    def test_the_same_token_on_another_form_of_the_page_runs_that_form(
            self, client: FlaskClient, services: Services, member: dict[str, Any]) -> None:
        login(client, member)
        page = client.get("/changes/new").get_data(as_text=True)
        token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        base = {**{k: v for k, v in valid_change().items() if k != "systems"},
                "systems": "billing-db", "csrf_token": csrf, "form_token": token}
        client.post("/changes/new", data=base)
        client.post("/changes/new", data={**base, "title": "A second change"})
        listed = client.get("/api/v1/change-requests", headers=bearer(member)).get_json()
        assert listed["total"] == 2


class TestDocumented:
    def test_every_write_documents_the_header_and_reads_do_not(self, client: FlaskClient) -> None:
        document = client.get("/api/v1/openapi.json").get_json()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                names = {p.get("name") for p in operation.get("parameters", [])}
                assert ("Idempotency-Key" in names) == (method != "get"), (method, path)
