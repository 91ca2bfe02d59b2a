"""``verify`` names a bad checkpoint by number and time and tells the operator what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

from web.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from app.bootstrap import Services


def test_an_edited_checkpoint_is_named_by_number_and_time_with_a_next_step(
        services: Services, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    services.audit.seal(force=True)
    second = services.audit.seal(force=True)
    assert second is not None
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE audit_checkpoints SET tree_size = tree_size + 0, "
                          "root_hash = :r WHERE id = :i"), {"r": "00" * 32, "i": second["id"]})
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(services.settings.instance_path))

    assert main(["verify"]) == 1
    err = capsys.readouterr().err

    assert "first bad position: None" not in err
    assert (f"first bad position: none in the events; first bad checkpoint: {second['id']} "
            f"(signed {second['issued_at']})") in err
    assert "root_mismatch" not in err  # an unsigned root is not evidence against the events
    assert f"checkpoint {second['id']}" in err and second["issued_at"] in err
    assert "What to do next:" in err

    report = services.audit.verify().as_dict()
    assert report["next_step"]
    assert second["id"] in {p["checkpoint"] for p in report["problems"]}


def test_every_kind_of_finding_has_its_own_next_step() -> None:
    """Each kind of problem verify, verify --against or the sealer can report names what to
    do about it (a kind added without one would fall back to a generic step)."""
    import ast
    from pathlib import Path as File

    from app.audit import service

    kinds = set()
    for node in ast.walk(ast.parse(File(service.__file__).read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem" \
                and node.args and isinstance(node.args[0], ast.Constant):
            kinds.add(node.args[0].value)

    assert kinds >= {"changed", "inserted", "missing", "reordered", "unauthenticated",
                     "root_mismatch", "bad_signature", "sealed_leaves_mismatch",
                     "inconsistent", "rewritten", "bad_note"}
    assert kinds <= set(service.NEXT_STEPS)


def test_a_failing_verify_against_ends_with_what_to_do_next(
        services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    services.audit.seal(force=True)
    kept = tmp_path / "kept.txt"
    kept.write_text("not a checkpoint\n")
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(services.settings.instance_path))

    assert main(["verify", "--against", str(kept)]) == 1
    err = capsys.readouterr().err

    assert "bad_note" in err
    assert "What to do next: The kept file holds something that is not a checkpoint" in err
