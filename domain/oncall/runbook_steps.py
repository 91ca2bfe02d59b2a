"""Ordered playbook steps extracted from a runbook's Markdown (pure functions, no I/O).

A step is a top-level numbered list item (``1. ...`` or ``1) ...``). When the runbook has
headings named like a procedure ("Steps", "Procedure", "Playbook", "Deployment steps" ...), only
the items under those headings count; otherwise every top-level numbered item does, prefixed with
its section heading when the items come from more than one section. Items under a heading of
criteria ("When to roll back", "Go/No-Go criteria", "Triggers") are never steps. A duration written in the
item, such as "(10 min)", "(~5 minutes)" or "(1 h)", becomes the planned duration and is removed
from the name; otherwise the step gets ``default_minutes``.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_STEP_MINUTES = 15
MAX_STEPS = 100
MAX_NAME = 200
MAX_MINUTES = 1440

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^ ?(\d{1,9})[.)](?:\s+(.*))?$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_PROCEDURE = re.compile(r"\b(steps?|procedures?|playbook|runsheet|checklist)\b", re.IGNORECASE)
_CRITERIA = re.compile(r"\b(when|criteria|criterion|triggers?|conditions?|symptoms?|signs?|"
                       r"thresholds?|go/no-go)\b", re.IGNORECASE)
_DURATION = re.compile(
    r"\s*\(\s*(?:~|about\s+|approx\.?\s+|approximately\s+)?(\d{1,4})\s*"
    r"(m|min|mins|minutes?|h|hr|hrs|hours?)\s*\)", re.IGNORECASE)


def parse_duration(text: str, default_minutes: int = DEFAULT_STEP_MINUTES) -> tuple[str, int]:
    """Split "Run the migration (10 min)" into ("Run the migration", 10); the last duration in
    parentheses wins, clamped to 1..1440 minutes; without one, ``default_minutes``."""
    matches = list(_DURATION.finditer(text))
    if not matches:
        return text.strip(), default_minutes
    last = matches[-1]
    amount, unit = int(last.group(1)), last.group(2).lower()
    minutes = amount * 60 if unit.startswith("h") else amount
    name = (text[:last.start()] + text[last.end():]).strip()
    return name, max(1, min(MAX_MINUTES, minutes))


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_NAME:
        text = text[:MAX_NAME - 1].rstrip() + "…"
    return text


def _items(markdown: str) -> list[dict[str, Any]]:
    """Top-level numbered items with the heading path they sit under."""
    items: list[dict[str, Any]] = []
    headings: list[tuple[int, str]] = []
    fenced = False
    current: dict[str, Any] | None = None
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced, current = not fenced, None
            continue
        if fenced:
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            headings = [h for h in headings if h[0] < level] + [(level, heading.group(2))]
            current = None
            continue
        item = _ITEM.match(line)
        if item:
            current = {"text": item.group(2) or "", "headings": list(headings)}
            items.append(current)
            continue
        if not line.strip():
            continue
        if current is not None and line[:1] in (" ", "\t") and not re.match(
                r"^\s*([-*+]|\d+[.)])\s", line):
            current["text"] += " " + line.strip()
        elif not line[:1] in (" ", "\t"):
            current = None
    return items


def is_criteria_section(headings: list[tuple[int, str]]) -> bool:
    """Whether items sit under a heading of criteria rather than procedure ("When to roll
    back", "Go/No-Go criteria", "Triggers"): those are conditions, not steps to run."""
    if not headings:
        return False
    nearest = headings[-1][1]
    return bool(_CRITERIA.search(nearest)) and not _PROCEDURE.search(nearest)


def extract_steps(markdown: str, default_minutes: int = DEFAULT_STEP_MINUTES,
                  ) -> list[dict[str, Any]]:
    """The runbook's ordered steps as ``[{"name", "planned_minutes"}]`` (possibly empty)."""
    items = [i for i in _items(markdown) if i["text"].strip()]
    chosen = [i for i in items if any(_PROCEDURE.search(h) for _, h in i["headings"])]
    prefix = False
    if not chosen:
        chosen = items
        sections = {i["headings"][-1] if i["headings"] else None for i in chosen}
        prefix = len(sections) > 1
    chosen = [i for i in chosen if not is_criteria_section(i["headings"])]
    steps = []
    for item in chosen[:MAX_STEPS]:
        name, minutes = parse_duration(item["text"], default_minutes)
        if prefix and item["headings"] and item["headings"][-1][0] > 1:
            name = f"{item['headings'][-1][1]}: {name}"
        name = _clean(name)
        if name:
            steps.append({"name": name, "planned_minutes": minutes})
    return steps
