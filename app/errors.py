"""Errors raised at the application boundary (mapped to HTTP and CLI messages in one place each)."""

from __future__ import annotations

from typing import Any

from domain.base import DomainError, NotFoundError

__all__ = ["DomainError", "NotAuthenticated", "NotFoundError", "PermissionDenied"]


class NotAuthenticated(Exception):
    """Raised when a write is attempted without an authenticated actor."""

    code = "not_authenticated"

    def __init__(self, message: str = "sign in or send a valid bearer token",
                 **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class PermissionDenied(Exception):
    """Raised when the actor's role does not allow the command."""

    code = "forbidden"

    def __init__(self, message: str, code: str = "forbidden", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details
