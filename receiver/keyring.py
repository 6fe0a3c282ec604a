"""The platform's keys: the current sealing key, the retired ones still in their overlap window, and the
receipt key that signs answers - in the database, and in each receiver's memory.

Rotation (`dengji-receiver rotate-key`) publishes a new key id and retires the previous one. A batch
sealed to a retired key is still opened for the overlap window (30 days by default), so a venue that
was offline keeps working; every answer carries the current key's signed announcement, so the venue
learns the new key from its next answer. After the window such a batch is refused with
`seal.key_expired` (and the announcement), and the venue seals it again; the retired key's private half
is then erased (`erase_expired`), so a stolen copy of the database no longer opens past traffic.

An announcement expires (`ANNOUNCEMENT_LIFETIME`): the current one is signed anew when half its life
is gone, so that one signed long ago cannot roll an agent back to an old key.

The receipt key can be rotated too (`dengji-receiver rotate-receipt-key`): the old key signs a statement
naming the new one, its private half is erased at once, and answers carry every such statement
(`receipt_keys`), so an agent pinning an older key follows, step by step.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from protocol.keys import PlatformSecret, ReceiptKey, generate_platform_secret, generate_receipt_key
from protocol.receipts import ANNOUNCEMENT_LIFETIME, key_announcement, receipt_key_endorsement
from protocol.refusals import Refusal
from receiver.storage import Storage, iso

DEFAULT_OVERLAP = timedelta(days=30)
REFRESH = timedelta(seconds=60)  # how soon keys changed by an admin command (or another receiver) are picked up


def new_key_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def _receipt_key(storage: Storage) -> ReceiptKey:
    row = storage.receipt_key()
    return ReceiptKey(row.key_id, row.private)


def _announcement(storage: Storage, secret_public: Any, now: datetime) -> str:
    """The announcement of a platform key, signed now by the current receipt key, expiring in due time."""
    public = dataclasses.replace(secret_public, expires_at=iso(now + ANNOUNCEMENT_LIFETIME))
    return json.dumps(key_announcement(public, _receipt_key(storage)), ensure_ascii=False)


def ensure_keys(storage: Storage, now: datetime) -> None:
    """Create the receipt key and the first platform key on a new database; renew an announcement that
    is half way to its expiry (or has none: a database from before announcements expired)."""
    if storage.receipt_key() is None:
        key = generate_receipt_key(new_key_id("r"))
        storage.add_receipt_key(key.key_id, key.private, iso(now))
    if not storage.platform_keys():
        rotate(storage, now)
    renew_announcement(storage, now)


def rotate(storage: Storage, now: datetime) -> str:
    """Publish a new platform key; the previous one enters its overlap window. The new key id."""
    secret = generate_platform_secret(new_key_id("k"), iso(now))
    storage.add_platform_key(secret.key_id, secret.x25519_private, secret.xwing_seed, iso(now),
                             _announcement(storage, secret.public(), now))
    return secret.key_id


def _current(storage: Storage) -> Any:
    return next(row for row in storage.platform_keys() if row.retired_at is None)


def _public_of(row: Any) -> Any:
    return PlatformSecret(row.key_id, row.x25519_private, row.xwing_seed, row.created_at).public()


def renew_announcement(storage: Storage, now: datetime) -> bool:
    """Sign the current key's announcement anew if less than half its lifetime is left; True if it was."""
    row = _current(storage)
    expires_at = json.loads(row.announcement)["statement"].get("expires_at")
    if isinstance(expires_at, str) and datetime.fromisoformat(expires_at) - now > ANNOUNCEMENT_LIFETIME / 2:
        return False
    storage.set_announcement(row.key_id, _announcement(storage, _public_of(row), now))
    return True


def rotate_receipt_key(storage: Storage, now: datetime) -> str:
    """A new receipt key, named by the old one in a signed statement; the old private half is erased and
    the current platform key announced anew under the new key. The new key id."""
    old = _receipt_key(storage)
    new = generate_receipt_key(new_key_id("r"))
    endorsement = json.dumps(receipt_key_endorsement(new, old, iso(now)), ensure_ascii=False)
    row = _current(storage)
    public = dataclasses.replace(_public_of(row), expires_at=iso(now + ANNOUNCEMENT_LIFETIME))
    announcement = json.dumps(key_announcement(public, new), ensure_ascii=False)
    storage.add_receipt_key(new.key_id, new.private, iso(now), endorsement, (row.key_id, announcement))
    return new.key_id


def erase_expired(storage: Storage, now: datetime, overlap: timedelta = DEFAULT_OVERLAP) -> int:
    """Erase the private halves of platform keys past their overlap window."""
    return storage.erase_private_keys(iso(now - overlap))


@dataclass
class _Held:
    secret: PlatformSecret
    retired_at: datetime | None


@dataclass(frozen=True)
class _Loaded:
    """The keys as read at one moment: replaced whole, so that no reader sees half of two moments."""

    state: tuple[Any, ...]
    receipt_key: ReceiptKey
    held: dict[str, _Held]
    current_key_id: str
    announcement: dict[str, Any]
    extra: dict[str, Any]
    extra_json: bytes


class KeyRing:
    """What the routes need of the keys, loaded once and reloaded when the database's keys change.

    Reloads happen in the event loop and in database threads (a permit check, housekeeping): they hold
    a lock while they read, so the last to finish read last, and each replaces everything at once."""

    def __init__(self, storage: Storage, overlap: timedelta = DEFAULT_OVERLAP) -> None:
        self.storage = storage
        self.overlap = overlap
        self._lock = threading.Lock()
        self._checked_at: datetime | None = None
        self.reload()

    def reload(self) -> None:
        with self._lock:
            state = self.storage.key_state()
            rows = self.storage.platform_keys()
            held = {r.key_id: _Held(PlatformSecret(r.key_id, r.x25519_private, r.xwing_seed, r.created_at),
                                    datetime.fromisoformat(r.retired_at) if r.retired_at else None) for r in rows}
            current = next(r for r in rows if r.retired_at is None)
            announcement = json.loads(current.announcement)
            chain = [json.loads(text) for text in self.storage.receipt_key_endorsements()]
            # What every answer carries beside its signed statement: the current key's announcement and,
            # once the receipt key was rotated, the statements an agent pinning an older one follows.
            extra = {"platform_key": announcement, **({"receipt_keys": chain} if chain else {})}
            self._loaded = _Loaded(state, _receipt_key(self.storage), held, current.key_id, announcement, extra,
                                   json.dumps(extra, ensure_ascii=False)[1:-1].encode("utf-8"))

    @property
    def receipt_key(self) -> ReceiptKey:
        return self._loaded.receipt_key

    @property
    def current_key_id(self) -> str:
        return self._loaded.current_key_id

    @property
    def announcement(self) -> dict[str, Any]:
        return self._loaded.announcement

    @property
    def extra(self) -> dict[str, Any]:
        return self._loaded.extra

    @property
    def extra_json(self) -> bytes:
        return self._loaded.extra_json

    def refresh(self, now: datetime) -> None:
        """Reload if another process (an admin command, another receiver) changed the keys; checked once a
        minute."""
        if self._checked_at is not None and timedelta(0) <= now - self._checked_at < REFRESH:
            return
        self._checked_at = now
        if self.storage.key_state() != self._loaded.state:
            self.reload()

    def secret_for(self, key_id: str, now: datetime) -> PlatformSecret:
        """The private key for `key_id`, or a refusal that carries the current key's announcement."""
        self.refresh(now)
        if key_id not in self._loaded.held:
            self.reload()  # an admin may have rotated the key from another process
        held = self._loaded.held.get(key_id)
        if held is None:
            raise Refusal.of("seal.unknown_key", extra=self.extra)
        if (held.retired_at is not None and now - held.retired_at > self.overlap) or not held.secret.xwing_seed:
            raise Refusal.of("seal.key_expired", extra=self.extra)
        return held.secret

    def receipt_public(self) -> dict[str, str]:
        return {"key_id": self.receipt_key.key_id, "public_key": self.receipt_key.public_text()}
