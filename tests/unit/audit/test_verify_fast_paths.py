"""The verifier's fast paths give exactly what the plain encodings give (sealed leaves made
either way must match)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from app.audit.service import (
    canonical_id,
    fast_leaf,
    iso,
    leaf_of,
    leaf_record,
    recorded_time,
)
from domain.audit import event_auth

moments = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 1, 1),
                       timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=2)),
                                                  timezone(timedelta(hours=-5, minutes=-30))]))


def plain_message(originator_id: object, version: int, topic: str, state: bytes) -> bytes:
    """The tag's message as first written: json.dumps of the four fields, sorted."""
    return json.dumps({"originator_id": str(originator_id).lower(), "version": int(version),
                       "topic": topic, "state_sha256": hashlib.sha256(state).hexdigest()},
                      sort_keys=True, separators=(",", ":")).encode()


@given(moments, st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
def test_the_time_read_from_the_head_of_the_state_is_the_decoded_one(
        moment: datetime, rest: dict[str, int]) -> None:
    """The ledger's transcoder writes ``timestamp`` first; reading it there (without decoding
    the state) must give the time a full decode gives, or leaves would differ."""
    state = json.dumps({"timestamp": {"_type_": "datetime_iso", "_data_": moment.isoformat()},
                        **rest}, separators=(",", ":")).encode()

    assert recorded_time(state) == iso(datetime.fromisoformat(
        json.loads(state)["timestamp"]["_data_"]))


def test_a_repeated_timestamp_key_is_decoded_in_full() -> None:
    state = (b'{"timestamp":{"_type_":"datetime_iso","_data_":"2020-01-01T00:00:00+00:00"},'
             b'"timestamp":{"_type_":"datetime_iso","_data_":"2021-01-01T00:00:00+00:00"}}')

    assert recorded_time(state) == "2021-01-01T00:00:00.000000+00:00"  # json.loads: the last


@given(st.uuids(), st.integers(1, 10**6), st.integers(1, 10**9),
       st.sampled_from(["domain.ccb.meeting:Meeting.VoteCast", "weird \"topic\" \u00e9\n"]),
       st.binary(max_size=50), moments)
def test_the_leaf_written_directly_is_the_canonical_one(
        oid: UUID, version: int, position: int, topic: str, state: bytes,
        moment: datetime) -> None:
    """``fast_leaf`` writes the canonical JSON by hand; it must hash the same bytes."""
    at = iso(moment)
    expected = leaf_of(leaf_record(position, oid, version, topic, state, at))

    assert fast_leaf(position, str(oid), version, topic, hashlib.sha256(state).hexdigest(),
                     at) == expected
    assert fast_leaf(position, str(oid), version, topic, hashlib.sha256(state).hexdigest(),
                     "undecodable") == leaf_of(leaf_record(position, oid, version, topic,
                                                           state, "undecodable"))


@given(st.one_of(st.uuids(), st.text(max_size=40)), st.integers(0, 10**6),
       st.text(max_size=40), st.binary(max_size=40))
def test_the_tag_message_is_the_plain_json_one(originator_id: object, version: int,
                                               topic: str, state: bytes) -> None:
    """Tags written before the message was formatted by hand must still check."""
    assert event_auth.message(originator_id, version, topic, state) == plain_message(
        originator_id, version, topic, state)


@given(st.uuids())
def test_a_stored_id_reads_as_the_uuid_string(oid: UUID) -> None:
    assert canonical_id(oid.hex) == str(oid) == canonical_id(oid)
    assert canonical_id(oid.hex.upper()) == str(oid)
