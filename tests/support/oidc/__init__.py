"""A real OpenID Connect provider for the tests: the npm package ``oidc-provider`` (pinned in
``package-lock.json`` here, installed by ``scripts/install-test-deps.sh``) run with Debian's
``nodejs`` on a free loopback port, started and stopped by the test that needs it."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.processes import child

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).parent
CLIENT_ID = "govledger-tests"
CLIENT_SECRET = "a-test-only-client-secret-of-some-length"
ACCOUNTS = {
    "alice": {"email": "alice.sso@example.org", "email_verified": True, "name": "Alice Sso",
              "groups": ["staff"]},
    "adam": {"email": "adam.sso@example.org", "email_verified": True, "name": "Adam Sso",
             "groups": ["staff", "governance-admins"]},
    "uma": {"email": "uma.sso@example.org", "email_verified": False, "name": "Uma Unverified"},
}


def node() -> str:
    """Debian's node, and the provider's packages, or a skip (a failure in CI)."""
    path = shutil.which("node") or shutil.which("nodejs") or ""
    if not path or not (HERE / "node_modules" / "oidc-provider").is_dir():
        message = ("the test OIDC provider is not installed: run scripts/install-test-deps.sh "
                   "(or `make test`)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def oidc_provider(redirect_uris: list[str], accounts: dict[str, Any] | None = None,
                  timeout: float = 30.0) -> Iterator[str]:
    """Run the provider until the block ends; yields its issuer URL."""
    executable = node()
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "provider.json"
        config.write_text(json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                      "redirect_uris": redirect_uris,
                                      "accounts": accounts or ACCOUNTS}))
        with child([executable, str(HERE / "provider.mjs"), str(config)], grace=5, cwd=HERE,
                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
            yield _issuer(process, timeout)


def _issuer(process: subprocess.Popen[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([process.stdout], [], [], left)[0]:
            break
        line = process.stdout.readline()
        if line.startswith("listening "):
            return line.split()[1]
        if not line and process.poll() is not None:
            raise RuntimeError(f"the OIDC provider exited ({process.returncode})")
    raise RuntimeError("the OIDC provider did not start in time")


def oidc_config(issuer: str, **extra: Any) -> dict[str, Any]:
    """App config for signing in through the test provider."""
    return {"GOVLEDGER_OIDC_ISSUER": issuer, "GOVLEDGER_OIDC_CLIENT_ID": CLIENT_ID,
            "GOVLEDGER_OIDC_CLIENT_SECRET": CLIENT_SECRET, "GOVLEDGER_OIDC_NAME": "Test IdP",
            "GOVLEDGER_OIDC_SCOPES": "openid email profile groups",
            "GOVLEDGER_OIDC_ROLE_MAP": "governance-admins=admin", **extra}
