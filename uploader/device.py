"""This device's identity with the platform: id, signing key, the platform's keys, where to send.

A venue is ONE enrolled device, however many desks it has: whichever desk holds the sender lease signs
as that device. So the Ed25519 private key lives in the store, in the `meta` table, sealed with the
vault (AES-256-GCM under the master key, bound to its row), and every desk that can open the register
can sign; a desk that joins later, or an enrollment made at any desk, needs nothing carried by hand.
It is never in a file or the database in the clear. Its protection is the register's own: whoever holds
the master key could read every record already, and could only add reporting as the venue.
The device's SM2 key (the national suite: it signs requests when the platform requires SM2/SM3/SM4) is
kept the same way beside it; a device enrolled before that suite has none.
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
from agent.store.models import DEVICE_KEY_META_KEY, DEVICE_META_KEY, DEVICE_SM2_KEY_META_KEY, Meta
from protocol.gm import Sm2Key, SoftwareSm2Key
from protocol.keys import SUITE_PREFERENCE, CipherSuite, PlatformKey, device_key_from_bytes
from protocol.receipts import PinnedKey

_META = DEVICE_META_KEY
_KEY_META = DEVICE_KEY_META_KEY
_SM2_KEY_META = DEVICE_SM2_KEY_META_KEY


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
    sm2_key: Sm2Key | None = None  # signs requests in the national suite
    receipt_sm2_public_key: str = ""  # the receipt key's SM2 half, pinned when it was authenticated

    @property
    def pinned_receipt_key(self) -> PinnedKey:
        """The receipt key as the answers' verification takes it: Ed25519 and, beside it, the SM2 half."""
        return PinnedKey(self.receipt_public_key, self.receipt_sm2_public_key)

    @property
    def suites(self) -> tuple[CipherSuite, ...]:
        """The suites this device can seal and sign with, best first (the national suite needs its SM2 key)."""
        return tuple(suite for suite in SUITE_PREFERENCE if suite is not CipherSuite.GM or self.sm2_key is not None)

    def signer_for(self, suite: CipherSuite) -> ed25519.Ed25519PrivateKey | Sm2Key:
        """The key that signs a request sealed with `suite`: the SM2 key in the national suite."""
        if suite is CipherSuite.GM and self.sm2_key is not None:
            return self.sm2_key
        return self.signing_key

    def with_platform_key(self, key: PlatformKey) -> Device:
        return dataclasses.replace(self, platform_key=key)

    def with_receipt_key(self, key_id: str, public_key: str) -> Device:
        """The device pinning a new receipt key (a `PinnedKey` brings its SM2 half, as the statement that
        endorsed it named it); the one it pinned joins the previous ones."""
        return dataclasses.replace(self, receipt_key_id=key_id, receipt_public_key=str(public_key),
                                   receipt_sm2_public_key=getattr(public_key, "sm2", ""),
                                   previous_receipt_keys=(*self.previous_receipt_keys,
                                                          (self.receipt_key_id, self.pinned_receipt_key)))


def save_device(store: Store, device: Device) -> None:
    """Keep the device's identity in the store: the private key sealed, the rest in the clear."""
    record = json.dumps({
        "device_id": device.device_id, "platform_url": device.platform_url,
        "platform_key": device.platform_key.as_dict(), "receipt_key_id": device.receipt_key_id,
        "receipt_public_key": device.receipt_public_key, "ca_file": device.ca_file,
        "previous_receipt_keys": [[key_id, str(public), getattr(public, "sm2", "")]
                                  for key_id, public in device.previous_receipt_keys],
        "receipt_sm2_public_key": device.receipt_sm2_public_key,
    }).encode()
    def work(session: Session) -> None:
        # sealed in the transaction, which has learnt the store's suite (`Store.write`): another desk may
        # have switched it since this one opened the store
        _put(session, _META, record)
        _put(session, _KEY_META, _seal_key(store, device.signing_key.private_bytes_raw()))
        if isinstance(device.sm2_key, SoftwareSm2Key):  # a key in a certified module is not ours to store
            sealed_sm2 = store.vault.seal(base64.b64encode(device.sm2_key.to_bytes()).decode(), "meta.device_sm2_key")
            assert sealed_sm2 is not None
            _put(session, _SM2_KEY_META, sealed_sm2)

    store.write(work)


def load_device(store: Store) -> Device:
    """The enrolled device, or `NotEnrolled`."""
    with store.read() as session:
        row = session.get(Meta, _META)
        key_row = session.get(Meta, _KEY_META)
        sm2_row = session.get(Meta, _SM2_KEY_META)
    if row is None or key_row is None:
        raise NotEnrolled()
    raw_key = base64.b64decode(store.vault.open(key_row.value, "meta.device_key") or "")
    record = json.loads(row.value)
    sm2_key = None
    if sm2_row is not None:
        sm2_key = SoftwareSm2Key.from_bytes(base64.b64decode(store.vault.open(sm2_row.value, "meta.device_sm2_key") or ""))
    return Device(record["device_id"], record["platform_url"], PlatformKey.from_dict(record["platform_key"]),
                  record["receipt_key_id"], record["receipt_public_key"], device_key_from_bytes(raw_key),
                  record.get("ca_file"), tuple((str(pair[0]), PinnedKey(str(pair[1]), str(pair[2]) if len(pair) > 2 else ""))
                                               for pair in record.get("previous_receipt_keys", [])),
                  sm2_key, str(record.get("receipt_sm2_public_key", "")))


def _seal_key(store: Store, raw: bytes) -> bytes:
    sealed = store.vault.seal(base64.b64encode(raw).decode(), "meta.device_key")
    assert sealed is not None
    return sealed


def _put(session: Session, key: str, value: bytes) -> None:
    row = session.get(Meta, key) or Meta(key=key, value=b"")
    row.value = value
    session.add(row)

