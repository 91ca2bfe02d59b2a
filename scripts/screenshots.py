"""Full-page screenshots of every main page at 1366 px and 390 px wide (``make screenshots``).

Starts the app on the demo data in a throwaway SQLite store, signs in as the demo member, an
administrator and the auditor, and writes ``screenshots/<width>/<person>-<page>.png``; the 390 px
set has one more, ``<person>-menu.png``, with the navigation menu open. With ``--axe`` it also
prints axe-core's serious and critical findings per page (needs ``tests/support/axe``, installed
by ``scripts/install-test-deps.sh``).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from app.bootstrap import bootstrap  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.demo import load_demo  # noqa: E402
from tests.support.main_pages import (  # noqa: E402
    axe_violations,
    page_overflow,
    resolve,
    sign_in,
)
from web import create_app  # noqa: E402

WIDTHS = {1366: 900, 390: 844}
ADMIN = ("admin@example.org", "admin-password-123")
PEOPLE = {"member": ("alice@example.org", None), "admin": ADMIN,
          "auditor": ("frank@example.org", None)}


def serve(tmp: Path) -> tuple[str, object]:
    """The app over a fresh SQLite store holding the demo and an administrator."""
    services = bootstrap(load_settings(database_url=f"sqlite:///{tmp / 'govledger.sqlite3'}",
                                       instance_path=tmp / "instance", password_cost="fast"))
    load_demo(services)
    with services.ledger.as_system():
        services.people.register_person(name="Ada Admin", email=ADMIN[0], function="management",
                                        role="admin", password=ADMIN[1])
    services.projections.catch_up()
    server = make_server("127.0.0.1", 0, create_app({}, services=services), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--axe", action="store_true", help="also report axe-core findings")
    parser.add_argument("--people", default="member,admin,auditor")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    chromium = shutil.which("chromium") or ""
    problems = 0
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        url, server = serve(Path(tmp))
        browser = pw.chromium.launch(executable_path=chromium or None, headless=True,
                                     args=["--no-sandbox", "--disable-gpu",
                                           "--disable-dev-shm-usage"])
        for who in args.people.split(","):
            email, password = PEOPLE[who]
            for width, height in WIDTHS.items():
                context = browser.new_context(base_url=url, bypass_csp=True,
                                              viewport={"width": width, "height": height})
                page = context.new_page()
                sign_in(page, email, *(p for p in [password] if p))
                folder = out / str(width)
                folder.mkdir(parents=True, exist_ok=True)
                for name, path in resolve(page, include_admin_only=who == "admin"):
                    page.goto(path)
                    page.screenshot(path=str(folder / f"{who}-{name}.png"), full_page=True)
                    notes = []
                    if (extra := page_overflow(page)) > 0:
                        notes.append(f"page {extra} px wider than the viewport")
                    if args.axe:
                        notes += [f"{v['impact']} {v['id']}: {v['help']} {v['nodes']}"
                                  for v in axe_violations(page)]
                    problems += len(notes)
                    for note in notes:
                        print(f"{width} {who} {name} {path}: {note}")
                if width < 800:
                    page.goto("/")
                    page.click("label[for=nav-toggle]")
                    page.screenshot(path=str(folder / f"{who}-menu.png"), full_page=True)
                context.close()
        browser.close()
        server.shutdown()  # type: ignore[attr-defined]
    print(f"screenshots in {out}; {problems} problem(s) found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
