"""Event authentication: an HMAC-SHA256 tag over each stored event, added when it is written.

The tag travels inside the event's stored JSON state as its last member, ``"_auth":"<key id>:<hex
tag>"``, so the row keeps its shape and every reader (and ``json.loads``) still works; the tag is
stripped before the event is decoded. It covers the originator id, version, topic and the SHA-256
of the state without the tag, under an instance key kept in a file beside the checkpoint signing
key (never in the database). A row written straight into the events table, even a copy of a real
row with a new version, has no valid tag. See docs/AUDIT.md ("Authenticated events").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from functools import lru_cache
from typing import Any
from uuid import UUID

_SUFFIX = re.compile(rb',"_auth":"([0-9a-f]{16}):([0-9a-f]{64})"\}\Z')
_SUFFIX_LENGTH = 93
"""Bytes of ``,"_auth":"<16 hex>:<64 hex>"}``: the tag is looked for there only."""


@lru_cache(maxsize=64)
def key_id_of(key: bytes) -> str:
    """Short public id of an event key (it reveals nothing about the key)."""
    return hashlib.sha256(b"govledger event key id\x00" + key).hexdigest()[:16]


def message(originator_id: Any, version: int, topic: str, state: bytes) -> bytes:
    """The canonical bytes a tag covers (``state`` without its tag): the canonical JSON (sorted
    keys, no whitespace, ASCII) of originator id, version, topic and the state's SHA-256."""
    oid = str(originator_id).lower()
    oid = f'"{oid}"' if isinstance(originator_id, UUID) or plain(oid) else json.dumps(oid)
    digest = hashlib.sha256(state).hexdigest()
    return (f'{{"originator_id":{oid},"state_sha256":"{digest}",'
            f'"topic":{topic_json(topic)},"version":{int(version)}}}').encode()


def plain(text: str) -> bool:
    """Whether JSON writes ``text`` as it is, between quotes (printable ASCII, no escapes)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


@lru_cache(maxsize=4096)
def topic_json(topic: str) -> str:
    """A topic as a JSON string (topics repeat: cached)."""
    return json.dumps(topic)


def tag(key: bytes, originator_id: Any, version: int, topic: str, state: bytes) -> str:
    return hmac.digest(key, message(originator_id, version, topic, state), "sha256").hex()


def add_tag(key: bytes, originator_id: Any, version: int, topic: str, state: bytes) -> bytes:
    """``state`` with its tag as the last JSON member (unchanged if it is not a JSON object)."""
    if not (state.startswith(b"{") and state.endswith(b"}") and len(state) > 2):
        return state
    value = tag(key, originator_id, version, topic, state)
    return state[:-1] + f',"_auth":"{key_id_of(key)}:{value}"}}'.encode()


def split(state: bytes) -> tuple[bytes, str | None, str | None]:
    """``(state without tag, key id, tag)``; key id and tag are None for an untagged event."""
    found = _SUFFIX.search(state, max(0, len(state) - _SUFFIX_LENGTH))
    if found is None:
        return state, None, None
    return state[:found.start()] + b"}", found.group(1).decode(), found.group(2).decode()


def untagged(state: bytes) -> bytes:
    """The state without its tag (``split(state)[0]``, without parsing the tag: decoding needs
    only this). The tag has a fixed length, so it can only start at one place."""
    start = len(state) - _SUFFIX_LENGTH
    if start < 0 or _SUFFIX.match(state, start) is None:
        return state
    return state[:start] + b"}"


def check(keys: dict[str, bytes], originator_id: Any, version: int, topic: str,
          state: bytes) -> str | None:
    """None when the event authenticates; otherwise why not (``untagged`` when it has no tag)."""
    base, key_id, value = split(state)
    if key_id is None or value is None:
        return "untagged"
    key = keys.get(key_id)
    if key is None:
        return f"tagged with unknown event key {key_id}"
    if not hmac.compare_digest(tag(key, originator_id, version, topic, base), value):
        return "its tag does not match its id, version, topic and content"
    return None
