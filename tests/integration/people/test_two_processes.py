"""Withdrawal of access holds across server processes: two ``govledger serve`` processes over one
store (SQLite file or PostgreSQL database). A token revoked through one is refused by the other
on its next request; a person deactivated through one loses their token, their session and
their password at the other on the next request."""

from __future__ import annotations

import os
import re
import subprocess
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.conftest import add_person
from tests.support.processes import GOVLEDGER, answering, child, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.bootstrap import Services

@contextmanager
def server(database_url: str, instance: Path) -> Iterator[str]:
    """``govledger serve`` on a free loopback port until the block ends; yields its URL."""
    port = free_port()
    env = {**os.environ, "GOVLEDGER_DATABASE_URL": database_url,
           "GOVLEDGER_INSTANCE_PATH": str(instance)}
    with child([GOVLEDGER, "serve", "--host", "127.0.0.1", "--port", str(port)], grace=10,
               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        yield answering(f"http://127.0.0.1:{port}/auth/login", process,
                        lambda: process.stderr.read().decode()).rsplit("/auth/login", 1)[0]


@pytest.fixture
def two_servers(services: Services, database_url: str, tmp_path: Path
                ) -> Iterator[tuple[str, str]]:
    instance = tmp_path / "instance"
    with ExitStack() as stack:
        yield (stack.enter_context(server(database_url, instance)),
               stack.enter_context(server(database_url, instance)))


def bearer(person: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {person['token']}"}


def sign_in(url: str, person: dict[str, Any]) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    page = browser.get(f"{url}/auth/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = browser.post(f"{url}/auth/login", timeout=10, allow_redirects=False, data={
        "email": person["email"], "password": person["password"], "csrf_token": token})
    return browser, answer


def test_withdrawals_through_one_process_hold_at_the_other_on_the_next_request(
        two_servers: tuple[str, str], services: Services) -> None:
    """(Both scenarios in one test: starting two servers is most of its time.)"""
    one, two = two_servers
    token_revoked(one, two, services)
    person_deactivated(one, two, services)


def token_revoked(one: str, two: str, services: Services) -> None:
    member = add_person(services, name="Tess Token")
    token_id = member["token"].split("_")[2]
    assert requests.get(f"{one}/api/v1/me", headers=bearer(member), timeout=10
                        ).status_code == 200

    revoked = requests.post(f"{two}/api/v1/tokens/{token_id}/revoke", headers=bearer(member),
                            json={"reason": "leaked"}, timeout=10)

    assert revoked.status_code == 200
    assert requests.get(f"{one}/api/v1/me", headers=bearer(member), timeout=10
                        ).status_code == 401


def person_deactivated(one: str, two: str, services: Services) -> None:
    admin = add_person(services, "admin", "management", name="Ada Admin")
    leaver = add_person(services, name="Lee Leaver")
    browser, signed_in = sign_in(one, leaver)
    assert signed_in.status_code == 302
    assert browser.get(f"{one}/changes/", timeout=10, allow_redirects=False).status_code == 200
    assert browser.get(f"{two}/changes/", timeout=10, allow_redirects=False
                       ).status_code == 200  # one session, seen by both processes
    assert requests.get(f"{one}/api/v1/me", headers=bearer(leaver), timeout=10
                        ).status_code == 200

    deactivated = requests.post(f"{two}/api/v1/people/{leaver['id']}/deactivate",
                                headers=bearer(admin), json={"reason": "left"}, timeout=10)

    assert deactivated.status_code == 200
    page = browser.get(f"{one}/changes/", timeout=10, allow_redirects=False)
    assert page.status_code == 302 and "/auth/login" in page.headers["Location"]
    assert requests.get(f"{one}/api/v1/me", headers=bearer(leaver), timeout=10
                        ).status_code == 401
    _, again = sign_in(one, leaver)
    assert again.status_code == 422 and "email or password is not right" in again.text
