"""``govledger verify --read-models``: every read-model table against a replay of the log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from tests.conftest import bearer, valid_change
from web.cli.main import main

if TYPE_CHECKING:
    import pytest
    from flask.testing import FlaskClient

    from app.bootstrap import Services


def test_a_changed_read_model_cell_is_named_by_table_and_row(
        client: FlaskClient, member: dict[str, Any], services: Services,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ids = [client.post("/api/v1/change-requests", json=valid_change(title=f"Change {i}"),
                       headers=bearer(member)).get_json()["id"] for i in range(3)]
    services.audit.seal(force=True)
    services.projections.catch_up()
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("GOVLEDGER_INSTANCE_PATH", str(services.settings.instance_path))

    assert main(["verify", "--read-models"]) == 0
    assert "every table matches" in capsys.readouterr().out

    with services.engine.begin() as conn:
        conn.execute(text("UPDATE rm_change_requests SET title = 'Forged' WHERE id = :i"),
                     {"i": ids[1]})

    assert main(["verify"]) == 0  # the log itself is intact
    capsys.readouterr()
    assert main(["verify", "--read-models"]) == 1
    err = capsys.readouterr().err
    assert f"table rm_change_requests, row {ids[1]}: column title is 'Forged' live" in err
    assert "'Change 1' from the log" in err


def test_a_deleted_read_model_row_is_reported(services: Services, client: FlaskClient,
                                              member: dict[str, Any]) -> None:
    cid = client.post("/api/v1/change-requests", json=valid_change(),
                      headers=bearer(member)).get_json()["id"]
    services.projections.catch_up()
    with services.engine.begin() as conn:
        conn.execute(text("DELETE FROM rm_change_requests WHERE id = :i"), {"i": cid})

    _, differences = services.as_of.compare_with_live()

    assert differences == [{"table": "rm_change_requests", "key": [cid], "column": None,
                            "live": "missing", "replayed": "present"}]
