"""The one error hierarchy: each kind maps to one HTTP status in the web handler and to one
line and exit status 2 on the command line."""

from __future__ import annotations

import pytest

from domain.errors import (
    DomainError,
    InvalidInput,
    LedgerError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from web.errors import describe


@pytest.mark.parametrize(("error", "status", "code"), [
    (InvalidInput.field("reason", "needs a reason"), 422, "invalid_input"),
    (NotAuthenticated(), 401, "not_authenticated"),
    (PermissionDenied("no", code="role_required", required=["admin"]), 403, "role_required"),
    (NotFound("no Board with id x", id="x"), 404, "not_found"),
    (DomainError("quorum not met"), 409, "rule_violation"),
])
def test_each_kind_has_one_status_and_keeps_its_code_and_details(
        error: LedgerError, status: int, code: str) -> None:
    got_status, got_code, message, details = describe(error)
    assert (got_status, got_code) == (status, code)
    assert message == error.message and details == error.details


def test_a_rule_names_itself_through_its_subclass_code() -> None:
    class QuorumNotMet(DomainError):
        code = "quorum_not_met"

    status, code, message, _ = describe(QuorumNotMet("3 of 5 members present, 3 needed"))
    assert (status, code, message) == (409, "quorum_not_met", "3 of 5 members present, 3 needed")


def test_invalid_input_for_one_field_has_the_validation_error_shape() -> None:
    error = InvalidInput.field("scheduled_end", "must be after scheduled_start")
    assert error.details == {"scheduled_end": ["must be after scheduled_start"]}
    assert isinstance(error, LedgerError) and not isinstance(error, DomainError)
