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

Every key has an SM2 half for the national suite (keys made before it get theirs in `ensure_keys`): the
platform key's is a recipient key announced as suite `SM2/SM3/SM4-GCM`, the receipt key's signs the
answers to requests in that suite. What those answers carry beside their statement is the announcement
of the key's SM2 half alone, signed by the receipt key's SM2 half (`extra_for`), made when the keys are
loaded: a device in the national suite is told of nothing else to seal to.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from protocol.gm import SoftwareSm2Key
from protocol.keys import (SM2_SM3, CipherSuite, PlatformSecret, ReceiptKey, generate_platform_secret,
                           generate_receipt_key)
from protocol.receipts import ANNOUNCEMENT_LIFETIME, key_announcement, receipt_key_endorsement, sign_statement
from protocol.refusals import Refusal
from receiver.storage import Storage, iso

DEFAULT_OVERLAP = timedelta(days=30)
REFRESH = timedelta(seconds=60)  # how soon keys changed by an admin command (or another receiver) are picked up


def new_key_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def receipt_key_of(row: Any) -> ReceiptKey:
    """The receipt key of its database row."""
    return ReceiptKey(row.key_id, row.private, row.sm2_key or b"")


def _receipt_key(storage: Storage) -> ReceiptKey:
    return receipt_key_of(storage.receipt_key())


def _secret_of(row: Any) -> PlatformSecret:
    return PlatformSecret(row.key_id, row.x25519_private, row.xwing_seed, row.created_at, row.sm2_key or b"")


def _announcement(storage: Storage, secret_public: Any, now: datetime) -> str:
    """The announcement of a platform key, signed now by the current receipt key, expiring in due time."""
    public = dataclasses.replace(secret_public, expires_at=iso(now + ANNOUNCEMENT_LIFETIME))
    return json.dumps(key_announcement(public, _receipt_key(storage)), ensure_ascii=False)


def ensure_keys(storage: Storage, now: datetime) -> None:
    """Create the receipt key and the first platform key on a new database; renew an announcement that
    is half way to its expiry (or has none: a database from before announcements expired)."""
    if storage.receipt_key() is None:
        key = generate_receipt_key(new_key_id("r"))
        storage.add_receipt_key(key.key_id, key.private, iso(now), sm2_key=key.sm2_key)
    if not storage.platform_keys():
        rotate(storage, now)
    _give_sm2_halves(storage, now)
    renew_announcement(storage, now)


def _give_sm2_halves(storage: Storage, now: datetime) -> None:
    """Keys made before the national suite get their SM2 halves: the current receipt key and the current
    platform key, whose announcement is then signed anew, listing the suite."""
    receipt, row = storage.receipt_key(), _current(storage)
    if receipt.sm2_key and row.sm2_key:
        return
    receipt_sm2 = receipt.sm2_key or SoftwareSm2Key.generate().to_bytes()
    platform_sm2 = row.sm2_key or SoftwareSm2Key.generate().to_bytes()
    public = dataclasses.replace(_secret_of(row), sm2_key=platform_sm2).public()
    public = dataclasses.replace(public, expires_at=iso(now + ANNOUNCEMENT_LIFETIME))
    announcement = json.dumps(key_announcement(public, ReceiptKey(receipt.key_id, receipt.private, receipt_sm2)),
                              ensure_ascii=False)
    storage.add_sm2_halves(receipt.key_id, receipt_sm2, row.key_id, platform_sm2, announcement)


def rotate(storage: Storage, now: datetime) -> str:
    """Publish a new platform key; the previous one enters its overlap window. The new key id."""
    secret = generate_platform_secret(new_key_id("k"), iso(now))
    storage.add_platform_key(secret.key_id, secret.x25519_private, secret.xwing_seed, iso(now),
                             _announcement(storage, secret.public(), now), secret.sm2_key)
    return secret.key_id


def _current(storage: Storage) -> Any:
    return next(row for row in storage.platform_keys() if row.retired_at is None)


def _public_of(row: Any) -> Any:
    return _secret_of(row).public()


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
    sm2_endorsement = json.dumps(receipt_key_endorsement(new, old, iso(now), SM2_SM3), ensure_ascii=False) \
        if old.sm2_key else None
    row = _current(storage)
    public = dataclasses.replace(_public_of(row), expires_at=iso(now + ANNOUNCEMENT_LIFETIME))
    announcement = json.dumps(key_announcement(public, new), ensure_ascii=False)
    storage.add_receipt_key(new.key_id, new.private, iso(now), endorsement, (row.key_id, announcement), new.sm2_key,
                            sm2_endorsement)
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
    gm_announcement: dict[str, Any]  # the same statement signed by the receipt key's SM2 half
    gm_extra: dict[str, Any]
    gm_extra_json: bytes


class KeyRing:
    """What the routes need of the keys, loaded once and reloaded when the database's keys change.

    Reloads happen in the event loop and in database threads (a permit check, housekeeping): they hold
    a lock while they read, so the last to finish read last, and each replaces everything at once."""

    def __init__(self, storage: Storage, overlap: timedelta = DEFAULT_OVERLAP,
                 accepted: tuple[CipherSuite, ...] | None = None) -> None:
        self.storage = storage
        self.overlap = overlap
        self.accepted = accepted  # `serve --require-suite`: the announcements name only these suites
        self._lock = threading.Lock()
        self._checked_at: datetime | None = None
        self.reload()

    def reload(self) -> None:
        with self._lock:
            state = self.storage.key_state()
            rows = self.storage.platform_keys()
            held = {r.key_id: _Held(_secret_of(r), datetime.fromisoformat(r.retired_at) if r.retired_at else None)
                    for r in rows}
            current = next(r for r in rows if r.retired_at is None)
            announcement = json.loads(current.announcement)
            receipt_key = _receipt_key(self.storage)
            statement = announcement["statement"]
            if self.accepted is not None and set(statement.get("suites", {})) - {s.value for s in self.accepted}:
                # A platform that accepts fewer suites than its key has announces only those: an agent
                # seals to the best suite announced, and must not pick one the platform refuses.
                statement = {**statement, "suites": {name: key for name, key in statement["suites"].items()
                                                     if name in {s.value for s in self.accepted}}}
                announcement = sign_statement(statement, receipt_key)
            chain = [json.loads(text) for text in self.storage.receipt_key_endorsements()]
            # What every answer carries beside its signed statement: the current key's announcement and,
            # once the receipt key was rotated, the statements an agent pinning an older one follows.
            extra = {"platform_key": announcement, **({"receipt_keys": chain} if chain else {})}
            gm_announcement = announcement
            if receipt_key.sm2_key and CipherSuite.GM.value in statement.get("suites", {}):
                # To a device in the national suite the key is its SM2 half alone: it seals to nothing else.
                gm_only = {**statement, "suites": {CipherSuite.GM.value: statement["suites"][CipherSuite.GM.value]}}
                gm_announcement = sign_statement(gm_only, receipt_key, SM2_SM3)
            gm_chain = [json.loads(text) for text in self.storage.receipt_key_sm2_endorsements()]
            gm_extra = {"platform_key": gm_announcement, **({"receipt_keys": gm_chain} if gm_chain else {})}
            self._loaded = _Loaded(state, receipt_key, held, current.key_id, announcement, extra,
                                   json.dumps(extra, ensure_ascii=False)[1:-1].encode("utf-8"),
                                   gm_announcement, gm_extra,
                                   json.dumps(gm_extra, ensure_ascii=False)[1:-1].encode("utf-8"))

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

    def announcement_for(self, suite: CipherSuite | None) -> dict[str, Any]:
        """The current key's announcement as an answer in `suite` carries it: signed by the SM2 half of
        the receipt key in the national suite, by its Ed25519 key otherwise."""
        return self._loaded.gm_announcement if suite is CipherSuite.GM else self._loaded.announcement

    def extra_for(self, suite: CipherSuite | None) -> dict[str, Any]:
        return self._loaded.gm_extra if suite is CipherSuite.GM else self._loaded.extra

    def extra_json_for(self, suite: CipherSuite | None) -> bytes:
        return self._loaded.gm_extra_json if suite is CipherSuite.GM else self._loaded.extra_json

    def refresh(self, now: datetime) -> None:
        """Reload if another process (an admin command, another receiver) changed the keys; checked once a
        minute."""
        if self._checked_at is not None and timedelta(0) <= now - self._checked_at < REFRESH:
            return
        self._checked_at = now
        if self.storage.key_state() != self._loaded.state:
            self.reload()

    def secret_for(self, key_id: str, now: datetime, suite: CipherSuite | None = None) -> PlatformSecret:
        """The private key for `key_id`, or a refusal that carries the current key's announcement (as a
        request in `suite` gets it)."""
        self.refresh(now)
        if key_id not in self._loaded.held:
            self.reload()  # an admin may have rotated the key from another process
        held = self._loaded.held.get(key_id)
        if held is None:
            raise Refusal.of("seal.unknown_key", extra=self.extra_for(suite))
        if (held.retired_at is not None and now - held.retired_at > self.overlap) or not held.secret.xwing_seed \
                or (suite is CipherSuite.GM and not held.secret.sm2_key):
            raise Refusal.of("seal.key_expired", extra=self.extra_for(suite))
        return held.secret

    def receipt_public(self) -> dict[str, str]:
        public = {"key_id": self.receipt_key.key_id, "public_key": self.receipt_key.public_text()}
        if self.receipt_key.sm2_key:
            public["sm2_public_key"] = self.receipt_key.sm2_public_text()
        return public
