"""Server-side sessions: a replayed cookie after sign-out, after the idle timeout, after the
absolute lifetime or after deactivation lands on the sign-in page; the id changes at sign-in;
every server process sees the same sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conftest import bearer, csrf_token, login

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie("session")
    assert found is not None
    return found.value


def replay(app: Flask, value: str) -> Any:
    """A fresh client (another browser, or an attacker) sending a captured cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other.get("/people/")


def test_the_business_clock_moving_on_does_not_end_a_session(
        client: FlaskClient, clock: FakeClock, member: dict[str, Any]) -> None:
    login(client, member)

    clock.advance(days=3)

    assert client.get("/people/").status_code == 200


def test_the_cookie_holds_only_a_random_id_and_it_changes_at_sign_in(
        app: Flask, client: FlaskClient, member: dict[str, Any]) -> None:
    client.get("/auth/login")
    before = cookie(client)

    login(client, member)

    after = cookie(client)
    assert after != before and member["id"] not in after and "." not in after
    assert replay(app, before).status_code == 302
    assert replay(app, after).status_code == 200


def test_a_cookie_replayed_after_sign_out_lands_on_the_sign_in_page(
        app: Flask, client: FlaskClient, member: dict[str, Any]) -> None:
    login(client, member)
    captured = cookie(client)

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/people/")})

    response = replay(app, captured)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def timed_client(services: Services, clock: FakeClock, **config: Any) -> FlaskClient:
    """A client of an app whose sessions follow the test's clock."""
    from web import create_app

    return create_app({"TESTING": True, "GOVLEDGER_SESSION_CLOCK": lambda: clock().timestamp(),
                       **config}, services=services).test_client()


def test_a_session_ends_after_the_idle_timeout(services: Services, clock: FakeClock,
                                               member: dict[str, Any]) -> None:
    client = timed_client(services, clock)
    login(client, member)
    clock.advance(minutes=29)
    assert client.get("/people/").status_code == 200

    clock.advance(minutes=31)

    assert client.get("/people/").status_code == 302


def test_a_page_view_writes_being_seen_only_once_it_is_a_hundredth_of_the_timeout_old(
        services: Services, clock: FakeClock, member: dict[str, Any]) -> None:
    from sqlalchemy import select

    from app.people.sessions import sessions

    def last_seen() -> float:
        with services.engine.connect() as conn:
            return float(conn.scalar(select(sessions.c.last_seen_at)
                                     .where(sessions.c.person_id == member["id"])))

    client = timed_client(services, clock)
    login(client, member)
    signed_in = last_seen()
    clock.advance(seconds=17)  # under 18 s (30 min / 100): a read, nothing written
    assert client.get("/people/").status_code == 200
    assert last_seen() == signed_in

    clock.advance(seconds=2)
    assert client.get("/people/").status_code == 200
    assert last_seen() == signed_in + 19

    clock.advance(minutes=29, seconds=59)  # idle from the last write, not from sign-in
    assert client.get("/people/").status_code == 200


def test_a_session_ends_after_its_absolute_lifetime_even_when_busy(
        services: Services, clock: FakeClock, member: dict[str, Any]) -> None:
    client = timed_client(services, clock)
    login(client, member)
    for _ in range(25):
        clock.advance(minutes=29)
        client.get("/people/")

    assert client.get("/people/").status_code == 302


def test_the_timeouts_are_configurable(services: Services, clock: FakeClock,
                                       member: dict[str, Any]) -> None:
    client = timed_client(services, clock, GOVLEDGER_SESSION_IDLE_MINUTES=5)
    login(client, member)

    clock.advance(minutes=6)

    assert client.get("/people/").status_code == 302


def test_deactivation_ends_the_persons_sessions_at_once(
        app: Flask, client: FlaskClient, admin: dict[str, Any], member: dict[str, Any]) -> None:
    login(client, member)
    captured = cookie(client)

    client.post(f"/api/v1/people/{member['id']}/deactivate", json={}, headers=bearer(admin))
    client.post(f"/api/v1/people/{member['id']}/reactivate", json={}, headers=bearer(admin))

    assert replay(app, captured).status_code == 302


def test_two_server_processes_share_sessions(services: Services, member: dict[str, Any]) -> None:
    from app.bootstrap import bootstrap
    from web import create_app

    first = create_app({"TESTING": True}, services=services)
    second_services = bootstrap(services.settings)
    try:
        second = create_app({"TESTING": True}, services=second_services)
        client = first.test_client()
        login(client, member)
        captured = cookie(client)

        assert replay(second, captured).status_code == 200
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/people/")})
        assert replay(second, captured).status_code == 302
    finally:
        second_services.close()


def test_cookies_are_secure_when_configured(services: Services, member: dict[str, Any]) -> None:
    from web import create_app

    app = create_app({"TESTING": True, "GOVLEDGER_COOKIE_SECURE": True}, services=services)
    client = app.test_client()

    response = client.get("/auth/login", base_url="https://localhost")

    assert "Secure" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
