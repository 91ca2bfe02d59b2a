"""Messages for people: the sentences pages show instead of library and rule wording.

- ``rule_message(code, message)``: a refusal by a rule or a role (``domain/errors.py`` codes,
  the ``code=`` of every ``DomainError``), from the catalogue ``RULES``; a code not in it shows
  the rule's own message as a sentence.
- ``field_errors(schema, errors)``: marshmallow's messages ("Missing data for required field.",
  "Length must be between 2 and 100.") rewritten per field, from the field's type and
  validators ("Enter a title.", "Add at least two people to the roster.").
- ``words(code)``: a status or kind code as words (``in_progress`` → "In progress").
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import fields, validate

from app.schemas import Schema

RULES: dict[str, str] = {
    "read_only_role": "Your role is read-only (auditor): you can look at everything but not "
                      "change anything.",
    "role_required": "Your role does not allow this.",
    "forbidden": "You may not do this.",
    "as_of_read_only": "You are looking at the ledger as it stood in the past; go back to now "
                       "to change anything.",
    "not_found": "That record does not exist (it may have been typed wrongly).",
    "invalid_input": "Some fields need attention; see the messages next to them.",
    "concurrent_update": "Someone else changed this at the same moment. Nothing was saved; "
                         "try again.",
    "busy": "The service is busy. Try again in a moment.",
    "as_of_busy": "Too many past views are being built right now. Try again in a moment.",
    "requester_cannot_vote": "You requested this change, so you cannot vote on it.",
    "self_approval": "You requested this change, so you cannot approve it yourself.",
    "not_requester": "Only the person who requested the change can do this.",
    "not_a_member": "Only members of this board can do this.",
    "not_chair": "Only the chair of this board can do this.",
    "not_present": "Mark yourself present at the meeting first.",
    "already_present": "You are already marked present.",
    "meeting_closed": "This meeting is closed; nothing more can be recorded in it.",
    "meeting_not_open": "The meeting has not been opened yet.",
    "meeting_not_scheduled": "The meeting has already started or ended.",
    "already_decided": "This item has already been decided.",
    "already_on_agenda": "This change is already on the agenda.",
    "not_on_agenda": "This change is not on the meeting's agenda.",
    "quorum_not_met": "The meeting does not have quorum yet.",
    "awaiting_casting_vote": "The vote is tied: the chair must cast the deciding vote first.",
    "casting_vote_not_needed": "The vote is not tied, so no deciding vote is needed.",
    "proxy_chain": "A proxy cannot be passed on: the holder already holds someone's vote.",
    "proxy_to_self": "You cannot give your proxy to yourself.",
    "proxy_already_given": "You have already given your proxy for this meeting.",
    "grantor_present": "The person who gave the proxy is present, so they vote themselves.",
    "board_required": "Choose the board that must approve this emergency change.",
    "unknown_board": "Choose a board from the list.",
    "no_board": "There is no board to send this change to yet; an administrator must create "
                "one first.",
    "other_board": "This change belongs to another board.",
    "freeze_window": "The planned window falls inside a change freeze.",
    "invalid_planned_window": "The planned window must end after it starts.",
    "standard_change": "A standard change is pre-approved and does not go to a board.",
    "not_emergency": "Only an emergency change can be approved this way.",
    "already_approved": "You have already approved this change.",
    "change_request_not_decidable": "This change request can no longer be decided.",
    "change_request_not_withdrawable": "This change request can no longer be withdrawn.",
    "roster_too_small": "A rotation needs at least two people on its roster.",
    "primary_is_secondary": "The primary and the secondary must be different people.",
    "not_your_shift": "That shift is not yours.",
    "not_shift_holder": "Only the person on this shift can do this.",
    "not_on_roster": "That person is not on this rotation's roster.",
    "incident_resolved": "This incident is resolved; nothing more can be changed.",
    "incident_already_acknowledged": "This incident has already been acknowledged.",
    "incident_already_mitigated": "This incident has already been mitigated.",
    "review_finalised": "This review is finalised; add an addendum instead.",
    "review_cancelled": "This review was cancelled.",
    "missing_status_updates": "Some action items still need a status update before the review "
                              "can be finalised.",
    "action_item_completed": "This action item is already completed.",
    "due_beyond_priority_window": "The due date is later than this priority allows.",
    "reason_required": "Give a reason.",
    "blocked_reason_required": "Say what blocks this item.",
    "skip_reason_required": "Say why this step is skipped.",
    "abort_reason_required": "Say why the rehearsal is aborted.",
    "hand_over_reason_required": "Say why the hand-over moves.",
    "decision_against_recommendation_needs_reason": "A decision against the recommendation "
                                                    "needs a reason.",
    "rehearsal_closed": "This rehearsal is closed.",
    "step_out_of_order": "Steps run in order: finish the previous step first.",
    "go_no_go_not_evaluated": "Record the Go/No-Go evaluation first.",
    "self_lockout": "You cannot remove your own administrator role or deactivate yourself.",
}

WORDS: dict[str, str] = {
    "no_go": "No-Go", "go": "Go", "go_no_go": "Go/No-Go", "p1": "P1", "p2": "P2", "p3": "P3",
    "p4": "P4", "ccb": "CCB", "oncall": "On-call", "on_call": "On-call", "sla": "SLA",
    "api": "API", "csv": "CSV", "json": "JSON", "pdf": "PDF", "sev1": "SEV1", "sev2": "SEV2",
    "sev3": "SEV3", "sev4": "SEV4",
}

NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
           8: "eight", 9: "nine", 10: "ten"}

LABELS: dict[str, str] = {
    "board_id": "board", "source_id": "source record", "owner_id": "owner",
    "person_id": "person", "chair_id": "chair", "holder_id": "proxy holder",
    "handover_time": "hand-over time", "handover_weekday": "hand-over weekday",
    "meeting_id": "meeting", "incident_id": "incident", "change_request_id": "change request",
    "as_of": "moment", "from": "from date", "to": "to date", "first": "first checkpoint", "second": "second checkpoint",
    "systems": "systems", "roster": "roster", "members": "members", "timezone": "time zone",
}
LIST_NOUNS: dict[str, tuple[str, str]] = {
    "roster": ("person", "people"), "members": ("person", "people"),
    "attendees": ("person", "people"), "systems": ("system", "systems"),
}
HHMM_HINT = "Enter a time as HH:MM, e.g. 09:30."


_WORDS_SEEN: dict[str, str] = {}
"""``words`` of each code met so far (codes are few and pages show them hundreds of times)."""


def words(code: Any) -> str:
    """A code as words: ``in_progress`` → "In progress", ``no_go`` → "No-Go"; None → "—"."""
    if code is None or code == "":
        return "—"
    text = str(code)
    known = _WORDS_SEEN.get(text)
    if known is None:
        if len(_WORDS_SEEN) >= 4096:
            _WORDS_SEEN.clear()
        known = _WORDS_SEEN[text] = _words(text)
    return known


def _words(text: str) -> str:
    key = text.lower()
    if key in WORDS:
        return WORDS[key]
    if not re.fullmatch(r"[a-z0-9_\-]+", text):
        return text
    parts = [WORDS.get(part, part) for part in re.split(r"[_\-]", text) if part]
    sentence = " ".join(parts)
    return sentence[:1].upper() + sentence[1:]


def sentence(text: str) -> str:
    """``text`` starting with a capital and ending with a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


ADMIN_ONLY = "Only an administrator can do this."


def rule_message(code: str, message: str | None = None,
                 details: dict[str, Any] | None = None) -> str:
    """The sentence for a refusal with this rule code (the rule's own message otherwise)."""
    if code == "role_required" and list((details or {}).get("required", ())) == ["admin"]:
        return ADMIN_ONLY
    if code == "not_found" and message:
        kind = re.match(r"no ([A-Za-z ]+?) with id ", message)
        if kind:  # "no ChangeRequest with id …" → the kind, as people say it
            noun = re.sub(r"(?<!^)(?=[A-Z])", " ", kind.group(1)).lower()
            return f"There is no {noun} with this id (it may have been typed wrongly)."
    if code in RULES:
        return RULES[code]
    return sentence(message or "This was refused.")


def label(name: str) -> str:
    """A field's name as people say it: ``board_id`` → "board"."""
    if name in LABELS:
        return LABELS[name]
    name = re.sub(r"_ids?$", "", name)
    return name.replace("_", " ")


def field_label(name: Any) -> str:
    """A field's name as a label: ``board_id`` → "Board", ``to`` → "To date"."""
    text = label(str(name))
    return text[:1].upper() + text[1:]


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _count(n: int) -> str:
    return NUMBERS.get(n, str(n))


def field_errors(schema: Schema | None, errors: Any) -> Any:
    """``errors`` (marshmallow's per-field messages) with each message rewritten for people."""
    if not isinstance(errors, dict):
        return errors
    out: dict[str, Any] = {}
    for name, messages in errors.items():
        field = schema.fields.get(name) if schema is not None and isinstance(name, str) else None
        if isinstance(field, fields.Nested) and isinstance(messages, dict):
            out[name] = field_errors(field.schema, messages)
        elif isinstance(messages, list):
            out[name] = [field_message(str(name), field, str(m)) if isinstance(m, str) else m
                         for m in messages]
        elif isinstance(messages, dict):  # a list field's per-item messages
            inner = field.inner if isinstance(field, fields.List) else None
            item = LIST_NOUNS.get(str(name), (label(str(name)),))[0]
            out[name] = {k: ([field_message(item, inner, str(m)) for m in v]
                             if isinstance(v, list) else v) for k, v in messages.items()}
        else:
            out[name] = messages
    return out


def _validators(field: fields.Field | None, kind: type) -> list[Any]:
    return [v for v in getattr(field, "validators", []) if isinstance(v, kind)]


def field_message(name: str, field: fields.Field | None, message: str) -> str:
    """One marshmallow message about field ``name`` as a sentence for a person."""
    if name == "_schema":
        return sentence(message)
    noun = label(name)
    is_list = isinstance(field, fields.List) or name in LIST_NOUNS
    choice = isinstance(field, (fields.UUID, fields.Boolean)) or bool(
        _validators(field, validate.OneOf))
    if message in ("Missing data for required field.", "Field may not be null."):
        if is_list:
            one, _ = LIST_NOUNS.get(name, ("entry", "entries"))
            return f"Add at least one {one} to the {noun}."
        if isinstance(field, (fields.DateTime, fields.Date)):
            return f"Enter the {noun}."
        return f"{'Choose' if choice else 'Enter'} {_article(noun)} {noun}."
    length = re.fullmatch(r"(?:Length must be between (\d+) and (\d+)|Shorter than minimum "
                          r"length (\d+)|Longer than maximum length (\d+)|Length must be (\d+))\.",
                          message)
    if length:
        low = int(length.group(1) or length.group(3) or 0) or None
        high = int(length.group(2) or length.group(4) or 0) or None
        too_long = length.group(4) is not None
        if is_list:
            one, many = LIST_NOUNS.get(name, ("entry", "entries"))
            if too_long:
                return f"The {noun} can have at most {_count(high or 0)} {many}."
            return f"Add at least {_count(low or 1)} {one if low == 1 else many} to the {noun}."
        if too_long:
            return f"Keep the {noun} to {high} characters or fewer."
        if low == 1:
            return f"Enter {_article(noun)} {noun}."
        if low and high:
            return f"Enter {low} to {high} characters for the {noun}."
        return f"Enter at least {low} characters for the {noun}."
    if message == "String does not match expected pattern." or any(
            message == (v.error or "").format(input="", regex=v.regex.pattern)
            for v in _validators(field, validate.Regexp)):
        if any("[0-5]" in v.regex.pattern and ":" in v.regex.pattern
               for v in _validators(field, validate.Regexp)) or "time" in name:
            return HHMM_HINT
        return f"Enter the {noun} in the expected form ({message.rstrip('.')})." if \
            message != "String does not match expected pattern." else \
            f"Enter the {noun} in the expected form."
    if message == "Not a valid UUID.":
        return f"Choose {_article(noun)} {noun} from the list."
    if message == "Not a valid integer." or message == "Not a valid number.":
        return f"Enter a whole number for the {noun}."
    if message in ("Not a valid datetime.", "Not a valid aware datetime."):
        return f"Enter the {noun} as a date and time, e.g. 2026-03-01 09:30."
    if message == "Not a valid date.":
        return f"Enter the {noun} as a date, e.g. 2026-03-01."
    if message == "Not a valid boolean.":
        return f"Choose yes or no for the {noun}."
    if message == "Not a valid email address.":
        return "Enter an email address, e.g. name@example.org."
    if message == "Not a valid URL.":
        return "Enter a web address starting with https://."
    if message.startswith("Must be one of:"):
        options = [o.strip() for o in message[len("Must be one of:"):].rstrip(".").split(",")]
        return f"Choose one of: {', '.join(words(o) for o in options if o)}."
    bounds = re.fullmatch(r"Must be (greater than or equal to|less than or equal to|"
                          r"greater than|less than) (\S+?)(?: and (less than or equal to|less "
                          r"than) (\S+?))?\.", message)
    if bounds:
        if bounds.group(3):
            return f"Enter a number from {bounds.group(2)} to {bounds.group(4)} for the {noun}."
        relation = {"greater than or equal to": "at least", "less than or equal to": "at most",
                    "greater than": "more than", "less than": "less than"}[bounds.group(1)]
        return f"Enter a number {relation} {bounds.group(2)} for the {noun}."
    if message == "Not a valid list.":
        return f"Choose one or more {noun}."
    if message == "Not a valid string.":
        return f"Enter the {noun} as text."
    return sentence(message)


EVENTS: dict[str, str] = {
    "Submitted": "Change request submitted", "Registered": "Person registered",
    "ItemAdded": "Item added to the agenda", "Opened": "Meeting opened",
    "Closed": "Meeting closed", "VoteCast": "Vote cast", "Decided": "Decided",
    "ProxyGiven": "Proxy given", "ProxyRevoked": "Proxy revoked", "Arrived": "Arrived",
    "Left": "Left", "Withdrawn": "Withdrawn", "Created": "Created", "Raised": "Raised",
    "StatusUpdated": "Status updated", "Reassigned": "Reassigned", "DueChanged": "Due date changed",
}
"""Event class names → sentences (anything else: its words, ``ChangeApproved`` → "Change
approved")."""


def event_words(event_type: Any) -> str:
    """An event's type as a sentence: ``ItemAdded`` → "Item added to the agenda"."""
    name = str(event_type or "").rsplit(".", 1)[-1]
    if name in EVENTS:
        return EVENTS[name]
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()
    return spaced[:1].upper() + spaced[1:] if spaced else "—"
