"""Sign-in hardening: one generic message, and a password spray over many accounts from one
address is throttled (not only repeated guesses at one account)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conftest import add_person, csrf_token

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def attempt(client: FlaskClient, email: str, password: str) -> Any:
    return client.post("/auth/login", data={"email": email, "password": password,
                                            "csrf_token": csrf_token(client)})


def test_unknown_email_and_wrong_password_get_the_same_message(
        client: FlaskClient, member: dict[str, Any]) -> None:
    unknown = attempt(client, "nobody@example.org", "whatever-password")
    wrong = attempt(client, member["email"], "whatever-password")

    assert unknown.status_code == wrong.status_code == 422
    assert "email or password is not right" in unknown.get_data(as_text=True)
    assert "email or password is not right" in wrong.get_data(as_text=True)


def test_one_password_sprayed_over_ten_accounts_from_one_address_is_throttled(
        client: FlaskClient, services: Services) -> None:
    people = [add_person(services, name=f"Person {n}") for n in range(11)]

    answers = [attempt(client, p["email"], "Winter2026!").status_code for p in people[:10]]
    blocked = attempt(client, people[10]["email"], people[10]["password"])

    assert answers == [422] * 10
    assert blocked.status_code == 429
