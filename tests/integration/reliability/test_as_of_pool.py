"""As-of views are built by a bounded pool: at most ``as_of_builds`` replays at once, requests
for a view being built wait for it, a request finding every slot taken waits ``as_of_wait``
seconds and is then 429 (in the error shape, with ``Retry-After``) — and every other request
keeps being served meanwhile."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

from app.bootstrap import bootstrap
from app.config import ConfigError, load_settings
from tests.conftest import add_person, bearer, valid_change
from web import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from flask import Flask

    from app.bootstrap import Services
    from tests.conftest import FakeClock


@pytest.fixture
def pooled(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    svc = bootstrap(load_settings(database_url=database_url, instance_path=tmp_path / "i",
                                  password_cost="fast", as_of_builds=1, as_of_wait=0.3))
    yield svc
    svc.close()


def history(app: Flask, member: dict[str, Any], clock: FakeClock) -> list[str]:
    """Three moments, each with a different log prefix behind it."""
    client, moments = app.test_client(), []
    for n in range(3):
        clock.advance(hours=1)
        client.post("/api/v1/change-requests", json=valid_change(title=f"Change {n}"),
                    headers=bearer(member))
        clock.advance(minutes=30)
        moments.append(clock.now.isoformat())
    clock.advance(hours=1)
    client.post("/api/v1/change-requests", json=valid_change(title="Latest"),
                headers=bearer(member))
    return moments


def test_a_build_beyond_the_bound_waits_then_is_429_with_retry_after_and_others_are_served(
        pooled: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app({"TESTING": True}, services=pooled)
    member = add_person(pooled, "member")
    first, second, _ = history(app, member, clock)
    release, started = threading.Event(), threading.Event()
    real = pooled.as_of.build

    def slow_build(position: int) -> Any:
        started.set()
        release.wait(10)
        return real(position)

    monkeypatch.setattr(pooled.as_of, "build", slow_build)
    # the views are replays: as for a moment some read model has not applied yet (the live
    # history holds every moment here, and reading it builds nothing)
    monkeypatch.setattr(pooled.as_of, "recorded_to", lambda position: False)
    answers: dict[str, Any] = {}

    def view(name: str, moment: str) -> None:
        answers[name] = app.test_client().get(
            "/api/v1/change-requests", query_string={"as_of": moment}, headers=bearer(member))

    holder = threading.Thread(target=view, args=("holder", first))
    same = threading.Thread(target=view, args=("same", first))
    holder.start()
    assert started.wait(5)
    same.start()  # the same view: waits for the holder's build, takes no slot
    view("other", second)  # another view: the one slot is taken
    now = app.test_client().get("/api/v1/change-requests", headers=bearer(member))
    release.set()
    holder.join(10)
    same.join(10)

    busy = answers["other"]
    assert busy.status_code == 429
    assert busy.headers["Retry-After"].isdigit() and int(busy.headers["Retry-After"]) >= 1
    error = busy.get_json()["error"]
    assert error["code"] == "as_of_busy" and error["message"]
    assert error["details"]["retry_after"] == int(busy.headers["Retry-After"])
    assert now.status_code == 200 and now.get_json()["total"] == 4  # the present is served
    assert answers["holder"].status_code == answers["same"].status_code == 200
    assert answers["holder"].get_json()["total"] == answers["same"].get_json()["total"] == 1
    again = app.test_client().get("/api/v1/change-requests", query_string={"as_of": second},
                                  headers=bearer(member))
    assert again.status_code == 200 and again.get_json()["total"] == 2  # once a slot is free


def test_the_bound_and_the_wait_are_configurable(tmp_path: Path) -> None:
    settings = load_settings({"GOVLEDGER_AS_OF_BUILDS": "3", "GOVLEDGER_AS_OF_WAIT_SECONDS": "0.5",
                              "GOVLEDGER_INSTANCE_PATH": str(tmp_path)})
    assert (settings.as_of_builds, settings.as_of_wait) == (3, 0.5)
    with pytest.raises(ConfigError, match="GOVLEDGER_AS_OF_BUILDS"):
        load_settings({"GOVLEDGER_AS_OF_BUILDS": "0", "GOVLEDGER_INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(ConfigError, match="GOVLEDGER_AS_OF_WAIT_SECONDS"):
        load_settings({"GOVLEDGER_AS_OF_WAIT_SECONDS": "soon",
                       "GOVLEDGER_INSTANCE_PATH": str(tmp_path)})
