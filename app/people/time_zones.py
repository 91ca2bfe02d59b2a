"""IANA time zone names: what a person may choose for their pages (``Person.TimeZoneSet``)."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from marshmallow import ValidationError

from domain.errors import InvalidInput

MESSAGE = "{name} is not an IANA time zone name such as Europe/Berlin or America/New_York"


@lru_cache(maxsize=1)
def available_time_zones() -> frozenset[str]:
    """Every IANA time zone name this machine's tzdata knows, and UTC."""
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def valid_time_zone(name: str) -> str:
    """``name`` without surrounding spaces when it is a known zone; otherwise ``InvalidInput``
    naming the field ``time_zone`` (the service's check, whoever calls it)."""
    name = (name or "").strip()
    if name and name in available_time_zones():
        return name
    raise InvalidInput.field("time_zone", MESSAGE.format(name=name or "an empty name"))


def check_time_zone(name: str) -> None:
    """A marshmallow validator: the field's value is a known zone."""
    if name not in available_time_zones():
        raise ValidationError(MESSAGE.format(name=name or "an empty name"))
