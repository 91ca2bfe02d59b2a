"""The lifecycle of access on the Person aggregate, and sign-in that does the same work for
every email (so its timing does not reveal which accounts exist)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from argon2 import PasswordHasher

from app.ledger import Ledger
from app.people.service import PeopleService
from domain.people.person import AlreadyActive, AlreadyInactive, Person, RoleAlreadyHeld

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def person() -> Person:
    p = Person(name="Pat", email="pat@example.org", function="qa")
    p.grant_role("member")
    return p


class TestLifecycle:
    def test_deactivation_withdraws_writing_and_reactivation_gives_it_back(self) -> None:
        p = person()

        p.deactivate()
        assert not p.active and not p.can_write
        p.reactivate()

        assert p.active and p.can_write
        assert [type(e).__name__ for e in p.collect_events()][-2:] == [
            "Deactivated", "Reactivated"]

    def test_deactivating_twice_or_reactivating_an_active_person_is_refused(self) -> None:
        p = person()

        with pytest.raises(AlreadyActive):
            p.reactivate()
        p.deactivate()
        with pytest.raises(AlreadyInactive):
            p.deactivate()

    def test_a_role_change_replaces_every_role(self) -> None:
        p = person()
        p.grant_role("admin")

        p.change_role("auditor")

        assert p.roles == ["auditor"]
        with pytest.raises(RoleAlreadyHeld):
            p.change_role("auditor")

    def test_a_token_is_valid_until_it_expires_or_is_revoked(self) -> None:
        p = person()
        p.issue_token("aaaa0000", "hash", "ci", T0 + timedelta(hours=1))
        p.issue_token("bbbb0000", "hash", "forever")

        assert p.token_valid_at("aaaa0000", T0) and not p.token_valid_at("aaaa0000",
                                                                         T0 + timedelta(hours=1))
        p.revoke_token("bbbb0000")
        assert not p.token_valid_at("bbbb0000", T0)


class CountingHasher(PasswordHasher):
    """A fast Argon2 hasher that counts verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash: Any, password: Any) -> bool:  # noqa: A002 - argon2's name
        self.verified += 1
        return super().verify(hash, password)


class TestConstantWorkSignIn:
    @pytest.fixture
    def people(self) -> PeopleService:
        ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        service = PeopleService(ledger, CountingHasher())
        with ledger.as_system():
            service.register_person("Pat", "pat@example.org", "qa", "member",
                                    password="correct-horse-battery")
            service.register_person("Api", "api@example.org", "qa", "member")
        return service

    @pytest.mark.parametrize("email", ["nobody@example.org", "api@example.org",
                                       "pat@example.org"])
    def test_every_attempt_verifies_exactly_one_argon2_hash(
            self, people: PeopleService, email: str) -> None:
        hasher: CountingHasher = people.hasher  # type: ignore[assignment]
        before = hasher.verified

        result = people.authenticate_password(email, "wrong-password-here")

        assert result is None and hasher.verified == before + 1

    def test_the_right_password_still_signs_in(self, people: PeopleService) -> None:
        assert people.authenticate_password("pat@example.org", "correct-horse-battery")
