"""Password and token hashing: Argon2id for passwords, SHA-256 for random API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "glt"


def password_hasher(cost: str = "strong") -> PasswordHasher:
    """Return an Argon2id hasher; ``fast`` is only for tests."""
    if cost == "fast":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def verify_password(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    """Check a password against its stored hash without leaking why it failed."""
    if not password_hash:
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class NewToken:
    """A freshly minted bearer token: shown once, only ``token_hash`` is stored."""

    token_id: str
    token: str
    token_hash: str


def mint_token(person_id: UUID) -> NewToken:
    """Create a random bearer token naming its owner and token id."""
    token_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}_{person_id.hex}_{token_id}_{secret}"
    return NewToken(token_id=token_id, token=token, token_hash=hash_secret(secret))


def hash_secret(secret: str) -> str:
    """Hash a high-entropy token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(token: str) -> tuple[UUID, str, str] | None:
    """Split a bearer token into (person id, token id, secret), or None if malformed."""
    parts = token.split("_", 3)
    if len(parts) != 4 or parts[0] != TOKEN_PREFIX:
        return None
    try:
        return UUID(hex=parts[1]), parts[2], parts[3]
    except ValueError:
        return None


def secret_matches(stored_hash: str, secret: str) -> bool:
    """Compare a secret to its stored hash in constant time."""
    return hmac.compare_digest(stored_hash, hash_secret(secret))
