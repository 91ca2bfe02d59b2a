"""The ledger's keys: which Ed25519 public key signed checkpoints from when on, and which
event-authentication key tagged events from when on.

Key creation and every rotation are events in the log (and so are sealed themselves); the
private key never enters the log, only its public half and a short id derived from it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import DomainError

KEYRING_ID = uuid5(NAMESPACE_URL, "/govledger/audit/signing-keys")
EVENT_KEYRING_ID = uuid5(NAMESPACE_URL, "/govledger/audit/event-keys")


class SigningKeyring(LedgerAggregate):
    """The one keyring: the current checkpoint-signing key and every key used before."""

    @staticmethod
    def create_id() -> UUID:
        """There is one keyring per ledger."""
        return KEYRING_ID

    @event("KeyCreated")
    def __init__(self, key_id: str, public_key_pem: str, algorithm: str = "Ed25519") -> None:
        self.keys: dict[str, str] = {key_id: public_key_pem}
        self.current = key_id
        self.algorithm = algorithm

    def rotate(self, key_id: str, public_key_pem: str) -> None:
        """Replace the current key; old keys stay known so old checkpoints still verify."""
        if key_id in self.keys:
            raise KeyAlreadyUsed(f"the key {key_id} was used before", key_id=key_id)
        self._rotate(key_id, public_key_pem, self.current)

    @event("KeyRotated")
    def _rotate(self, key_id: str, public_key_pem: str, previous_key_id: str) -> None:
        self.keys[key_id] = public_key_pem
        self.current = key_id


class EventKeyring(LedgerAggregate):
    """The event-authentication (HMAC) keys by id: which one tags new events from when on.

    Only key ids enter the log (a key id reveals nothing about the key); the keys stay in the
    instance's key file. A rotation retires the previous key: events after the rotation must
    carry the new key's tag.
    """

    @staticmethod
    def create_id() -> UUID:
        """There is one event keyring per ledger."""
        return EVENT_KEYRING_ID

    @event("KeyInUse")
    def __init__(self, key_id: str) -> None:
        self.key_ids: list[str] = [key_id]
        self.current = key_id

    def rotate(self, key_id: str) -> None:
        """Tag new events with ``key_id`` from now on; the previous key is retired."""
        if key_id in self.key_ids:
            raise KeyAlreadyUsed(f"the event key {key_id} was used before", key_id=key_id)
        self._rotate(key_id, self.current)

    @event("KeyRotated")
    def _rotate(self, key_id: str, previous_key_id: str) -> None:
        self.key_ids.append(key_id)
        self.current = key_id


class KeyAlreadyUsed(DomainError):
    """Raised when rotating to a key that signed before."""

    code = "key_already_used"
