"""Witnesses: each new signed checkpoint goes to a loopback HTTP witness (C2SP tlog-witness
add-checkpoint shape, checked with the consistency proof) and a folder; a witness that is
down does not stop sealing and is reported; the audit page shows when each checkpoint was
last witnessed."""

from __future__ import annotations

import base64
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from app.bootstrap import bootstrap
from app.config import ConfigError, load_settings, parse_witnesses
from domain.audit import merkle
from tests.conftest import add_person, login
from web import create_app
from web.cli.main import main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from app.bootstrap import Services
    from tests.conftest import FakeClock


class Witness(BaseHTTPRequestHandler):
    """A minimal tlog witness: keeps the last size and root, accepts only consistent growth."""

    held: tuple[int, bytes] = (0, b"")
    requests: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).requests.append(body)
        head, _, note = body.partition("\n\n")
        lines = head.split("\n")
        old = int(lines[0].removeprefix("old "))
        proof = [base64.b64decode(p) for p in lines[1:] if p]
        note_lines = note.split("\n")
        size, root = int(note_lines[1]), base64.b64decode(note_lines[2])
        held_size, held_root = type(self).held
        if old != held_size:
            self._answer(409, str(held_size), "text/x.tlog.size")
            return
        if old and not merkle.verify_consistency(old, size, held_root, root, proof):
            self._answer(422, "not consistent", "text/plain")
            return
        type(self).held = (size, root)
        self._answer(200, "\u2014 test-witness AAAA\n", "text/plain")

    def _answer(self, code: int, text: str, content_type: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def witness_url() -> Iterator[str]:
    Witness.held, Witness.requests = (0, b""), []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Witness)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/add-checkpoint"
    server.shutdown()
    server.server_close()


@pytest.fixture
def down_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/add-checkpoint"  # nothing listens there


@pytest.fixture
def witnessed(database_url: str, tmp_path: Path, clock: FakeClock, witness_url: str,
              down_url: str) -> Iterator[Services]:
    svc = bootstrap(load_settings(database_url=database_url, instance_path=tmp_path / "inst",
                                  password_cost="fast",
                                  witnesses=(witness_url, str(tmp_path / "kept"), down_url)))
    yield svc
    svc.close()


def test_each_new_checkpoint_reaches_the_http_and_folder_witnesses_and_a_down_one_is_reported(
        witnessed: Services, witness_url: str, down_url: str, tmp_path: Path,
        clock: FakeClock) -> None:
    add_person(witnessed, "member")
    first = witnessed.audit.seal(force=True, witness="now")
    results = {r["witness"]: r for r in witnessed.audit.witnessed}
    clock.advance(minutes=5)
    add_person(witnessed, "member")
    second = witnessed.audit.seal(force=True, witness="now")

    assert first is not None and second is not None  # sealing went on with a witness down
    assert results[witness_url]["ok"] and results[str(tmp_path / "kept")]["ok"]
    assert not results[down_url]["ok"]
    assert "unreachable" in results[down_url]["detail"]
    assert Witness.held[0] == second["tree_size"]
    assert Witness.requests[0].startswith("old 0\n\n")
    assert Witness.requests[1].startswith(f"old {first['tree_size']}\n")
    assert Witness.requests[1].count("\n") > 4  # the consistency proof travelled
    assert second["body"] in Witness.requests[1]
    kept = tmp_path / "kept"
    assert (kept / f"checkpoint-{second['tree_size']}.txt").exists()
    assert (kept / "checkpoints.txt").read_text().count("Governance Ledger\n") == 2
    checked, problems = witnessed.audit.verify_against((kept / "checkpoints.txt").read_text())
    assert (checked, problems) == (2, [])
    last = witnessed.audit.witnesses.last_witnessed()
    assert last[second["id"]]["witnesses"] == 2
    assert last[second["id"]]["at"] == clock.now.isoformat(timespec="microseconds")


def test_a_witness_that_lost_track_answers_409_with_its_size_and_gets_a_retry(
        witnessed: Services, witness_url: str) -> None:
    add_person(witnessed, "member")
    witnessed.audit.seal(force=True, witness="now")
    add_person(witnessed, "member")
    second = witnessed.audit.seal(force=True, witness="off")  # the witness never saw it
    assert second is not None
    Witness.held = (second["tree_size"], base64.b64decode(second["body"].split("\n")[2]))
    add_person(witnessed, "member")

    witnessed.audit.seal(force=True, witness="now")

    result = next(r for r in witnessed.audit.witnessed if r["witness"] == witness_url)
    assert result["ok"], result["detail"]
    assert Witness.requests[-1].startswith(f"old {second['tree_size']}\n")


def test_the_audit_page_shows_when_each_checkpoint_was_last_witnessed_and_failures(
        witnessed: Services, down_url: str) -> None:
    auditor = add_person(witnessed, "auditor", "management")
    checkpoint = witnessed.audit.seal(force=True, witness="now")
    assert checkpoint is not None
    client = create_app({"TESTING": True}, services=witnessed).test_client()
    login(client, auditor)

    html = client.get("/audit/").get_data(as_text=True)

    at = witnessed.audit.witnesses.last_witnessed()[checkpoint["id"]]["at"]
    assert f"{at} (2 witnesses)" in html
    assert down_url in html and "FAILED: unreachable" in html


def test_the_cli_seals_despite_a_down_witness_and_witness_push_reports_it(
        witnessed: Services, down_url: str, witness_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", witnessed.settings.database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(witnessed.settings.instance_path))
    monkeypatch.setenv("GOVLEDGER_WITNESSES", f"{witness_url},{down_url}")

    sealed = main(["seal"])
    out, err = capsys.readouterr()
    pushed = main(["witness", "push"])
    push_err = capsys.readouterr().err
    monkeypatch.delenv("GOVLEDGER_WITNESSES")
    unconfigured = main(["witness", "push"])
    none_err = capsys.readouterr().err

    assert sealed == 0 and f"witness {witness_url}: took checkpoint" in out
    assert f"witness {down_url}: FAILED" in err and "govledger witness push" in err
    assert pushed == 1 and down_url in push_err
    assert unconfigured == 2 and len(none_err.strip().splitlines()) == 1


def test_the_setting_takes_urls_and_folders_and_refuses_other_schemes() -> None:
    assert parse_witnesses(" https://w.example/add-checkpoint , /srv/kept ,") == (
        "https://w.example/add-checkpoint", "/srv/kept")
    with pytest.raises(ConfigError, match="GOVLEDGER_WITNESSES"):
        parse_witnesses("ftp://w.example/")


def test_a_folder_witness_that_is_a_git_working_copy_gets_a_commit_per_checkpoint(
        database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    import subprocess

    repo = tmp_path / "auditor-repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    svc = bootstrap(load_settings(database_url=database_url, instance_path=tmp_path / "inst",
                                  password_cost="fast", witnesses=(str(repo),)))
    try:
        add_person(svc, "member")
        svc.audit.seal(force=True, witness="now")
        add_person(svc, "member")
        second = svc.audit.seal(force=True, witness="now")
    finally:
        svc.close()

    assert second is not None and all(r["ok"] for r in svc.audit.witnessed)
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%s"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert len(log) == 2
    assert log[0].startswith(f"checkpoint {second['id']}: {second['tree_size']} events")
    shown = subprocess.run(["git", "-C", str(repo), "show", "HEAD:latest.txt"],
                           capture_output=True, text=True, check=True).stdout
    assert second["body"] in shown
