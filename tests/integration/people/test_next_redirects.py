"""``next`` parameters send the browser to a path on this site only: the sign-in form's and the
CCB's approve-emergency form's (no open redirect to another site)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.conftest import csrf_token, login
from tests.support.ccb import make_ccb
from web.redirects import local_path

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

FOREIGN = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
           "/\t/evil.example", "javascript:alert(1)", "http:/evil.example", " /x"]


@pytest.mark.parametrize("target", FOREIGN)
def test_a_foreign_or_odd_target_falls_back_to_the_default(target: str) -> None:
    assert local_path(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/ccb/boards/1", "/changes/?status=open&page=2", "/"])
def test_a_local_path_is_kept(target: str) -> None:
    assert local_path(target, "/home") == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_sign_in_never_sends_the_browser_to_another_site(
        client: FlaskClient, member: dict, target: str) -> None:
    response = client.post("/auth/login", query_string={"next": target}, data={
        "email": member["email"], "password": member["password"],
        "csrf_token": csrf_token(client)})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_goes_on_to_a_local_next(client: FlaskClient, member: dict) -> None:
    response = client.post("/auth/login", query_string={"next": "/changes/"}, data={
        "email": member["email"], "password": member["password"],
        "csrf_token": csrf_token(client)})

    assert response.headers["Location"] == "/changes/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_approve_emergency_never_sends_the_browser_to_another_site(
        client: FlaskClient, services: Services, target: str) -> None:
    ccb = make_ccb(services)
    change = ccb.submit(category="emergency", board_id=ccb.board_id)
    login(client, ccb.chair)

    response = client.post(f"/changes/{change}/emergency-approval", data={
        "next": target, "csrf_token": csrf_token(client, f"/boards/{ccb.board_id}")})

    assert response.status_code == 302
    assert response.headers["Location"] == "/decision-log"


def test_approve_emergency_goes_back_to_the_board(
        client: FlaskClient, services: Services) -> None:
    ccb = make_ccb(services)
    change = ccb.submit(category="emergency", board_id=ccb.board_id)
    login(client, ccb.chair)
    board = f"/boards/{ccb.board_id}"

    response = client.post(f"/changes/{change}/emergency-approval", data={
        "next": board, "csrf_token": csrf_token(client, board)})

    assert response.headers["Location"] == board
