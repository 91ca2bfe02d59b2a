"""Each person's time zone on the pages: times are shown in it (with the zone named) and times
typed into a ``datetime-local`` input are read in it. Everything stored, and every JSON answer,
stays in UTC; the zone is the person's profile setting (``Person.TimeZoneSet``, UTC until they
choose one).

- ``{{ value|local_dt }}`` — ``2026-03-02 10:00 CET`` in the signed-in person's zone;
- ``{{ value|local_input }}`` — the value for a ``datetime-local`` input in that zone;
- ``{{ user_tz }}`` — the zone's name, for labels (``Start (Europe/Berlin)``);
- ``localise(schema, sent)`` — before a form schema loads, a ``datetime-local`` value (no
  offset) of one of its date-time fields is given the person's zone, so it loads as that moment.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import has_request_context
from flask.globals import _cv_app  # the app context, without a proxy per time tag
from markupsafe import Markup, escape
from marshmallow import fields

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask import Flask
    from marshmallow import Schema

LOCAL_INPUT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
"""What a browser's ``datetime-local`` input sends: a date and time with no offset."""


def zone_name() -> str:
    """The signed-in person's IANA time zone (UTC for nobody, or until they choose one)."""
    return _request_zone()[1]


def user_zone() -> tzinfo:
    """The signed-in person's time zone (looked up once per request and zone)."""
    return _request_zone()[0]


def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # a zone this machine's tzdata lacks
        return timezone.utc


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def local_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``value`` in the person's zone, followed by the zone's abbreviation (``CET``, ``UTC``)."""
    if value is None:
        return ""
    local = _aware(value).astimezone(user_zone())
    return f"{local.strftime(fmt)} {local.tzname() or zone_name()}"


def local_input(value: datetime | None) -> str:
    """``value`` as a ``datetime-local`` input's value in the person's zone."""
    if value is None:
        return ""
    return _aware(value).astimezone(user_zone()).strftime("%Y-%m-%dT%H:%M")


def localise(schema: Schema, sent: Mapping[str, Any]) -> dict[str, Any]:
    """``sent`` with each date-time field typed without an offset moved to UTC from the
    person's zone (``2026-03-02T10:00`` in Europe/Berlin → ``2026-03-02T09:00:00+00:00``)."""
    out = dict(sent)
    zone = user_zone()
    if zone is timezone.utc:
        return out
    for name, field in schema.fields.items():
        key = field.data_key or name
        value = out.get(key)
        if isinstance(field, fields.DateTime) and isinstance(value, str) \
                and LOCAL_INPUT.fullmatch(value.strip()):
            moment = datetime.fromisoformat(value.strip()).replace(tzinfo=zone)
            out[key] = moment.astimezone(timezone.utc).isoformat()
    return out


def time_tag(value: datetime | None) -> Markup:
    """``<time datetime="…UTC…">local time and zone</time>`` (empty for no value): what the
    templates' ``dt(value)`` shows (macros.html); a function, not a macro, as a list page shows
    a few hundred of them. The same text as ``local_dt`` (the ISO text sliced rather than
    formatted again: ``strftime`` alone was a quarter of a list page's time tags)."""
    if not value:
        return Markup("")
    zone, name = _request_zone()
    iso = value.isoformat()
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    local = aware if zone is timezone.utc and aware.tzinfo is timezone.utc else \
        aware.astimezone(zone)
    if local.year < 1000:  # ISO pads the year to four digits, strftime does not
        return Markup(f'<time datetime="{iso}">{escape(local_dt(value))}</time>')
    shown = iso if local is value else local.isoformat()
    abbreviation = local.tzname() or name
    label = _LABELS.get(abbreviation)
    if label is None:
        label = _LABELS[abbreviation] = str(escape(abbreviation))
    return Markup(f'<time datetime="{iso}">{shown[:10]} {shown[11:16]} {label}</time>')


_LABELS: dict[str, str] = {}
"""A zone's abbreviation as HTML text (abbreviations are few)."""


def _request_zone() -> tuple[tzinfo, str]:
    """The signed-in person's zone and its name, kept on ``g`` once per request and zone (read
    without a context proxy: a list page asks a few hundred times)."""
    ctx = _cv_app.get(None)
    if ctx is None or not has_request_context():
        return timezone.utc, "UTC"
    known_g = ctx.g
    user = known_g.get("user")
    name = (user or {}).get("time_zone") or "UTC"
    known = known_g.get("user_zone")
    if known is None or known[0] != name:
        known = known_g.user_zone = (name, _zone(name))
    return known[1], name


def init_app(app: Flask) -> None:
    """Register the filters, ``time_tag`` and ``user_tz`` for every template."""
    app.jinja_env.globals["time_tag"] = time_tag
    app.add_template_filter(local_dt, "local_dt")
    app.add_template_filter(local_input, "local_input")
    app.context_processor(lambda: {"user_tz": zone_name()})
