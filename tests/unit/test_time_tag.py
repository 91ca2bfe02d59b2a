"""``time_tag`` (every ``dt(value)`` of the pages) slices the ISO text instead of formatting
the time again: the same HTML as the ``local_dt`` it stands for, in every zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask, g
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from web.timezones import local_dt, time_tag

ZONES = [None, "UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "Australia/Lord_Howe",
         "Pacific/Chatham", "Not/AZone"]
offsets = st.one_of(st.none(), st.just(timezone.utc), st.builds(
    lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60, 23 * 60)))
moments = st.builds(lambda d, tz: d.replace(tzinfo=tz),
                    st.datetimes(min_value=datetime(2, 1, 2), max_value=datetime(9998, 12, 30)),
                    offsets)

app = Flask(__name__)


def spelled_out(value: datetime | None) -> Markup:
    """What ``time_tag`` wrote before: the ISO value and ``local_dt``, each escaped."""
    if not value:
        return Markup("")
    return Markup(f'<time datetime="{escape(value.isoformat())}">{escape(local_dt(value))}</time>')


@given(st.lists(moments, max_size=5), st.sampled_from(ZONES))
def test_a_time_tag_is_the_local_time_spelled_out(values: list[datetime], zone: str | None,
                                                  ) -> None:
    with app.test_request_context("/"):
        g.user = {"time_zone": zone}
        for value in values:
            assert time_tag(value) == spelled_out(value)
        g.user = {"time_zone": "Europe/Berlin"}  # the person's zone changed mid-request
        for value in values:
            assert time_tag(value) == spelled_out(value)


def test_no_value_and_no_request() -> None:
    assert time_tag(None) == Markup("")
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    assert time_tag(moment) == spelled_out(moment) == Markup(
        '<time datetime="2026-03-02T09:00:00+00:00">2026-03-02 09:00 UTC</time>')
