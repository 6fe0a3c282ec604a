"""This device's identity with the platform: id, signing key, the platform's keys, where to send.

The Ed25519 private key lives in the keystore (the OS keyring or the encrypted key file), never in a
file in plaintext and never in the database. The rest is public and lives in the store's `meta` table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlmodel import Session, select

from agent.keystore import DEVICE_KEY_NAME
from agent.store.database import Store
from agent.store.models import DEVICE_META_KEY, Meta
from protocol.keys import PlatformKey, device_key_from_bytes

_META = DEVICE_META_KEY


class NotEnrolled(Exception):
    """The device has not been enrolled with a platform yet."""

    def __str__(self) -> str:
        return ("本设备还没有在平台登记：请运行 dengji enroll 登记码 --platform 地址 "
                "(this device is not enrolled: run `dengji enroll CODE --platform URL`)")


@dataclass(frozen=True)
class Device:
    device_id: str
    platform_url: str
    platform_key: PlatformKey
    receipt_key_id: str
    receipt_public_key: str
    signing_key: ed25519.Ed25519PrivateKey
    ca_file: str | None = None

    def with_platform_key(self, key: PlatformKey) -> Device:
        return Device(self.device_id, self.platform_url, key, self.receipt_key_id, self.receipt_public_key,
                      self.signing_key, self.ca_file)


def save_device(store: Store, device: Device) -> None:
    """Keep the device's identity: the private key in the keystore, the rest in the store."""
    assert store.keystore is not None
    store.keystore.set(DEVICE_KEY_NAME, device.signing_key.private_bytes_raw())
    record = json.dumps({
        "device_id": device.device_id, "platform_url": device.platform_url,
        "platform_key": device.platform_key.as_dict(), "receipt_key_id": device.receipt_key_id,
        "receipt_public_key": device.receipt_public_key, "ca_file": device.ca_file,
    }).encode()

    def work(session: Session) -> None:
        row = session.get(Meta, _META) or Meta(key=_META, value=b"")
        row.value = record
        session.add(row)

    store.write(work)


def load_device(store: Store) -> Device:
    """The enrolled device, or `NotEnrolled`."""
    with store.read() as session:
        row = session.exec(select(Meta).where(Meta.key == _META)).first()
    if row is None or store.keystore is None:
        raise NotEnrolled()
    raw_key = store.keystore.get(DEVICE_KEY_NAME)
    if raw_key is None:
        raise NotEnrolled()
    record = json.loads(row.value)
    return Device(record["device_id"], record["platform_url"], PlatformKey.from_dict(record["platform_key"]),
                  record["receipt_key_id"], record["receipt_public_key"], device_key_from_bytes(raw_key),
                  record.get("ca_file"))

