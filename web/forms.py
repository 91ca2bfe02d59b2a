"""One way to handle an HTML form: load its schema from the submitted fields, run the command as
the signed-in person, then flash and redirect (POST-redirect-GET) — or, when the input is invalid
or the command is refused, show the form again with the errors and the input kept.

Every page blueprint's POST view is one ``handle_form`` call; GET filter forms and the sign-in
form use ``validate`` (load without raising). The schemas derive from ``app.schemas.FormSchema``,
which turns blank fields, checkboxes and separated lists into what the fields load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

from flask import flash, redirect, request
from marshmallow import ValidationError

from domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from web.context import acting
from web.errors import describe
from web.messages import field_errors, label, rule_message
from web.timezones import localise

if TYPE_CHECKING:
    from collections.abc import Mapping

    from marshmallow import Schema
    from werkzeug.wrappers import Response

T = TypeVar("T")

Errors = dict[str, Any]
"""Field name → messages (nested for nested fields), as marshmallow reports them."""

FormInput = dict[str, Any]
"""The submitted fields as sent: one string each, a list for a field sent more than once."""

Render = Callable[[Errors, FormInput], str]
"""Renders the form's page again with these errors next to the fields and this input in them."""

Success = tuple[str | None, str]
"""What to flash (None: nothing) and where to redirect after the command ran."""

REFUSALS = (DomainError, PermissionDenied, NotFound)
"""What the application raises when it refuses a valid command (→ 409, 403, 404)."""


def submitted() -> FormInput:
    """The submitted form fields, without the CSRF token and the form's token (web/idempotency)."""
    return {key: values[0] if len(values) == 1 else values
            for key, values in request.form.lists() if key not in ("csrf_token", "form_token")}


def validate(schema: Schema, sent: Mapping[str, Any]) -> tuple[dict[str, Any] | None, Errors]:
    """Load ``sent`` with ``schema``: ``(data, {})``, or ``(None, errors)`` when it is invalid."""
    try:
        return schema.load(localise(schema, sent)), {}
    except ValidationError as exc:
        return None, messages(exc, schema)


def query_args(schema: Schema, names: tuple[str, ...]) -> dict[str, Any]:
    """The query string's ``names`` loaded with ``schema`` (a GET that is not a filter form).

    :raise InvalidInput: naming each field that is not valid (a 422)."""
    data, errors = validate(schema, {k: v for k, v in request.args.items() if k in names})
    if errors:
        raise InvalidInput(None, **errors)
    return data or {}


def handle_form(schema: Schema, run: Callable[[dict[str, Any]], T], *,
                success: Success | Callable[[T], Success], retry: Render | str,
                reason: str | None = None,
                failure: str = "Not saved") -> Response | tuple[str, int]:
    """Load the submitted form with ``schema`` and run the command inside ``acting()``.

    Then flash the success message and redirect; or, on invalid input (422) or a refusal by
    a rule (409), the role (403) or an unknown id (404), show the form again — nothing is
    appended to the store in either case.

    :param run: the command, given the loaded data; its result is passed to ``success``.
    :param success: ``(message, url)``, or a function of the command's result returning it.
    :param retry: how to show the form again. A function ``(errors, input) -> html`` renders
        the page with the field errors next to the fields (a refusal is flashed above them) and
        the input kept; a URL (for a button on a detail page) flashes the errors and redirects
        back there.
    :param reason: the loaded field that is the command's reason (recorded on its events).
    :param failure: the opening words of the flash when the form does not go through.
    """
    sent = submitted()
    try:
        data = schema.load(localise(schema, sent))  # typed times are in the person's zone
        with acting(data.pop(reason, None) if reason else None):
            result = run(data)
    except ValidationError as exc:
        errors = messages(exc, schema)
        return _again(retry, errors, sent, 422, f"{failure}: {summary(errors)}")
    except InvalidInput as exc:  # a field refused by the service (a wrong current password)
        errors = dict(exc.details)  # the service words these for people already
        return _again(retry, errors, sent, 422, f"{failure}: {summary(errors)}")
    except REFUSALS as exc:
        status, code, message, details = describe(exc)
        return _again(retry, {}, sent, status,
                      f"{failure}: {rule_message(code, message, details)}")
    text, target = success if isinstance(success, tuple) else success(result)
    if text:
        flash(text)
    return redirect(target)


def _again(retry: Render | str, errors: Errors, sent: FormInput, status: int,
           text: str) -> Response | tuple[str, int]:
    """Show the form again: flash what went wrong unless every error sits next to its field."""
    if isinstance(retry, str):
        flash(text, "error")
        return redirect(retry)
    if not errors or "_schema" in errors:
        flash(text, "error")
    return retry(errors, sent), status


def messages(exc: ValidationError, schema: Schema | None = None) -> Errors:
    """A validation error's messages per field (``_schema`` for whole-form messages), written
    for people from the fields of ``schema`` (web/messages.py)."""
    found = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return field_errors(schema, found)


def summary(errors: Any) -> str:
    """Field errors as one line: ``title: Enter at least 3 characters for the title.; …``."""
    if isinstance(errors, dict):
        return "; ".join(summary(v) if k == "_schema" else f"{label(str(k))}: {summary(v)}"
                         for k, v in errors.items())
    if isinstance(errors, list):
        return " ".join(summary(m) for m in errors)
    return str(errors)
