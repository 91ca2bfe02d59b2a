"""A bounded schemathesis run against the app itself (WSGI, SQLite, the demo story loaded, a
member's bearer token, then an auditor's): for every documented operation a few generated
requests — valid ones, then invalid ones (bad types, missing fields, bodies that are not JSON) —
each answer checked against the document (status code, content type and body schema), every
error in the one error shape, and none a 5xx; the auditor's writes are all refused.

Path parameters and ids inside bodies are drawn from the store's real ids (or left as generated)
so that the views' success paths run, not only their 404s."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.core.failures import FailureGroup

from app.demo import load_demo

if TYPE_CHECKING:
    from flask import Flask

    from app.bootstrap import Services

EXAMPLES = {"member": {schemathesis.GenerationMode.POSITIVE: 8,
                       schemathesis.GenerationMode.NEGATIVE: 4},
            "auditor": {schemathesis.GenerationMode.POSITIVE: 3,
                        schemathesis.GenerationMode.NEGATIVE: 2}}
ERROR_KEYS = {"code", "message", "details"}
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.status_code_conformance, checks.content_type_conformance]
PEOPLE_LISTS = ("members", "roster", "attendee_ids")
BODY_IDS = {"change_request_id": "change_id", "rotation_id": "rotation_id",
            "runbook_id": "runbook_id", "from_runbook_id": "runbook_id", "item_id": "item_id",
            "board_id": "board_id"}


def token_of(services: Services, email: str) -> str:
    person = services.people.person_id_by_email(email)
    with services.ledger.as_system():
        return services.people.issue_token(UUID(str(person)), "schemathesis")


def member_token(services: Services) -> str:
    return token_of(services, "alice@example.org")


def in_error_shape(response: Any) -> bool:
    """``{"error": {"code": str, "message": str, "details": {…}}}``."""
    try:
        error = response.json()["error"]
    except Exception:  # noqa: BLE001 - not JSON, or no "error"
        return False
    return (isinstance(error, dict) and set(error) == ERROR_KEYS
            and isinstance(error["code"], str) and isinstance(error["message"], str)
            and isinstance(error["details"], dict))


def known_ids(app: Flask, token: str) -> dict[str, list[Any]]:
    """Real ids by path parameter name, read through the API."""
    client = app.test_client()

    def ids(path: str, key: str = "items") -> list[str]:
        response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
        return [row["id"] for row in response.get_json()[key]]

    found: dict[str, list[Any]] = collections.defaultdict(list, {
        "change_id": ids("/change-requests?limit=500"), "board_id": ids("/boards"),
        "rotation_id": ids("/rotations"), "incident_id": ids("/incidents"),
        "runbook_id": ids("/runbooks"), "launch_id": ids("/launches"),
        "review_id": ids("/reviews"), "item_id": ids("/action-items?limit=1000"),
        "policy_id": ids("/follow-up-policies"), "rehearsal_id": ids("/rehearsals"),
        "person_id": ids("/people"), "freeze_id": ids("/change-calendar", "freezes"),
        "number": [1, 2, 3], "issue": [1, 2]})
    for board in found["board_id"]:
        found["meeting_id"] += ids(f"/boards/{board}/meetings")
    for rotation in found["rotation_id"]:
        found["swap_id"] += ids(f"/rotations/{rotation}/swaps")
    found["entity_id"] = [i for key in list(found) for i in found[key] if isinstance(i, str)]
    return found


def real_or(pool: list[Any], generated: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from([*pool, generated])


def with_real_ids(body: Any, known: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    """A body whose ids (``*_id`` fields, lists of people) may be replaced by real ones."""
    if isinstance(body, list):
        return st.tuples(*[with_real_ids(v, known) for v in body]).map(list)
    if not isinstance(body, dict):
        return st.just(body)
    fields = {}
    for key, value in body.items():
        pool = known[BODY_IDS.get(key, "person_id")]
        if (key.endswith("_id") or key == "on_behalf_of") and isinstance(value, str):
            fields[key] = real_or(pool, value)
        elif key in PEOPLE_LISTS and isinstance(value, list) and value:
            fields[key] = st.lists(real_or(pool, value[0]), min_size=len(value),
                                   max_size=len(value))
        else:
            fields[key] = with_real_ids(value, known)
    return st.fixed_dictionaries(fields)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", ["member", "auditor"])
def test_every_answer_of_every_operation_matches_the_document_and_none_is_a_5xx(
        app: Flask, services: Services, role: str) -> None:
    load_demo(services)
    token = token_of(services, {"member": "alice@example.org",
                                "auditor": "frank@example.org"}[role])
    known = known_ids(app, token)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
        return st.fixed_dictionaries({k: real_or(known[k], v)
                                      for k, v in (path_parameters or {}).items()})

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        return with_real_ids(body, known)

    failures: dict[str, set[str]] = collections.defaultdict(set)
    answers: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for mode, examples in EXAMPLES[role].items():
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            def exercise(case: Any) -> None:
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                answers[f"{mode.value} {operation.label}"][response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as group:
                    failures[operation.label].add(str(group))
                if response.status_code >= 400 and not in_error_shape(response):
                    failures[operation.label].add(f"{response.status_code} not in the error "
                                                  f"shape: {response.text[:200]}")

            exercise()

    assert failures == {}, "\n\n".join(f"== {op}\n" + "\n".join(sorted(found))
                                       for op, found in failures.items())
    valid = {op: codes for op, codes in answers.items() if op.startswith("positive")}
    succeeded = [op for op, codes in valid.items() if any(200 <= c < 300 for c in codes)]
    assert len(valid) > 130, len(valid)
    if role == "member":
        assert len(succeeded) > 80, len(succeeded)
    else:  # an auditor reads everything and changes nothing
        writes = [op for op in succeeded if not op.split(" ")[1].startswith("GET")]
        assert writes == [] and len(succeeded) > 50, (writes, len(succeeded))
