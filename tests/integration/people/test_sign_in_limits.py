"""Sign-in limits every server process shares (rows in the store's database), on both backends,
across two app instances over one store: per account from one address, per address across
accounts, and per account from anywhere — a lock-out recorded in the ledger, lifted when it runs
out or by an admin. Every refusal is the same generic message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from app.bootstrap import bootstrap
from app.config import load_settings
from app.people.sign_in import Limits
from domain.people.person import Person
from tests.conftest import add_person, bearer, csrf_token
from web import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from flask.testing import FlaskClient

    from app.bootstrap import Services


class Wall:
    """A wall clock the tests move (seconds)."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def second(database_url: str, tmp_path: Path) -> Iterator[Services]:
    """A second, independent set of services over the same store (another server process)."""
    svc = bootstrap(load_settings(database_url=database_url, instance_path=tmp_path / "instance",
                                  password_cost="fast"))
    yield svc
    svc.close()


def web(services: Services, wall: Wall) -> FlaskClient:
    return create_app({"TESTING": True, "GOVLEDGER_SIGNIN_CLOCK": wall},
                      services=services).test_client()


@pytest.fixture
def one(services: Services, wall: Wall) -> FlaskClient:
    return web(services, wall)


@pytest.fixture
def two(second: Services, wall: Wall) -> FlaskClient:
    return web(second, wall)


def attempt(client: FlaskClient, email: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post("/auth/login", environ_base={"REMOTE_ADDR": address},
                       data={"email": email, "password": password,
                             "csrf_token": csrf_token(client)})


def events_of(services: Services, person_id: str) -> list[Any]:
    return list(services.ledger.events.get(UUID(person_id)))


def names(services: Services, person_id: str) -> list[str]:
    return [type(e).__name__ for e in events_of(services, person_id)]


def test_failures_at_one_account_from_one_address_add_up_across_processes(
        one: FlaskClient, two: FlaskClient, member: dict[str, Any]) -> None:
    statuses = [attempt(c, member["email"], "wrong").status_code
                for c in (one, two, one, two, one)]
    refused = attempt(two, member["email"], member["password"])

    assert statuses == [422] * 5
    assert refused.status_code == 429
    assert "too many failed sign-ins; try again in 15 minute(s)" in refused.get_data(as_text=True)


def test_a_spray_over_ten_accounts_split_across_processes_is_throttled(
        one: FlaskClient, two: FlaskClient, services: Services) -> None:
    people = [add_person(services, name=f"Person {n}") for n in range(11)]

    statuses = [attempt(one if n % 2 else two, p["email"], "Winter2026!").status_code
                for n, p in enumerate(people[:10])]
    refused = attempt(one, people[10]["email"], people[10]["password"])
    elsewhere = attempt(two, people[10]["email"], people[10]["password"], address="10.0.0.2")

    assert statuses == [422] * 10
    assert refused.status_code == 429
    assert elsewhere.status_code == 302  # another address is not held back by this one


def test_ten_failures_from_many_addresses_lock_the_account_as_an_event(
        one: FlaskClient, two: FlaskClient, services: Services, second: Services,
        member: dict[str, Any], wall: Wall) -> None:
    for n in range(10):
        assert attempt(one if n % 2 else two, member["email"], "wrong",
                       address=f"10.0.1.{n}").status_code == 422

    refused = attempt(two, member["email"], member["password"], address="10.9.9.9")

    assert refused.status_code == 429
    assert "too many failed sign-ins" in refused.get_data(as_text=True)
    assert names(second, member["id"])[-1] == "SignInLocked"
    locked = events_of(services, member["id"])[-1]
    assert locked.failures == 10 and "10 failed sign-ins" in (locked.reason or "")

    wall.now += 15 * 60 + 1  # the lock runs out by itself
    assert attempt(one, member["email"], member["password"], address="10.9.9.9"
                   ).status_code == 302


def test_an_unknown_email_is_refused_like_a_locked_account(
        one: FlaskClient, two: FlaskClient) -> None:
    for n in range(10):
        attempt(one if n % 2 else two, "nobody@example.org", "wrong", address=f"10.0.2.{n}")

    refused = attempt(one, "nobody@example.org", "anything", address="10.9.9.8")

    assert refused.status_code == 429
    assert "too many failed sign-ins" in refused.get_data(as_text=True)


def test_an_admin_unlocks_an_account_on_another_process(
        one: FlaskClient, two: FlaskClient, services: Services, member: dict[str, Any],
        admin: dict[str, Any]) -> None:
    for n in range(10):
        attempt(one, member["email"], "wrong", address=f"10.0.3.{n}")
    page = None
    two.post("/auth/login", data={"email": admin["email"], "password": admin["password"],
                                  "csrf_token": csrf_token(two)}, environ_base={
                                      "REMOTE_ADDR": "10.7.7.7"})
    page = two.get(f"/people/{member['id']}").get_data(as_text=True)
    assert "Password sign-in is locked" in page

    answer = two.post(f"/api/v1/people/{member['id']}/unlock", headers=bearer(admin),
                      json={"reason": "verified by phone"})

    assert answer.status_code == 200
    assert names(services, member["id"])[-2:] == ["SignInLocked", "SignInUnlocked"]
    assert attempt(one, member["email"], member["password"], address="10.0.3.1"
                   ).status_code == 302


def test_unlocking_someone_who_is_not_locked_is_refused(
        two: FlaskClient, member: dict[str, Any], admin: dict[str, Any]) -> None:
    answer = two.post(f"/api/v1/people/{member['id']}/unlock", headers=bearer(admin), json={})

    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "not_locked"


def test_only_admins_unlock(one: FlaskClient, member: dict[str, Any]) -> None:
    answer = one.post(f"/api/v1/people/{member['id']}/unlock", headers=bearer(member), json={})

    assert answer.status_code == 403


def test_a_success_clears_the_account_but_not_the_address(
        one: FlaskClient, services: Services, member: dict[str, Any]) -> None:
    others = [add_person(services, name=f"Other {n}") for n in range(6)]
    for _ in range(4):
        attempt(one, member["email"], "wrong")
    assert attempt(one, member["email"], member["password"]).status_code == 302
    one.post("/auth/logout", data={"csrf_token": csrf_token(one, "/")})

    again = [attempt(one, member["email"], "wrong").status_code for _ in range(4)]
    spray = [attempt(one, p["email"], "wrong").status_code for p in others[:3]]

    assert again == [422] * 4  # the account's count started again
    assert spray == [422, 422, 429]  # 4 + 4 + 2 failures from this address reach its limit


def test_the_limits_are_configurable(services: Services, wall: Wall,
                                     member: dict[str, Any]) -> None:
    client = create_app({"TESTING": True, "GOVLEDGER_SIGNIN_CLOCK": wall,
                         "GOVLEDGER_SIGNIN_LIMITS": Limits(pair=2)},
                        services=services).test_client()

    statuses = [attempt(client, member["email"], "wrong").status_code for _ in range(3)]

    assert statuses == [422, 422, 429]


def test_the_lock_is_on_the_person(services: Services, one: FlaskClient,
                                   member: dict[str, Any], wall: Wall) -> None:
    for n in range(10):
        attempt(one, member["email"], "wrong", address=f"10.0.4.{n}")

    person = services.ledger.load(Person, member["id"])

    assert person.locked_until is not None
    assert person.locked_until.timestamp() == pytest.approx(wall.now + 15 * 60)


def test_an_operator_unlocks_from_the_command_line(
        one: FlaskClient, services: Services, member: dict[str, Any], database_url: str,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        ) -> None:
    from web.cli.main import main

    for n in range(10):
        attempt(one, member["email"], "wrong", address=f"10.0.5.{n}")
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))

    code = main(["user", "unlock", member["email"], "--reason", "called the service desk"])
    again = main(["user", "unlock", member["email"]])

    assert code == 0 and again == 2 and "not_locked" in capsys.readouterr().err
    assert names(services, member["id"])[-1] == "SignInUnlocked"
    assert attempt(one, member["email"], member["password"]).status_code == 302
