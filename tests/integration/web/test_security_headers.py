"""Every response carries the security headers (from flask-talisman): the test walks every page
of the demo data — each GET route without parameters, then every same-site link they show —
and checks each answer. No page has an inline script or style for the strict CSP to block."""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING, Any

import pytest

from app.demo import load_demo
from tests.conftest import bearer, login

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from app.bootstrap import Services

SKIP = ("/auth/logout", "/static/")
LINK = re.compile(r'href="(/[^"#]*)"')


def start_pages(app: Flask) -> list[str]:
    """Every GET route that takes no path parameter."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in (rule.methods or ()) and not rule.arguments})


def walk(client: FlaskClient, app: Flask, limit: int = 400) -> dict[str, Any]:
    """GET every page reachable from the parameterless routes (up to ``limit``)."""
    seen: dict[str, Any] = {}
    queue = deque(start_pages(app))
    while queue and len(seen) < limit:
        path = queue.popleft().replace("&amp;", "&")
        if path in seen or path.startswith(SKIP):
            continue
        response = client.get(path)
        seen[path] = response
        if response.mimetype == "text/html":
            queue.extend(LINK.findall(response.get_data(as_text=True)))
    return seen


@pytest.fixture
def pages(app: Flask, client: FlaskClient, services: Services,
          admin: dict[str, Any]) -> dict[str, Any]:
    load_demo(services)
    login(client, admin)
    return walk(client, app)


def test_every_page_carries_the_security_headers_and_no_inline_script(
        pages: dict[str, Any]) -> None:
    html = {p: r for p, r in pages.items() if r.mimetype == "text/html"}
    assert len(html) > 40

    for path, response in pages.items():
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("X-Frame-Options") == "DENY", path
        assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", path
        assert "Strict-Transport-Security" not in response.headers, path
        if not path.startswith("/api/"):  # pages, signed in by the session
            assert response.headers.get("Cache-Control") == "no-store", path
    for path, response in html.items():
        body = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), path
        assert not re.search(r"\sstyle=\"|<style", body), path
        assert not re.search(r"\son[a-z]+=\"", body), path


def test_markdown_and_csv_downloads_are_attachments(pages: dict[str, Any]) -> None:
    downloads = {p: r for p, r in pages.items() if r.mimetype in ("text/markdown", "text/csv")}

    assert downloads
    for path, response in downloads.items():
        assert response.headers["Content-Disposition"].startswith("attachment"), path


def test_the_api_markdown_is_an_attachment_too(
        client: FlaskClient, services: Services, admin: dict[str, Any]) -> None:
    load_demo(services)
    reviews = client.get("/api/v1/reviews", headers=bearer(admin)).get_json()
    review_id = reviews["items"][0]["id"]

    response = client.get(f"/api/v1/reviews/{review_id}/document.md", headers=bearer(admin))

    assert response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_to_a_token_are_no_store(client: FlaskClient,
                                             member: dict[str, Any]) -> None:
    response = client.get("/api/v1/me", headers=bearer(member))

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_sign_in_page_is_not_marked_no_store_but_has_the_csp(client: FlaskClient) -> None:
    response = client.get("/auth/login")

    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers.get("Cache-Control") != "no-store"


def test_hsts_and_secure_cookies_only_when_configured_for_https(services: Services) -> None:
    from web import create_app

    app = create_app({"TESTING": True, "GOVLEDGER_HTTPS": True,
                      "GOVLEDGER_COOKIE_SECURE": True}, services=services)

    response = app.test_client().get("/auth/login", base_url="https://localhost")

    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
