"""Large batches of events (the generator's): on PostgreSQL they are sent with ``COPY`` under
the recorder's table lock (``IdempotentPostgresRecorder._copy_events``); on both backends they
get consecutive positions, read back byte for byte, and a conflict anywhere in the batch
appends none of it. One save looks at the event key once, not once per event."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from app import idempotency
from app.generate import generate

if TYPE_CHECKING:
    from app.bootstrap import Services

TOPIC = "tests.bulk:Event"


def batch(count: int, originator: uuid.UUID | None = None,
          first_version: int = 1) -> list[StoredEvent]:
    originator = originator or uuid.uuid4()
    return [StoredEvent(originator_id=originator, originator_version=first_version + i,
                        topic=TOPIC, state=f'{{"n":{i},"bytes":"\\u0000\\u00ff"}}'.encode()
                        + bytes([i % 256]))
            for i in range(count)]


@pytest.fixture
def copies(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many events each ``COPY`` sent (PostgreSQL only; stays empty on SQLite)."""
    sent: list[int] = []
    recorder: Any = services.ledger.recorder
    original = getattr(recorder, "_copy_events", None)
    if original is not None:
        def counted(conn: Any, stored_events: Any, begun: bool) -> Any:
            sent.append(len(stored_events))
            return original(conn, stored_events, begun)
        monkeypatch.setattr(recorder, "_copy_events", counted)
    return sent


def test_a_large_batch_gets_consecutive_positions_and_reads_back_unchanged(
        services: Services, backend: str, copies: list[int]) -> None:
    recorder = services.ledger.recorder
    recorder.insert_events(batch(3))
    head = recorder.max_notification_id() or 0
    events = batch(idempotency.COPY_FROM + 7)
    ids = recorder.insert_events(events)
    assert list(ids or []) == list(range(head + 1, head + 1 + len(events)))
    assert copies == ([len(events)] if backend == "postgres" else [])
    read = recorder.select_notifications(start=head + 1, limit=len(events) + 10)
    assert [(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
            for n in read] == [(i, e.originator_id, e.originator_version, e.topic, e.state)
                               for i, e in zip(ids or [], events)]


def test_a_conflict_anywhere_in_a_large_batch_appends_none_of_it(
        services: Services, backend: str, copies: list[int]) -> None:
    recorder = services.ledger.recorder
    taken = uuid.uuid4()
    recorder.insert_events(batch(2, taken))
    head = recorder.max_notification_id()
    clashing = batch(idempotency.COPY_FROM) + batch(1, taken, first_version=2)
    with pytest.raises(IntegrityError):
        recorder.insert_events(clashing)
    assert recorder.max_notification_id() == head
    assert copies == ([len(clashing)] if backend == "postgres" else [])
    # the connection was left usable: the next batch goes in after the old head
    after = recorder.insert_events(batch(idempotency.COPY_FROM))
    assert after and after[0] > (head or 0)
    assert recorder.max_notification_id() == after[-1]


def test_one_save_looks_at_the_event_key_once(services: Services,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    mapper: Any = services.ledger.mapper
    looks: list[int] = []
    source = mapper.key_source

    def counted() -> bytes:
        looks.append(1)
        return source()
    monkeypatch.setattr(mapper, "key_source", counted)
    appended = generate(services, 1500, seed=3)
    assert appended >= 1500
    assert 1 <= len(looks) <= 3  # one save (plus the notification worker's own, if any)
    services.audit.seal(force=True)
    assert services.audit.verify().ok
