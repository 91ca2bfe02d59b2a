"""The change calendar's conflicts: the scan that stops at the first later change starting
after a window ends finds exactly the overlaps of every pair of windows, in the same order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.ccb.queries import _conflicts

ORIGIN = datetime(2026, 3, 1, tzinfo=timezone.utc)

windows = st.lists(st.tuples(st.integers(0, 200), st.integers(1, 60),
                             st.sets(st.sampled_from(("db", "api", "web")), max_size=2)),
                   max_size=25)


def every_pair(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The overlaps by comparing every pair (what the scan must equal)."""
    found = []
    for i, a in enumerate(changes):
        for b in changes[i + 1:]:
            shared = sorted(set(a["systems"]) & set(b["systems"]))
            if shared and a["planned_start"] < b["planned_end"] \
                    and b["planned_start"] < a["planned_end"]:
                found.append({"kind": "overlap", "change_request_ids": [a["id"], b["id"]],
                              "systems": shared})
    return found


@given(windows)
def test_the_scan_finds_every_overlapping_pair_in_order(drawn: list[Any]) -> None:
    changes = sorted(({"id": f"c{i:02}", "planned_start": ORIGIN + timedelta(minutes=start),
                       "planned_end": ORIGIN + timedelta(minutes=start + length),
                       "systems": sorted(systems), "category": "normal"}
                      for i, (start, length, systems) in enumerate(drawn)),
                     key=lambda c: (c["planned_start"], c["id"]))

    assert _conflicts(changes, []) == every_pair(changes)


def test_a_window_ending_as_the_next_starts_does_not_overlap_it() -> None:
    a = {"id": "a", "planned_start": ORIGIN, "planned_end": ORIGIN + timedelta(hours=1),
         "systems": ["db"], "category": "normal"}
    b = {**a, "id": "b", "planned_start": a["planned_end"],
         "planned_end": a["planned_end"] + timedelta(hours=1)}
    c = {**a, "id": "c", "planned_start": ORIGIN + timedelta(minutes=30),
         "planned_end": ORIGIN + timedelta(minutes=90)}

    assert _conflicts([a, c, b], []) == [
        {"kind": "overlap", "change_request_ids": ["a", "c"], "systems": ["db"]},
        {"kind": "overlap", "change_request_ids": ["c", "b"], "systems": ["db"]}]
