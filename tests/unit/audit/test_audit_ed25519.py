"""The bundle verifier's pure-Python Ed25519 check agrees with the cryptography package."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from app.audit.service import public_pem
from app.audit.verify_bundle import ed25519_verify, public_key_from_pem


@settings(max_examples=10)
@given(message=st.binary(max_size=200), bit=st.integers(0, 511))
def test_signatures_verify_and_any_flipped_bit_is_refused(message: bytes, bit: int) -> None:
    key = Ed25519PrivateKey.generate()
    public = public_key_from_pem(public_pem(key.public_key()))
    signature = key.sign(message)
    flipped = bytearray(signature)
    flipped[bit // 8] ^= 1 << (bit % 8)

    assert ed25519_verify(public, message, signature)
    assert not ed25519_verify(public, message + b"x", signature)
    assert not ed25519_verify(public, message, bytes(flipped))
    other = public_key_from_pem(public_pem(Ed25519PrivateKey.generate().public_key()))
    assert not ed25519_verify(other, message, signature)
