"""Single sign-on in a real browser against a real OpenID Connect provider: the suite starts
``oidc-provider`` (node, loopback) and stops it afterwards; Chromium goes through its login and
consent pages, lands signed in, and signs out."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import make_server

from domain.people.person import Person
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path
from tests.support.oidc import oidc_config, oidc_provider
from web import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.bootstrap import Services

pytestmark = [pytest.mark.browser]


@pytest.fixture
def sso_server(services: Services) -> Iterator[tuple[str, str]]:
    """The app on a free loopback port, and the provider knowing its callback; (url, issuer)."""
    holder: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda env, reply: holder["app"](env, reply),
                         threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    with oidc_provider([f"{base}/auth/oidc/callback"]) as issuer:
        holder["app"] = create_app({"TESTING": True, **oidc_config(issuer)}, services=services)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base, issuer
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sign_in_through_the_identity_provider_then_sign_out(
        sso_server: tuple[str, str], services: Services) -> None:
    from playwright.sync_api import sync_playwright

    base, issuer = sso_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                     args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=base).new_page()
        try:
            page.goto("/changes/")
            page.wait_for_url("**/auth/login**")
            page.click("text=Sign in with Test IdP")
            page.wait_for_url(f"{issuer}/interaction/**")
            page.fill("input[name=login]", "alice")
            page.fill("input[name=password]", "any password")
            page.click("button[type=submit]")
            page.wait_for_selector("button:has-text('Continue')")  # the consent page
            page.click("button:has-text('Continue')")
            page.wait_for_url(f"{base}/changes/")
            assert "Alice Sso" in page.inner_text("header")

            page.click("button:has-text('Sign out')")
            page.wait_for_url(f"{base}/auth/login")
            page.goto("/changes/")
            page.wait_for_url("**/auth/login**")
        finally:
            browser.close()

    person = services.ledger.load(Person, services.people.person_id_by_email(
        "alice.sso@example.org"))
    assert person.identities == [(issuer, "alice")] and person.roles == ["member"]
