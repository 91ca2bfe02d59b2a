"""A live server over a fresh SQLite store and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import make_server

from web import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from app.bootstrap import Services

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    """Debian's Chromium binary."""
    path = os.environ.get("GOVLEDGER_CHROMIUM") or shutil.which("chromium") or ""
    if not path:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: run the suite with `make test`")
        pytest.skip("chromium is not installed: run the suite with `make test`")
    return path


@pytest.fixture
def live_server(services: Services) -> Iterator[str]:
    """Serve the app on a free loopback port in a thread."""
    app = create_app({"TESTING": True}, services=services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:
    """A Chromium page (headless)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                     args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server)
        yield context.new_page()
        context.close()
        browser.close()
