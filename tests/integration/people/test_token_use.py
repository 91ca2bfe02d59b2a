"""A token's last use is listed (API and page), written at most once a minute per token even
across processes; auditors manage their own tokens and password but still write nothing else."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event, func, select

from app.bootstrap import bootstrap
from app.config import load_settings
from app.people.token_usage import token_usage
from tests.conftest import bearer, csrf_token, login, valid_change
from web import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from flask.testing import FlaskClient

    from app.bootstrap import Services

START = 1_900_000_000.0


class Wall:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


def web(services: Services, wall: Wall) -> FlaskClient:
    return create_app({"TESTING": True, "GOVLEDGER_TOKEN_CLOCK": wall},
                      services=services).test_client()


@pytest.fixture
def one(services: Services, wall: Wall) -> FlaskClient:
    return web(services, wall)


@pytest.fixture
def two(database_url: str, tmp_path: Path, wall: Wall) -> Iterator[FlaskClient]:
    svc = bootstrap(load_settings(database_url=database_url, instance_path=tmp_path / "instance",
                                  password_cost="fast"))
    yield web(svc, wall)
    svc.close()


def listed(client: FlaskClient, person: dict[str, Any]) -> dict[str, Any]:
    items = client.get(f"/api/v1/people/{person['id']}/tokens", headers=bearer(person)).json
    token_id = person["token"].split("_")[2]
    return next(t for t in items["items"] if t["id"] == token_id)


def at(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def writes(services: Services) -> int:
    with services.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(token_usage)) or 0


def test_a_token_never_used_is_listed_as_never_used(
        one: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    login(one, member)  # the page, not the token
    assert "never</td>" in one.get(f"/people/{member['id']}").get_data(as_text=True)


def test_the_last_use_is_listed_and_written_at_most_once_a_minute(
        one: FlaskClient, two: FlaskClient, wall: Wall, member: dict[str, Any]) -> None:
    assert listed(one, member)["last_used_at"] == at(START)

    wall.now += 30
    assert listed(two, member)["last_used_at"] == at(START)  # another process, same minute
    wall.now += 31
    assert listed(one, member)["last_used_at"] == at(START + 61)


def test_many_requests_in_a_minute_cost_one_statement(
        one: FlaskClient, services: Services, wall: Wall, member: dict[str, Any]) -> None:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "token_usage" in statement:
            statements.append(statement.split()[0])

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        for _ in range(20):
            assert one.get("/api/v1/me", headers=bearer(member)).status_code == 200
            wall.now += 1
        assert statements == ["UPDATE", "INSERT"]  # the first use: no row yet
        wall.now = START + 60
        one.get("/api/v1/me", headers=bearer(member))
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    assert statements == ["UPDATE", "INSERT", "UPDATE"]
    assert writes(services) == 1


def test_the_page_shows_the_last_use(one: FlaskClient, member: dict[str, Any]) -> None:
    one.get("/api/v1/me", headers=bearer(member))
    login(one, member)
    page = one.get(f"/people/{member['id']}").get_data(as_text=True)
    assert "Last used" in page and "2030-03-17 17:46 UTC" in page


def test_an_auditor_lists_and_revokes_their_own_tokens(
        one: FlaskClient, auditor: dict[str, Any], admin: dict[str, Any]) -> None:
    issued = one.post(f"/api/v1/people/{auditor['id']}/tokens", json={"name": "laptop"},
                      headers=bearer(admin))
    mine = one.get(f"/api/v1/people/{auditor['id']}/tokens", headers=bearer(auditor))
    revoked = one.post(f"/api/v1/tokens/{issued.json['id']}/revoke", json={"reason": "lost"},
                       headers=bearer(auditor))
    refused = one.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.json['token']}"})

    assert mine.status_code == 200 and len(mine.json["items"]) == 2
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    assert refused.status_code == 401


def test_an_auditor_revokes_their_own_token_on_their_page(
        one: FlaskClient, services: Services) -> None:
    from tests.conftest import add_person

    auditor = add_person(services, "auditor", "management", name="Otto Auditor")
    login(one, auditor)
    page = f"/people/{auditor['id']}"
    token_id = auditor["token"].split("_")[2]
    answer = one.post(f"/people/{auditor['id']}/tokens/{token_id}/revoke",
                      data={"csrf_token": csrf_token(one, page)})

    assert answer.status_code == 302
    assert one.get("/api/v1/me", headers=bearer(auditor)).status_code == 401


def test_an_auditor_still_writes_nothing_else(
        one: FlaskClient, auditor: dict[str, Any], member: dict[str, Any]) -> None:
    others = one.post(f"/api/v1/tokens/{member['token'].split('_')[2]}/revoke", json={},
                      headers=bearer(auditor))
    issue_for_other = one.post(f"/api/v1/people/{member['id']}/tokens", json={},
                               headers=bearer(auditor))
    issue_for_self = one.post(f"/api/v1/people/{auditor['id']}/tokens", json={},
                              headers=bearer(auditor))
    change = one.post("/api/v1/change-requests", json=valid_change(), headers=bearer(auditor))

    assert others.status_code == 404
    assert issue_for_other.status_code == 403 and issue_for_self.status_code == 403
    assert change.status_code == 403 and change.json["error"]["code"] == "read_only_role"
    assert one.get("/api/v1/me", headers=bearer(member)).status_code == 200


def test_an_auditor_changes_their_own_password(
        one: FlaskClient, services: Services) -> None:
    from tests.conftest import add_person

    auditor = add_person(services, "auditor", "management", name="Otto Auditor")
    login(one, auditor)
    page = f"/people/{auditor['id']}"
    answer = one.post("/people/me/password", data={
        "current_password": auditor["password"], "new_password": "a-brand-new-password",
        "csrf_token": csrf_token(one, page)})
    assert answer.status_code == 302
    one.post("/auth/logout", data={"csrf_token": csrf_token(one, "/")})

    login(one, {**auditor, "password": "a-brand-new-password"})
