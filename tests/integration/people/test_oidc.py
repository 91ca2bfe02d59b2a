"""Single sign-on against a real OpenID Connect provider (``oidc-provider`` on node, loopback):
authorization code with PKCE; people matched by verified email or provisioned as events; a
forged state, a replayed nonce or an unverified email is refused with a clear message."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests

from domain.people.person import Person
from tests.conftest import add_person
from tests.support.oidc import CLIENT_ID, oidc_config, oidc_provider
from web import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from flask.testing import FlaskClient

    from app.bootstrap import Services

CALLBACK = "http://localhost/auth/oidc/callback"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider([CALLBACK]) as url:
        yield url


@pytest.fixture
def sso_client(services: Services, issuer: str) -> FlaskClient:
    return create_app({"TESTING": True, **oidc_config(issuer)}, services=services).test_client()


def provider_sign_in(authorize_url: str, login: str) -> str:
    """Go through the provider's login and consent pages; returns the callback URL it sends
    the browser to (with ``code`` and ``state``)."""
    browser = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _ in range(12):
        answer = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if answer.is_redirect:
            url, method, data = urljoin(url, answer.headers["Location"]), "GET", None
            if url.startswith(CALLBACK):
                return url
            continue
        assert answer.status_code == 200, answer.text[:500]
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', answer.text, re.S)
        assert form, answer.text[:500]
        data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                               form.group(2)))
        if 'name="login"' in form.group(2):
            data.update(login=login, password="any password")
        url, method = urljoin(url, html.unescape(form.group(1))), "POST"
    raise AssertionError("the provider never sent the browser back")


def start(client: FlaskClient, next_path: str | None = None) -> str:
    answer = client.get("/auth/oidc/login", query_string={"next": next_path} if next_path else {})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def back(client: FlaskClient, callback_url: str) -> Any:
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def test_the_sign_in_page_offers_the_provider(sso_client: FlaskClient) -> None:
    page = sso_client.get("/auth/login").get_data(as_text=True)
    assert "Sign in with Test IdP" in page


def test_the_provider_is_asked_for_a_code_with_pkce_state_and_nonce(
        sso_client: FlaskClient, issuer: str) -> None:
    query = parse_qs(urlsplit(start(sso_client)).query)
    assert urlsplit(start(sso_client)).netloc == urlsplit(issuer).netloc
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [CALLBACK]


def test_a_new_person_is_provisioned_as_a_member_and_signed_in(
        sso_client: FlaskClient, services: Services, issuer: str) -> None:
    answer = back(sso_client, provider_sign_in(start(sso_client, "/changes/"), "alice"))

    assert answer.status_code == 302 and answer.headers["Location"] == "/changes/"
    person_id = services.people.person_id_by_email("alice.sso@example.org")
    person = services.ledger.load(Person, person_id)
    assert person.roles == ["member"] and person.name == "Alice Sso"
    assert person.identities == [(issuer, "alice")]
    events = [type(e).__name__ for e in services.ledger.events.get(person.id)]
    assert events == ["Registered", "RoleGranted", "IdentityLinked"]
    home = sso_client.get("/")
    assert home.status_code == 200 and "Alice Sso" in home.get_data(as_text=True)


def test_an_existing_person_is_matched_by_email_and_a_mapped_group_sets_their_role(
        sso_client: FlaskClient, services: Services) -> None:
    with services.ledger.as_system():
        known = services.people.register_person(
            name="Adam Known", email="adam.sso@example.org", function="security", role="member")

    answer = back(sso_client, provider_sign_in(start(sso_client), "adam"))

    assert answer.status_code == 302
    person = services.ledger.load(Person, known["id"])
    assert person.roles == ["admin"]  # governance-admins=admin
    assert person.name == "Adam Known"
    assert sso_client.get("/people/").status_code == 200


def test_the_session_id_is_new_after_single_sign_on(sso_client: FlaskClient) -> None:
    url = start(sso_client)
    before = sso_client.get_cookie("session")
    back(sso_client, provider_sign_in(url, "alice"))
    after = sso_client.get_cookie("session")
    assert before is not None and after is not None and before.value != after.value


def test_an_unverified_email_is_refused(sso_client: FlaskClient, services: Services) -> None:
    answer = back(sso_client, provider_sign_in(start(sso_client), "uma"))

    assert answer.status_code == 403
    assert "has not verified your email" in answer.get_data(as_text=True)
    assert services.people.person_id_by_email("uma.sso@example.org") is None
    assert sso_client.get("/").status_code == 302  # not signed in


def test_a_callback_whose_state_this_browser_never_sent_is_refused(
        sso_client: FlaskClient, services: Services) -> None:
    other = create_app({"TESTING": True, **oidc_config(sso_client.application.config[
        "GOVLEDGER_OIDC_ISSUER"])}, services=services).test_client()
    callback = provider_sign_in(start(other), "alice")  # another browser's sign-in

    answer = back(sso_client, callback)

    assert answer.status_code == 400
    assert "sign-in state does not match" in answer.get_data(as_text=True)
    assert services.people.person_id_by_email("alice.sso@example.org") is None


def test_an_id_token_for_another_nonce_is_refused(
        sso_client: FlaskClient, services: Services) -> None:
    parts = urlsplit(start(sso_client))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["nonce"] = "a-nonce-this-sign-in-never-made"
    callback = provider_sign_in(urlunsplit(parts._replace(query=urlencode(query))), "alice")

    answer = back(sso_client, callback)

    assert answer.status_code == 400
    assert "nonce mismatch" in answer.get_data(as_text=True)
    assert services.people.person_id_by_email("alice.sso@example.org") is None


def test_a_deactivated_person_cannot_sign_in_through_the_provider(
        sso_client: FlaskClient, services: Services) -> None:
    with services.ledger.as_system():
        known = services.people.register_person(
            name="Alice Known", email="alice.sso@example.org", function="qa", role="member")
        services.people.deactivate_person(known["id"])

    answer = back(sso_client, provider_sign_in(start(sso_client), "alice"))

    assert answer.status_code == 403
    assert "cannot sign in here" in answer.get_data(as_text=True)


def test_password_sign_in_can_be_turned_off(services: Services, issuer: str) -> None:
    person = add_person(services)
    client = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                         **oidc_config(issuer, GOVLEDGER_PASSWORD_SIGN_IN="off")},
                        services=services).test_client()

    page = client.get("/auth/login").get_data(as_text=True)
    answer = client.post("/auth/login", data={"email": person["email"],
                                              "password": person["password"]})

    assert 'name="password"' not in page and "Sign in with Test IdP" in page
    assert answer.status_code == 403 and "password sign-in is turned off" in answer.get_data(
        as_text=True)


def test_serve_refuses_a_bad_sso_setting_in_one_line(
        services: Services, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from web.cli.main import main

    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("GOVLEDGER_OIDC_ROLE_MAP", "governance-admins=king")

    code = main(["serve", "--port", "8799"])

    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "GOVLEDGER_OIDC_ROLE_MAP" in err
