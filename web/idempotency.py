"""Idempotent requests, the web side (the store and the atomic recording live in
``app/idempotency.py``).

- The API: every write (``POST``, ``PUT`` …) may carry ``Idempotency-Key`` (1–255 visible ASCII
  characters). The first request with a key runs; its answer is stored. A repeat by the same
  person with the same method, path, query and body (JSON compared by value) gets that answer —
  same status, same body, ``Idempotent-Replayed: true`` — and appends nothing; with anything else
  it is 422 ``idempotency_key_reused``. Server errors (5xx) and transient answers (409
  ``concurrent_update``, 429) are not remembered, so a retry runs again — unless the request had
  already recorded its events, in which case a retry is told so (200, ``outcome:
  recorded_answer_lost``, the events' ids) rather than recording them twice.
- The pages: every form of a signed-in page gets a hidden ``form_token`` (added next to its CSRF
  token when the page is sent). A form sent twice with the same token and fields (a double
  click) runs once; the second answer is the first one's redirect.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import TYPE_CHECKING

from flask import Response, current_app, flash, g, jsonify, redirect, request
from marshmallow import ValidationError

from app import idempotency
from app.idempotency import Claim, KeyAlreadyRecorded, Outcome
from web.context import WRITE_METHODS, services
from web.errors import ApiError, handle

if TYPE_CHECKING:
    from flask import Flask

HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x21-\x7e]{1,255}")
FORM_FIELD = "form_token"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEPT_HEADERS = ("Content-Type", "Location")
TRANSIENT = frozenset({"concurrent_update", "too_many_requests", "busy"})
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="[^"]*">')
HEADER_DOC = {
    "in": "header", "name": HEADER, "required": False,
    "description": "Makes the write safe to retry: a repeat with the same key and the same "
                   "request gets the first answer and appends nothing; the same key with "
                   "another request is 422 `idempotency_key_reused`. Keys are per person and "
                   "kept at least 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"}}


def api_key() -> Response | None:
    """Before an API write (after the guard): answer a repeat, or hold the key for this one."""
    if request.method not in WRITE_METHODS or HEADER not in request.headers:
        return None
    key = request.headers[HEADER]
    if not KEY.fullmatch(key):
        raise ValidationError({HEADER: ["must be 1 to 255 visible ASCII characters"]})
    return begin(key, fingerprint(_body()))


def form_key() -> Response | None:
    """Before a page's form is handled: the same, keyed by the form's token and fields."""
    if (request.method != "POST" or request.path.startswith("/api/")
            or g.get("user") is None):
        return None
    token = request.form.get(FORM_FIELD, "")
    if not TOKEN.fullmatch(token):
        return None  # a form sent without our token (a script): no protection asked for
    fields = sorted((k, v) for k, values in request.form.lists()
                    if k not in ("csrf_token", FORM_FIELD) for v in values)
    sent = fingerprint(json.dumps(fields))
    return begin(f"form:{token}:{sent[:32]}", sent)


def _body() -> str:
    data = request.get_data(cache=True)
    try:
        return json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return data.hex()


def fingerprint(body: str) -> str:
    """What makes two requests the same: method, path, query and body."""
    query = sorted(request.args.items(multi=True))
    text = json.dumps([request.method, request.path, query, body])
    return hashlib.sha256(text.encode()).hexdigest()


def begin(key: str, sent: str) -> Response | None:
    """The stored answer of ``key`` (or 422 when it was used for another request), else hold it
    for this request: its first save records it with the events."""
    person = str(g.user["id"])
    found = services().idempotency.find(person, key)
    if found is not None:
        return repeat(person, key, sent, found)
    claim = Claim(person_id=person, key=key, fingerprint=sent)
    g.idempotency = claim
    g.idempotency_token = idempotency.current.set(claim)
    return None


def repeat(person: str, key: str, sent: str, found: Outcome) -> Response:
    """The answer to a repeat of a request that has recorded ``found``."""
    if found.fingerprint != sent:
        raise ApiError(422, "idempotency_key_reused",
                       f"the {HEADER} was already used for another request; use a new key for "
                       "a new request", header=HEADER)
    found = services().idempotency.wait(person, key, found)
    if found.answered:
        return replay(found)
    return lost(key, found)


def replay(found: Outcome) -> Response:
    """The first request's answer, again."""
    response = Response(found.body or "", status=found.status, headers=found.headers)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def lost(key: str, found: Outcome) -> Response:
    """The answer when the first request recorded its events but its answer was lost (the
    server stopped, or failed, after the commit)."""
    events = [{"aggregate_id": a, "version": v, "type": t} for a, v, t in found.events]
    if not request.path.startswith("/api/"):
        flash("This form was already sent, and it was recorded.")
        back = request.referrer or ""
        return redirect(back if back.startswith(request.host_url) else "/")
    response = jsonify({"idempotency_key": key, "outcome": "recorded_answer_lost",
                        "message": "this request was recorded (its events are in the ledger) "
                                   "but its answer was lost; nothing was appended again",
                        "events": events})
    response.headers["Idempotent-Replayed"] = "true"
    return response


def remember(response: Response) -> Response:
    """After a request that held a key: store its answer for repeats (or, when another request
    recorded the key first, answer as that one did)."""
    claim: Claim | None = g.pop("idempotency", None)
    if claim is None:
        return response
    store = services().idempotency
    status = response.status_code
    if status >= 500:
        if claim.events:
            try:
                store.forget(claim)
            except Exception:  # noqa: BLE001 - e.g. a full disk: a repeat waits, then is told
                current_app.logger.exception("clearing an unanswered idempotency key failed")
        return response
    if _transient(response) and not claim.events:  # recorded events: their answer stands
        return response
    page = not request.path.startswith("/api/")
    if page and not claim.events and not 300 <= status < 400:
        return response  # a form shown again with its errors: nothing to repeat
    headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
    try:
        if store.answer(claim, status, headers, response.get_data(as_text=True)):
            return response
    except Exception:  # noqa: BLE001 - the command's answer stands; a repeat runs it again
        current_app.logger.exception("storing an idempotent answer failed")
        return response
    return already_recorded(KeyAlreadyRecorded(claim.person_id, claim.key), claim)


def already_recorded(exc: KeyAlreadyRecorded, claim: Claim | None = None) -> Response:
    """Another request recorded this request's key first (this one appended nothing): answer
    as the first one did."""
    claim = claim or g.pop("idempotency", None)
    found = services().idempotency.find(exc.person_id, exc.key)
    if found is None or claim is None:  # pragma: no cover - the first one committed the row
        return _as_response(ApiError(409, "concurrent_update",
                                     "another request with the same key is being handled"))
    try:
        return repeat(exc.person_id, exc.key, claim.fingerprint, found)
    except ApiError as error:
        return _as_response(error)


def _as_response(exc: Exception) -> Response:
    return current_app.make_response(handle(exc))


def _transient(response: Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 409 or not response.is_json:
        return False
    code = ((response.get_json(silent=True) or {}).get("error") or {}).get("code")
    return code in TRANSIENT


def release(_exc: BaseException | None = None) -> None:
    """After every request: the claim no longer applies to this thread's saves."""
    token = g.pop("idempotency_token", None)
    if token is not None:
        try:
            idempotency.current.reset(token)
        except ValueError:  # pragma: no cover - set in another context
            idempotency.current.set(None)


def add_form_tokens(response: Response) -> Response:
    """Every form of a signed-in page gets a ``form_token`` next to its CSRF token (one token
    per page sent; the fields tell its forms apart)."""
    if (response.mimetype != "text/html" or response.direct_passthrough
            or g.get("user") is None or request.path.startswith("/api/")):
        return response
    html = response.get_data(as_text=True)
    if 'name="csrf_token"' not in html:
        return response
    field = f'<input type="hidden" name="{FORM_FIELD}" value="{secrets.token_urlsafe(18)}">'
    response.set_data(CSRF_INPUT.sub(lambda m: m.group(0) + field, html))
    return response


def init_app(app: Flask) -> None:
    """Install the form side (the API's hook is on the API blueprint, after its guard)."""
    app.before_request(form_key)
    app.after_request(remember)
    app.after_request(add_form_tokens)
    app.teardown_request(release)
    app.register_error_handler(KeyAlreadyRecorded, already_recorded)
