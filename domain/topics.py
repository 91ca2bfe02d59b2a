"""Topics of stored events: the module paths of earlier releases still resolve to today's classes.

Every stored event names its class by topic (``module:QualName``). Release 0.1 kept the domain in
flat modules (``domain.meetings:Meeting.Opened``); the classes now live in one package per area.
Each old module is registered as an alias of its new module, so the library's ``resolve_topic``
loads old events, and :func:`topics_of` lists every topic a class has been stored under, for
queries that filter the log by topic (projections, the action item timeline).
"""

from __future__ import annotations

import importlib
from functools import cache

from eventsourcing.utils import get_topic, register_topic

LEGACY_MODULES: dict[str, str] = {
    "domain.people": "domain.people.person",
    "domain.changes": "domain.changes.change_request",
    "domain.boards": "domain.ccb.board",
    "domain.meetings": "domain.ccb.meeting",
    "domain.calendar": "domain.ccb.freeze",
    "domain.incidents": "domain.oncall.incident",
    "domain.rotations": "domain.oncall.rotation",
    "domain.oncall_plan": "domain.oncall.planner",
    "domain.oncall_time": "domain.oncall.handover",
    "domain.runbooks": "domain.oncall.runbook",
    "domain.runbook_steps": "domain.oncall.runbook_steps",
    "domain.rehearsals": "domain.rehearsals.rehearsal",
    "domain.reviews": "domain.reviews.review",
    "domain.actions": "domain.reviews.action_item",
    "domain.audit": "domain.audit.keys",
    "domain.merkle": "domain.audit.merkle",
}
"""Module of release 0.1 → module of the class today."""

MODULES_SINCE_0_1: tuple[str, ...] = ("domain.programme.programme",)
"""Event modules added after release 0.1 (no old path): registered under their own name."""

_NEW_TO_OLD: dict[str, list[str]] = {}
for _old, _new in LEGACY_MODULES.items():
    _NEW_TO_OLD.setdefault(_new, []).append(_old)


def register_legacy_topics() -> None:
    """Register every old module path as an alias of its new module (idempotent).

    Each new module is registered under its own name too: an old path such as
    ``domain.people`` is a prefix of new ones (``domain.people.person``), and the library
    resolves an unknown module through its longest registered prefix, which would otherwise
    rewrite today's topics into paths that do not exist.
    """
    for old, new in LEGACY_MODULES.items():
        module = importlib.import_module(new)
        register_topic(new, module)
        register_topic(old, module)
    for new in MODULES_SINCE_0_1:
        register_topic(new, importlib.import_module(new))


@cache
def topics_of(cls: type) -> tuple[str, ...]:
    """Every topic events of ``cls`` are stored under: today's first, then earlier releases'."""
    topic = get_topic(cls)
    module, _, qualname = topic.partition(":")
    return (topic, *(f"{old}:{qualname}" for old in _NEW_TO_OLD.get(module, ())))

