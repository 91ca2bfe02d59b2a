"""The time-zone setting on the Person aggregate, the IANA-name check, and the web helpers that
show times in the zone and read typed times in it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import Flask, g
from marshmallow import Schema

from app.people.time_zones import valid_time_zone
from app.schemas import when
from domain.errors import InvalidInput
from domain.people.person import Person
from web.timezones import local_dt, local_input, localise


def test_a_person_starts_without_a_zone_and_choosing_the_same_one_twice_records_it_once(
        ) -> None:
    p = Person(name="Pat", email="pat@example.org", function="qa")

    assert not hasattr(p, "time_zone")
    assert p.set_time_zone("Europe/Paris") is True
    assert p.set_time_zone("Europe/Paris") is False
    events = [e for e in p.collect_events() if type(e).__name__ == "TimeZoneSet"]
    assert [e.time_zone for e in events] == ["Europe/Paris"]


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"])
def test_iana_names_are_accepted(name: str) -> None:
    assert valid_time_zone(f" {name} ") == name


@pytest.mark.parametrize("name", ["", "Europe", "europe/berlin ", "GMT+25", "../UTC"])
def test_anything_else_is_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        valid_time_zone(name)
    assert "time_zone" in refused.value.details


class Window(Schema):
    start = when()
    note = when(data_key="noted_at")


def in_zone(zone: str) -> Flask:
    app = Flask(__name__)
    ctx = app.test_request_context()
    ctx.push()
    g.user = {"time_zone": zone}
    return ctx  # type: ignore[return-value]


def test_times_show_in_the_zone_with_its_abbreviation_across_a_dst_change() -> None:
    ctx = in_zone("Europe/Berlin")
    try:
        assert local_dt(datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)) == "2026-01-15 10:00 CET"
        assert local_dt(datetime(2026, 7, 15, 9, 0, tzinfo=timezone.utc)) == "2026-07-15 11:00 CEST"
        assert local_input(datetime(2026, 7, 15, 9, 0, tzinfo=timezone.utc)) == "2026-07-15T11:00"
        assert local_dt(None) == ""
    finally:
        ctx.pop()


def test_typed_times_without_an_offset_are_read_in_the_zone_and_others_left_alone() -> None:
    ctx = in_zone("America/New_York")
    try:
        sent = {"start": "2026-07-15T10:00", "noted_at": "2026-07-15T10:00:00+02:00",
                "other": "2026-07-15T10:00"}
        loaded = localise(Window(), sent)
        assert loaded == {"start": "2026-07-15T14:00:00+00:00",
                          "noted_at": "2026-07-15T10:00:00+02:00", "other": "2026-07-15T10:00"}
        assert Window().load({k: loaded[k] for k in ("start", "noted_at")})["start"] == datetime(
            2026, 7, 15, 14, 0, tzinfo=timezone.utc)
    finally:
        ctx.pop()


def test_without_a_signed_in_person_times_stay_in_utc() -> None:
    app = Flask(__name__)
    with app.test_request_context():
        assert local_dt(datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)) == "2026-01-15 09:00 UTC"
        assert localise(Window(), {"start": "2026-07-15T10:00"}) == {"start": "2026-07-15T10:00"}
