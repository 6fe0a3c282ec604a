"""This device's identity with the platform: id, signing key, the platform's keys, where to send.

A venue is ONE enrolled device, however many desks it has: whichever desk holds the sender lease signs
as that device. So the Ed25519 private key lives in the store, in the `meta` table, sealed with the
vault (AES-256-GCM under the master key, bound to its row), and every desk that can open the register
can sign; a desk that joins later, or an enrollment made at any desk, needs nothing carried by hand.
It is never in a file or the database in the clear. Its protection is the register's own: whoever holds
the master key could read every record already, and could only add reporting as the venue.
The rest of the identity is public and lives in `meta` in the clear.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlmodel import Session

from agent.domain.errors import NotEnrolled
from agent.store.database import Store
from agent.store.models import DEVICE_KEY_META_KEY, DEVICE_META_KEY, Meta
from protocol.keys import PlatformKey, device_key_from_bytes

_META = DEVICE_META_KEY
_KEY_META = DEVICE_KEY_META_KEY


@dataclass(frozen=True)
class Device:
    device_id: str
    platform_url: str
    platform_key: PlatformKey
    receipt_key_id: str
    receipt_public_key: str
    signing_key: ed25519.Ed25519PrivateKey
    ca_file: str | None = None
    # Receipt keys the platform replaced, (key id, public key), oldest first: trusted only to verify the
    # answers kept from before (`uploader.platform_keys.verify_kept_answer`), never a new answer.
    previous_receipt_keys: tuple[tuple[str, str], ...] = ()

    def with_platform_key(self, key: PlatformKey) -> Device:
        return dataclasses.replace(self, platform_key=key)

    def with_receipt_key(self, key_id: str, public_key: str) -> Device:
        """The device pinning a new receipt key; the one it pinned joins the previous ones."""
        return dataclasses.replace(self, receipt_key_id=key_id, receipt_public_key=public_key,
                                   previous_receipt_keys=(*self.previous_receipt_keys,
                                                          (self.receipt_key_id, self.receipt_public_key)))


def save_device(store: Store, device: Device) -> None:
    """Keep the device's identity in the store: the private key sealed, the rest in the clear."""
    record = json.dumps({
        "device_id": device.device_id, "platform_url": device.platform_url,
        "platform_key": device.platform_key.as_dict(), "receipt_key_id": device.receipt_key_id,
        "receipt_public_key": device.receipt_public_key, "ca_file": device.ca_file,
        "previous_receipt_keys": [list(pair) for pair in device.previous_receipt_keys],
    }).encode()
    sealed_key = _seal_key(store, device.signing_key.private_bytes_raw())

    def work(session: Session) -> None:
        _put(session, _META, record)
        _put(session, _KEY_META, sealed_key)

    store.write(work)


def load_device(store: Store) -> Device:
    """The enrolled device, or `NotEnrolled`."""
    with store.read() as session:
        row = session.get(Meta, _META)
        key_row = session.get(Meta, _KEY_META)
    if row is None or key_row is None:
        raise NotEnrolled()
    raw_key = base64.b64decode(store.vault.open(key_row.value, "meta.device_key") or "")
    record = json.loads(row.value)
    return Device(record["device_id"], record["platform_url"], PlatformKey.from_dict(record["platform_key"]),
                  record["receipt_key_id"], record["receipt_public_key"], device_key_from_bytes(raw_key),
                  record.get("ca_file"), tuple((str(key_id), str(public)) for key_id, public
                                               in record.get("previous_receipt_keys", [])))


def _seal_key(store: Store, raw: bytes) -> bytes:
    sealed = store.vault.seal(base64.b64encode(raw).decode(), "meta.device_key")
    assert sealed is not None
    return sealed


def _put(session: Session, key: str, value: bytes) -> None:
    row = session.get(Meta, key) or Meta(key=key, value=b"")
    row.value = value
    session.add(row)

