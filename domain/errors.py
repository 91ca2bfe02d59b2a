"""The one error hierarchy: every refusal the ledger reports names its rule with a stable code.

``LedgerError`` is the base; each kind carries the HTTP status it maps to, so ``web/errors.py``
(pages and API) and the CLI (one line, exit 2) translate every kind in one place each:

- ``InvalidInput`` (422): a field's value is not acceptable; ``details`` maps field → messages.
- ``NotAuthenticated`` (401): nobody is signed in, or the token is not valid.
- ``PermissionDenied`` (403): the actor's role does not allow the command.
- ``NotFound`` (404): an entity id is unknown.
- ``DomainError`` (409): a governance rule refuses the command; subclasses name the rule.
- ``ConcurrentUpdate`` (409): the command lost an optimistic-concurrency race every time it
  was retried (``app/conflicts.py``).
- ``Busy`` (429): the service is at a bound it keeps to stay responsive (the as-of view builds);
  ``retry_after`` says when to try again (the ``Retry-After`` header).
"""

from __future__ import annotations

from typing import Any, ClassVar


class LedgerError(Exception):
    """Base of every error the ledger reports to a person (never a stack trace)."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    default_message: ClassVar[str] = "the request was refused"

    def __init__(self, message: str | None = None, code: str | None = None,
                 **details: Any) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        if code is not None:
            self.code = code  # type: ignore[misc]  # an instance may name a finer rule
        self.details = details


class InvalidInput(LedgerError):
    """A field's value is not acceptable (422); ``details`` maps each field to its messages."""

    code = "invalid_input"
    status = 422
    default_message = "the input is not valid; see details for each field"

    @classmethod
    def field(cls, name: str, message: str) -> InvalidInput:
        """The error for one field."""
        return cls(None, **{name: [message]})


class NotAuthenticated(LedgerError):
    """Nobody is signed in, or the credentials are not valid (401)."""

    code = "not_authenticated"
    status = 401
    default_message = "sign in or send a valid bearer token"


class PermissionDenied(LedgerError):
    """The actor's role does not allow the command (403)."""

    code = "forbidden"
    status = 403
    default_message = "you may not do this"


class NotFound(LedgerError):
    """An entity id is unknown (404)."""

    code = "not_found"
    status = 404
    default_message = "no such entity"


class DomainError(LedgerError):
    """A governance rule refuses the command (409); ``code`` names the rule."""

    code = "rule_violation"
    status = 409


class ConcurrentUpdate(LedgerError):
    """Raised when a command kept losing an optimistic-concurrency race: someone else changed
    the same entity each time it was about to save (409); trying again later may succeed."""

    code = "concurrent_update"
    status = 409
    default_message = ("someone else changed this at the same moment; the command was tried "
                       "again and still conflicted, so nothing was recorded — try again")


class Busy(LedgerError):
    """The service is at one of its bounds (429): try again after ``retry_after`` seconds."""

    code = "busy"
    status = 429
    default_message = "the service is busy; try again shortly"

    def __init__(self, message: str | None = None, retry_after: int = 1, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after
