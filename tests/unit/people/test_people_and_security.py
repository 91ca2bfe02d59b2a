"""People's roles and the credential helpers."""

from __future__ import annotations

import uuid

import pytest

from app.people.security import (
    hash_secret,
    mint_token,
    parse_token,
    password_hasher,
    secret_matches,
    verify_password,
)
from domain.people.person import (
    EmailIndex,
    Person,
    RoleAlreadyHeld,
    RoleNotHeld,
    UnknownRole,
)


class TestRoles:
    def test_granted_roles_decide_who_may_write(self) -> None:
        person = Person(name="A", email="a@x.org", function="qa")
        assert not person.can_write

        person.grant_role("member")

        assert person.can_write

    def test_an_auditor_never_writes_even_with_another_role(self) -> None:
        person = Person(name="A", email="a@x.org", function="qa")
        person.grant_role("member")

        person.grant_role("auditor")

        assert not person.can_write

    def test_role_rules_are_named(self) -> None:
        person = Person(name="A", email="a@x.org", function="qa")
        person.grant_role("member")

        with pytest.raises(RoleAlreadyHeld):
            person.grant_role("member")
        with pytest.raises(RoleNotHeld):
            person.revoke_role("admin")
        with pytest.raises(UnknownRole):
            person.grant_role("superuser")

    def test_email_index_ids_ignore_case_and_spaces(self) -> None:
        assert EmailIndex.create_id(" A@X.org") == EmailIndex.create_id("a@x.org")


class TestCredentials:
    def test_a_token_round_trips_and_only_its_hash_is_kept(self) -> None:
        person_id = uuid.uuid4()

        new = mint_token(person_id)

        parsed = parse_token(new.token)
        assert parsed is not None
        assert parsed[:2] == (person_id, new.token_id)
        assert secret_matches(new.token_hash, parsed[2])
        assert new.token_hash == hash_secret(parsed[2])
        assert parsed[2] not in new.token_hash

    @pytest.mark.parametrize("token", ["", "glt_", "abc_def_ghi_jkl", "glt_nothex_1_2", "x" * 80])
    def test_malformed_tokens_are_rejected(self, token: str) -> None:
        assert parse_token(token) is None

    def test_passwords_are_argon2_hashed_and_verified(self) -> None:
        hasher = password_hasher("fast")

        stored = hasher.hash("correct-horse-battery")

        assert stored.startswith("$argon2id$")
        assert verify_password(hasher, stored, "correct-horse-battery")
        assert not verify_password(hasher, stored, "wrong")
        assert not verify_password(hasher, None, "anything")
