"""Compliance export bundles: verify_bundle.py passes in a clean environment, a tampered bundle
fails, the openssl command checks the signature, the CLI and the auditor download."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING, Any

import pytest

from app.audit.bundle import OPENSSL, build_bundle, parse_moment
from tests.conftest import bearer, valid_change
from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

    from flask.testing import FlaskClient

    from app.bootstrap import Services
    from tests.conftest import FakeClock


@pytest.fixture
def ledger_over_days(client: FlaskClient, member: dict[str, Any], clock: FakeClock,
                     services: Services) -> dict[str, Any]:
    """Changes on 2 March, 3 March (one withdrawn) and 4 March; sealed."""
    ids = []
    for day in range(3):
        ids.append(client.post("/api/v1/change-requests", json=valid_change(
            title=f"Change on day {day}"), headers=bearer(member)).get_json()["id"])
        if day == 1:
            client.post(f"/api/v1/change-requests/{ids[-1]}/withdraw", json={"reason": "later"},
                        headers=bearer(member))
        clock.advance(days=1)
    services.audit.seal(force=True)
    return {"ids": ids}


def unzip(data: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


def verify(folder: Path) -> subprocess.CompletedProcess[str]:
    """Run the bundle's own verifier with a clean environment (no PYTHONPATH, no venv)."""
    return subprocess.run([sys.executable, "-I", "-S", str(folder / "verify_bundle.py")],
                          env={"PATH": "/usr/bin:/bin"}, cwd=folder, capture_output=True,
                          text=True, check=False)


def test_a_bundle_verifies_offline_and_holds_exactly_the_period(
        services: Services, ledger_over_days: dict[str, Any], tmp_path: Path) -> None:
    data, manifest = build_bundle(services, parse_moment("2026-03-03", "from"),
                                  parse_moment("2026-03-03", "to", end=True))
    folder = unzip(data, tmp_path / "bundle")

    result = verify(folder)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout and "openssl" in result.stdout
    assert manifest["counts"]["events"] == 2  # submitted + withdrawn on day 1
    population = list(csv.DictReader(io.StringIO(
        (folder / "reports/change_requests.csv").read_text())))
    evidence = list(csv.DictReader(io.StringIO(
        (folder / "reports/change_approval_evidence.csv").read_text())))
    assert [r["title"] for r in population] == ["Change on day 1"]
    assert [r["event"] for r in evidence] == ["Submitted", "Withdrawn"]
    assert (folder / "reports/reports.pdf").read_bytes().startswith(b"%PDF")
    assert "What a passing check proves" in (folder / "README.txt").read_text()
    sums = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder,
                          capture_output=True, text=True, check=False)
    assert sums.returncode == 0, sums.stdout


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_the_documented_openssl_command_checks_the_checkpoint_signature(
        services: Services, ledger_over_days: dict[str, Any], tmp_path: Path) -> None:
    data, _ = build_bundle(services, parse_moment("2026-03-01", "from"),
                           parse_moment("2026-03-09", "to"))
    folder = unzip(data, tmp_path / "bundle")

    good = subprocess.run(OPENSSL.split(), cwd=folder, capture_output=True, text=True,
                          check=False)
    (folder / "checkpoint.txt").write_text(
        (folder / "checkpoint.txt").read_text().replace("\n", "\n\n", 1))
    bad = subprocess.run(OPENSSL.split(), cwd=folder, capture_output=True, text=True,
                         check=False)

    assert good.returncode == 0 and "Verified Successfully" in good.stdout
    assert bad.returncode != 0


@pytest.mark.parametrize("tampering", ["event", "proof", "drop_line", "sums_too", "signature"])
def test_a_tampered_bundle_fails(services: Services, ledger_over_days: dict[str, Any],
                                 tmp_path: Path, tampering: str) -> None:
    data, _ = build_bundle(services, parse_moment("2026-03-02", "from"),
                           parse_moment("2026-03-04", "to"))
    folder = unzip(data, tmp_path / "bundle")
    events = (folder / "events.jsonl").read_text().splitlines()
    if tampering == "event":
        first = json.loads(events[0])
        first["leaf"]["topic"] += "X"
        events[0] = json.dumps(first)
        (folder / "events.jsonl").write_text("\n".join(events) + "\n")
    elif tampering == "proof":
        proofs = (folder / "proofs.jsonl").read_text().splitlines()
        proof = json.loads(proofs[0])
        path = proof["audit_path"]
        path[0] = ("1" if path[0][0] == "0" else "0") + path[0][1:]
        (folder / "proofs.jsonl").write_text("\n".join([json.dumps(proof), *proofs[1:]]) + "\n")
    elif tampering in ("drop_line", "sums_too"):
        (folder / "events.jsonl").write_text("\n".join(events[:1] + events[2:]) + "\n")
    elif tampering == "signature":
        sig = bytearray((folder / "checkpoint.sig").read_bytes())
        sig[5] ^= 0x10
        (folder / "checkpoint.sig").write_bytes(bytes(sig))
    if tampering in ("sums_too", "signature"):
        import hashlib

        (folder / "SHA256SUMS").write_text("".join(
            f"{hashlib.sha256((folder / line.split('  ')[1]).read_bytes()).hexdigest()}  "
            f"{line.split('  ')[1]}\n"
            for line in (folder / "SHA256SUMS").read_text().splitlines()))

    result = verify(folder)

    assert result.returncode == 1, result.stdout
    assert "FAIL" in result.stdout
    if tampering in ("sums_too", "signature"):
        assert "SHA256SUMS.sig: the signature of SHA256SUMS does not verify" in result.stdout
    if tampering == "signature":
        assert "signature does not verify" in result.stdout


def test_the_cli_writes_a_bundle_that_verifies(
        services: Services, ledger_over_days: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(services.settings.instance_path))
    out = tmp_path / "export.zip"

    code = main(["bundle", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(out),
                 "--full-prefix"])
    bad = main(["bundle", "--from", "2026-03-31", "--to", "2026-03-01", "--out", str(out)])
    printed = capsys.readouterr()

    assert code == 0 and "Wrote" in printed.out
    assert bad == 2 and "--to" in printed.err
    assert verify(unzip(out.read_bytes(), tmp_path / "b")).returncode == 0


def test_auditors_download_a_bundle_and_bad_periods_are_refused(
        client: FlaskClient, auditor: dict[str, Any], ledger_over_days: dict[str, Any]) -> None:
    ok = client.get("/api/v1/ledger/bundle?from=2026-03-01&to=2026-03-31",
                    headers=bearer(auditor))
    bad = client.get("/api/v1/ledger/bundle?from=2026-03-31&to=2026-03-01",
                     headers=bearer(auditor))

    assert ok.status_code == 200 and ok.mimetype == "application/zip"
    assert ok.headers["X-Bundle-Events"] != "0"
    assert bad.status_code == 422 and "to" in bad.get_json()["error"]["details"]


def recompute_sums(folder: Path) -> None:
    """What a forger without the key does: recompute SHA256SUMS over the edited files."""
    import hashlib

    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.name not in ("SHA256SUMS", "SHA256SUMS.sig"))
    (folder / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in names))


def test_editing_any_file_with_the_sums_recomputed_fails_the_verifier_and_openssl(
        services: Services, ledger_over_days: dict[str, Any], tmp_path: Path) -> None:
    from app.audit.bundle import OPENSSL_SUMS

    data, _ = build_bundle(services, parse_moment("2026-03-02", "from"),
                           parse_moment("2026-03-04", "to"))
    clean = unzip(data, tmp_path / "clean")
    listed = {line.split("  ", 1)[1] for line in (clean / "SHA256SUMS").read_text().splitlines()}
    on_disk = {p.relative_to(clean).as_posix() for p in clean.rglob("*") if p.is_file()}
    assert on_disk - listed == {"SHA256SUMS", "SHA256SUMS.sig"}
    assert subprocess.run(OPENSSL_SUMS.split(), cwd=clean, capture_output=True,
                          check=False).returncode == 0
    assert verify(clean).returncode == 0
    for i, name in enumerate(sorted(listed)):
        folder = tmp_path / f"t{i}"
        shutil.copytree(clean, folder)
        target = folder / name
        target.write_bytes(target.read_bytes() + b" ")
        recompute_sums(folder)
        result = verify(folder)
        assert result.returncode == 1, name
        assert "SHA256SUMS.sig" in result.stdout, name
        assert subprocess.run(OPENSSL_SUMS.split(), cwd=folder, capture_output=True,
                              check=False).returncode != 0, name
    extra = tmp_path / "extra"
    shutil.copytree(clean, extra)
    (extra / "reports" / "extra.csv").write_text("a,b\n")
    result = verify(extra)
    assert result.returncode == 1 and "reports/extra.csv: in the bundle but not listed" in \
        result.stdout


def test_no_bundle_is_made_from_a_store_that_fails_verification(
        services: Services, ledger_over_days: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    table = services.ledger.recorder.events_table_name
    pos = "notification_id" if services.settings.is_postgres else "rowid"
    with services.engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET state = :s WHERE {pos} = 3"),  # noqa: S608
                     {"s": b'{"timestamp":{"_type_":"datetime_iso","_data_":'
                           b'"2026-01-01T00:00:00+00:00"}}'})
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(services.settings.instance_path))
    out = tmp_path / "export.zip"

    code = main(["bundle", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(out)])

    assert code == 2
    err = capsys.readouterr().err
    assert "fails verification" in err and "position 3" in err
    assert not out.exists()
