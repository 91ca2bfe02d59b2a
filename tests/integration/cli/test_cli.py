"""The ``govledger`` command line, on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from projections.runner import DEFAULT_PROJECTIONS
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the CLI at the test database and instance folder."""
    env = {"GOVLEDGER_DATABASE_URL": database_url,
           "GOVLEDGER_INSTANCE_PATH": str(tmp_path / "instance")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestInitAndUsers:
    def test_init_creates_the_first_admin_once(self, cli_env: dict[str, str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "init")
        again, out2, _ = run(capsys, "init")

        assert code == 0 and "password:" in out and "admin@example.org" in out
        assert again == 0 and "password:" not in out2

    def test_user_add_prints_id_and_token_as_json_on_the_last_line(
            self, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "user", "add", "--name", "Quinn", "--email", "q@example.org",
                           "--function", "qa", "--role", "member")

        created = json.loads(out.strip().splitlines()[-1])
        assert code == 0
        assert set(created) == {"id", "token"} and created["token"].startswith("glt_")

    @pytest.mark.parametrize(("args", "message"), [
        (["--role", "boss"], "--role"), (["--function", "sales"], "--function"),
        (["--email", "not-an-email"], "--email")])
    def test_bad_input_is_one_line_on_stderr_without_a_traceback(
            self, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str],
            args: list[str], message: str) -> None:
        base = {"--name": "Q", "--email": "q@example.org", "--function": "qa", "--role": "member"}
        base.update(dict(zip(args[::2], args[1::2])))

        code, out, err = run(capsys, "user", "add", *[x for kv in base.items() for x in kv])

        assert code == 2 and out == ""
        assert message in err and "Traceback" not in err

    def test_a_taken_email_is_refused_by_rule_name(
            self, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        args = ("user", "add", "--name", "Q", "--email", "q@example.org", "--function", "qa",
                "--role", "member")
        run(capsys, *args)

        code, _, err = run(capsys, *args)

        assert code == 2 and "email_taken" in err


class TestDemoAndProjections:
    def test_demo_loads_once_and_rebuild_reproduces_the_read_models(
            self, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        run(capsys, "init")
        assert run(capsys, "demo")[1].startswith("Loaded")
        assert "already present" in run(capsys, "demo")[1]

        code, out, err = run(capsys, "projections", "rebuild")
        status = run(capsys, "projections", "status")[1]

        assert code == 0 and f"Rebuilt {len(DEFAULT_PROJECTIONS)} read models" in out
        assert err == ""  # no progress bar when not on a terminal
        lines = status.strip().splitlines()[1:]
        assert {line.split()[0] for line in lines} == {p.name for p in DEFAULT_PROJECTIONS}
        assert all(line.split()[-1] == "0" for line in lines)


def test_the_console_script_is_installed_and_reports_errors_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "GOVLEDGER_INSTANCE_PATH": str(tmp_path)}
    env.pop("GOVLEDGER_DATABASE_URL", None)
    script = os.path.join(os.path.dirname(sys.executable), "govledger")

    result = subprocess.run([script, "user", "add", "--name", "X", "--email", "x@example.org",
                             "--function", "qa", "--role", "root"],
                            env=env, capture_output=True, text=True, check=False)

    assert result.returncode == 2
    assert "--role" in result.stderr and "Traceback" not in result.stderr


class TestAccess:
    def test_a_token_issued_then_revoked_from_the_cli_stops_working(
            self, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        run(capsys, "user", "add", "--name", "Quinn", "--email", "q@example.org",
            "--function", "qa", "--role", "member")
        code, out, _ = run(capsys, "user", "token", "issue", "q@example.org", "--name", "ci")
        issued = json.loads(out.strip().splitlines()[-1])
        assert code == 0 and issued["token"].split("_")[2] == issued["id"]

        code, out, _ = run(capsys, "user", "token", "revoke", issued["id"], "--reason", "leak")

        assert code == 0 and issued["id"] in out
        from app.bootstrap import bootstrap
        from app.config import load_settings
        services = bootstrap(load_settings())
        try:
            assert services.people.authenticate_token(issued["token"]) is None
        finally:
            services.close()

    def test_deactivate_role_and_reactivate_from_the_cli(
            self, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = run(capsys, "user", "add", "--name", "Quinn", "--email", "q@example.org",
                        "--function", "qa", "--role", "member")
        created = json.loads(out.strip().splitlines()[-1])

        codes = [run(capsys, "user", "deactivate", "q@example.org", "--reason", "left")[0],
                 run(capsys, "user", "role", created["id"], "--role", "auditor")[0]]
        again, _, err = run(capsys, "user", "deactivate", "q@example.org")
        codes.append(run(capsys, "user", "reactivate", "q@example.org")[0])

        assert codes == [0, 0, 0]
        assert again == 2 and "already_inactive" in err
        from app.bootstrap import bootstrap
        from app.config import load_settings
        services = bootstrap(load_settings())
        try:
            person = services.people.get_person(created["id"])
        finally:
            services.close()
        assert person["roles"] == ["auditor"] and person["active"] is True

    def test_an_unknown_role_or_person_is_one_line_on_stderr(
            self, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        run(capsys, "user", "add", "--name", "Quinn", "--email", "q@example.org",
            "--function", "qa", "--role", "member")

        bad_role = run(capsys, "user", "role", "q@example.org", "--role", "king")
        nobody = run(capsys, "user", "deactivate", "nobody@example.org")

        assert bad_role[0] == 2 and "--role" in bad_role[2]
        assert nobody[0] == 2 and "not_found" in nobody[2]
