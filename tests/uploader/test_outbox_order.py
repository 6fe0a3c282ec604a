"""Batches prepared ahead go out in the order of their events, and are given back with the batch before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ed25519

from agent.cli.demo_people import sample_registration
from protocol.keys import generate_platform_secret
from protocol.messages import Receipt, ReceiptStatus
from uploader.device import Device
from uploader.outbox import abandon_batch, next_batch, prepare_next, record_answer

ARRIVED = (datetime.now(UTC) - timedelta(hours=1)).isoformat()


def device() -> Device:
    key = generate_platform_secret("k-000000000001", "2026-01-01T00:00:00+00:00").public()
    return Device("dev_0000000000000001", "http://127.0.0.1:1", key, "r-1", "",
                  ed25519.Ed25519PrivateKey.generate())


def event_ids(registry, batch_id: str) -> list[str]:  # noqa: ANN001
    from sqlmodel import select

    from agent.store.models import Event, OutboxEntry

    with registry.store.read() as session:
        return list(session.exec(select(Event.event_id).join(OutboxEntry, OutboxEntry.event_seq == Event.seq)
                                 .where(OutboxEntry.batch_id == batch_id).order_by(Event.seq)))


def test_a_prepared_batch_follows_the_one_in_flight(hotel_registry) -> None:  # noqa: ANN001
    for index in range(6):
        hotel_registry.register(sample_registration(index, "stay", ARRIVED))
    store, dev = hotel_registry.store, device()
    sending = next_batch(store, dev, max_events=2)
    assert sending is not None
    prepared = prepare_next(store, dev, sending.sealed.batch_id, max_events=2)
    assert prepared is not None and prepared.attempts == 0
    assert prepare_next(store, dev, sending.sealed.batch_id, max_events=2) is None  # one waits at most
    assert next_batch(store, dev, max_events=2).sealed.batch_id == sending.sealed.batch_id  # a retry: the same
    first_events = event_ids(hotel_registry, sending.sealed.batch_id)
    record_answer(store, sending.sealed.batch_id, [Receipt(e, ReceiptStatus.ACCEPTED) for e in first_events], b"{}")
    taken = next_batch(store, dev, max_events=2)
    assert taken is not None and (taken.sealed.batch_id, taken.attempts) == (prepared.sealed.batch_id, 1)


def test_giving_back_a_batch_gives_back_the_one_prepared_after_it(hotel_registry) -> None:  # noqa: ANN001
    for index in range(6):
        hotel_registry.register(sample_registration(index, "stay", ARRIVED))
    store, dev = hotel_registry.store, device()
    sending = next_batch(store, dev, max_events=2)
    assert sending is not None
    first_events = event_ids(hotel_registry, sending.sealed.batch_id)
    prepared = prepare_next(store, dev, sending.sealed.batch_id, max_events=2)
    assert prepared is not None
    assert abandon_batch(store, sending.sealed.batch_id) == 4
    resealed = next_batch(store, dev, max_events=2)
    assert resealed is not None and resealed.sealed.batch_id not in (sending.sealed.batch_id,
                                                                      prepared.sealed.batch_id)
    assert event_ids(hotel_registry, resealed.sealed.batch_id) == first_events  # the earliest events first
    assert hotel_registry.outbox_counts()["pending"] == 4
