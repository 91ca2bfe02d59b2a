"""``verify`` names a bad checkpoint by number and time and tells the operator what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

from web.cli.main import main

if TYPE_CHECKING:
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
