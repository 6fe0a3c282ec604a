"""The device's signing key lives in the store, sealed: every desk of a site signs as the one device."""

from __future__ import annotations

from sqlmodel import select

from agent.store.models import Meta
from protocol.keys import (
    generate_device_key,
    generate_platform_secret,
    generate_receipt_key,
)
from uploader.device import Device, load_device, save_device


def sample_device() -> Device:
    receipt = generate_receipt_key("r1")
    return Device("device-1", "http://127.0.0.1:1", generate_platform_secret("k1", "2026-11-25").public(),
                  receipt.key_id, receipt.public_text(), generate_device_key())


def test_the_signing_key_is_kept_sealed_in_the_store(hotel_registry) -> None:  # type: ignore[no-untyped-def]
    store = hotel_registry.store
    device = sample_device()
    save_device(store, device)
    raw = device.signing_key.private_bytes_raw()
    with store.read() as session:
        stored = {m.key: m.value for m in session.exec(select(Meta))}
    assert all(raw not in value for value in stored.values())
    assert load_device(store).signing_key.private_bytes_raw() == raw

