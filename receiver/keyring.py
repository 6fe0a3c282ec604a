"""The platform's keys in memory: the current sealing key, the retired ones still in their overlap
window, and the receipt key that signs answers.

Rotation (`dengji-receiver rotate-key`) publishes a new key id and retires the previous one. A batch
sealed to a retired key is still opened for the overlap window (30 days by default), so a venue that
was offline keeps working; every answer carries the current key's signed announcement, so the venue
learns the new key from its next answer. After the window such a batch is refused with
`seal.key_expired` (and the announcement), and the venue seals it again.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from protocol.keys import PlatformSecret, ReceiptKey, generate_platform_secret, generate_receipt_key
from protocol.receipts import key_announcement
from protocol.refusals import Refusal
from receiver.storage import Storage, iso

DEFAULT_OVERLAP = timedelta(days=30)
REFRESH = timedelta(seconds=60)  # how soon a key rotated by an admin command is picked up


def new_key_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def ensure_keys(storage: Storage, now: datetime) -> None:
    """Create the receipt key and the first platform key on a new database."""
    if storage.receipt_key() is None:
        key = generate_receipt_key(new_key_id("r"))
        storage.add_receipt_key(key.key_id, key.private, iso(now))
    if not storage.platform_keys():
        rotate(storage, now)


def rotate(storage: Storage, now: datetime) -> str:
    """Publish a new platform key; the previous one enters its overlap window. The new key id."""
    row = storage.receipt_key()
    receipt = ReceiptKey(row.key_id, row.private)
    secret = generate_platform_secret(new_key_id("k"), iso(now))
    announcement = key_announcement(secret.public(), receipt)
    storage.add_platform_key(secret.key_id, secret.x25519_private, secret.xwing_seed, iso(now),
                             json.dumps(announcement, ensure_ascii=False))
    return secret.key_id


@dataclass
class _Held:
    secret: PlatformSecret
    retired_at: datetime | None


class KeyRing:
    """What the routes need of the keys, loaded once and reloaded after a rotation."""

    def __init__(self, storage: Storage, overlap: timedelta = DEFAULT_OVERLAP) -> None:
        self.storage = storage
        self.overlap = overlap
        self.reload()

    def reload(self) -> None:
        row = self.storage.receipt_key()
        self.receipt_key = ReceiptKey(row.key_id, row.private)
        rows = self.storage.platform_keys()
        self._held = {r.key_id: _Held(PlatformSecret(r.key_id, r.x25519_private, r.xwing_seed, r.created_at),
                                      datetime.fromisoformat(r.retired_at) if r.retired_at else None)
                      for r in rows}
        current = next(r for r in rows if r.retired_at is None)
        self.current_key_id = current.key_id
        self.announcement: dict[str, Any] = json.loads(current.announcement)
        self.announcement_json = current.announcement.encode("utf-8")
        self._checked_at: datetime | None = None

    def refresh(self, now: datetime) -> None:
        """Reload if another process (`dengji-receiver rotate-key`) published a key; checked once a minute."""
        if self._checked_at is not None and timedelta(0) <= now - self._checked_at < REFRESH:
            return
        self._checked_at = now
        if self.storage.current_key_id() != self.current_key_id:
            self.reload()
            self._checked_at = now

    def secret_for(self, key_id: str, now: datetime) -> PlatformSecret:
        """The private key for `key_id`, or a refusal that carries the current key's announcement."""
        self.refresh(now)
        if key_id not in self._held:
            self.reload()  # an admin may have rotated the key from another process
        held = self._held.get(key_id)
        if held is None:
            raise Refusal.of("seal.unknown_key", extra={"platform_key": self.announcement})
        if held.retired_at is not None and now - held.retired_at > self.overlap:
            raise Refusal.of("seal.key_expired", extra={"platform_key": self.announcement})
        return held.secret

    def receipt_public(self) -> dict[str, str]:
        return {"key_id": self.receipt_key.key_id, "public_key": self.receipt_key.public_text()}
