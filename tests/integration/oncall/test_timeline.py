"""The on-call timeline: weeks × primary/secondary, overrides and swaps marked in words with who
replaced whom, the current week highlighted, navigation, and a query bounded to the weeks shown."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from app.oncall import queries as q
from tests.conftest import add_person, login

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from app.bootstrap import Services

UTC = timezone.utc


def row(html: str, week_start: str) -> str:
    match = re.search(rf'<tr id="week-{week_start}"([^>]*)>(.*?)</tr>', html, re.S)
    assert match, f"no row for the week of {week_start}"
    return match[1] + match[2]


def cells(row_html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)


@pytest.fixture
def world(services: Services, admin: dict[str, Any]) -> dict[str, Any]:
    """Four planned weeks; week 2's primary overridden by an admin, week 3's secondary swapped."""
    crew = {n: add_person(services, name=n) for n in ("Ana", "Ben", "Cai", "Dee")}
    names = {p["id"]: n for n, p in crew.items()}
    oncall = services.oncall
    with services.ledger.acting_as(admin["id"]):
        rid = oncall.create_rotation(name="Platform", timezone="Europe/Berlin",
                                     roster=[p["id"] for p in crew.values()])["id"]
        shifts = oncall.plan_rotation(rid, weeks=4)["shifts"]
    overridden, swapped = shifts[1], shifts[2]
    taken = {overridden["primary_id"], overridden["secondary_id"]}
    stand_in = next(p["id"] for p in crew.values() if p["id"] not in taken)
    with services.ledger.acting_as(admin["id"], reason="planned holder at a conference"):
        oncall.override_shift(rid, overridden["week_start"], "primary", stand_in)
    holder = swapped["secondary_id"]
    counterpart = next(p["id"] for p in crew.values()
                       if p["id"] not in (swapped["primary_id"], holder))
    with services.ledger.acting_as(holder):
        swap = oncall.request_swap(rid, swapped["week_start"], "secondary", counterpart)
    with services.ledger.acting_as(counterpart):
        oncall.accept_swap(rid, swap["id"])
    services.projections.catch_up()
    return {"rotation_id": rid, "shifts": shifts, "names": names, "stand_in": stand_in,
            "overridden": overridden, "swapped": swapped, "holder": holder,
            "counterpart": counterpart}


def test_the_timeline_marks_overrides_and_swaps_with_who_replaced_whom(
        client: FlaskClient, admin: dict[str, Any], world: dict[str, Any]) -> None:
    login(client, admin)
    names = world["names"]

    html = client.get(f"/oncall/rotations/{world['rotation_id']}/timeline").get_data(
        as_text=True)

    primary, secondary = cells(row(html, world["overridden"]["week_start"]))
    assert names[world["stand_in"]] in primary
    assert (f'<span class="moved override">Override: {names[world["stand_in"]]} replaced '
            f'{names[world["overridden"]["primary_id"]]}') in primary
    assert "planned holder at a conference" in primary and "Ada Admin" in primary
    assert "moved" not in secondary
    primary, secondary = cells(row(html, world["swapped"]["week_start"]))
    assert (f'<span class="moved swap">Swap: {names[world["counterpart"]]} replaced '
            f'{names[world["holder"]]}') in secondary
    assert "moved" not in primary
    untouched = cells(row(html, world["shifts"][3]["week_start"]))
    assert all("moved" not in c for c in untouched)
    assert 'id="legend"' in html and "<caption>" in html
    assert '<th scope="col">Primary</th>' in html and '<th scope="row">' in html


def test_a_swap_request_waiting_for_an_answer_is_marked(
        client: FlaskClient, services: Services, admin: dict[str, Any],
        world: dict[str, Any]) -> None:
    week = world["shifts"][3]
    holder = week["primary_id"]
    other = next(p for p in world["names"] if p not in (holder, week["secondary_id"]))
    with services.ledger.acting_as(holder, reason="family visit"):
        services.oncall.request_swap(world["rotation_id"], week["week_start"], "primary", other)
    services.projections.catch_up()
    login(client, admin)

    html = client.get(f"/oncall/rotations/{world['rotation_id']}/timeline").get_data(
        as_text=True)

    primary, secondary = cells(row(html, week["week_start"]))
    names = world["names"]
    assert (f'<span class="moved asked">Swap requested: {names[holder]} asks '
            f'{names[other]}') in primary
    assert names[holder] in primary and "moved" not in secondary


def test_the_current_week_is_highlighted_and_the_weeks_page(
        client: FlaskClient, admin: dict[str, Any], world: dict[str, Any]) -> None:
    login(client, admin)
    path = f"/oncall/rotations/{world['rotation_id']}/timeline"

    html = client.get(path).get_data(as_text=True)
    later = client.get(f"{path}?week=2026-W18").get_data(as_text=True)

    first = world["shifts"][0]  # the clock: Monday 2026-03-02 09:00 UTC
    current = row(html, first["week_start"])
    assert 'class="current" aria-current="date"' in current and "now</span>" in current
    assert html.count('aria-current="date"') == 1
    assert "Weeks 2026-W09 to 2026-W16" in html
    assert f'href="{path}?week=2026-W01"' in html and f'href="{path}?week=2026-W17"' in html
    assert "Nothing planned in these weeks." in later and 'id="week-' not in later
    from_w11 = client.get(f"{path}?week=2026-W11").get_data(as_text=True)
    # the shift that started on 2026-03-02 runs into W11 but belongs to the page before
    assert re.findall(r'<tr id="week-([\d-]+)"', from_w11) == [
        s["week_start"] for s in world["shifts"][1:]]
    assert client.get(f"{path}?week=2026-W99").status_code == 422


def test_the_timeline_query_is_bounded_to_the_weeks_shown(
        services: Services, world: dict[str, Any]) -> None:
    swapped = world["swapped"]
    start = datetime.fromisoformat(swapped["starts_at"])

    rows = q.timeline(services.engine, world["rotation_id"], start,
                      start + timedelta(hours=1))

    assert [r["week_start"] for r in rows] == [swapped["week_start"]]
    assert list(rows[0]["moves"]) == ["secondary"]
    assert rows[0]["moves"]["secondary"]["cause"] == "swap"
    assert q.timeline(services.engine, world["rotation_id"],
                      datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC)) == []


def test_the_rotation_and_schedule_pages_link_the_timeline(client: FlaskClient, admin: dict[str, Any],
                                              world: dict[str, Any]) -> None:
    login(client, admin)

    for page in (f"/oncall/rotations/{world['rotation_id']}", "/oncall/"):
        html = client.get(page).get_data(as_text=True)
        assert f'href="/oncall/rotations/{world["rotation_id"]}/timeline"' in html, page
