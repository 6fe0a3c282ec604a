"""Encryption of personal data at rest, and blind indexes for looking it up.

One 32-byte master key (kept in the keystore, never in the database) yields two keys by HKDF: one for
AES-256-GCM field encryption, one for HMAC-SHA256 blind indexes. A field's ciphertext is bound to its
column by the associated data, so a ciphertext copied into another column (a name into the phone) does
not decrypt. A blind index lets the store find a person by document number with an ordinary indexed
equality query, without the number ever being stored in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from agent.domain.errors import VaultError

_VERSION = b"\x01"


def new_master_key() -> bytes:
    return os.urandom(32)


def _derive(master_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dengji " + purpose).derive(master_key)


class Vault:
    """Seals and opens personal fields; computes blind indexes."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("master key must be 32 bytes")
        self._aead = AESGCM(_derive(master_key, b"field encryption v1"))
        self._index_key = _derive(master_key, b"blind index v1")

    def seal(self, value: str | None, column: str) -> bytes | None:
        """Encrypt one field; `column` (e.g. `person.name`) is bound as associated data."""
        if value is None:
            return None
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode("utf-8"), column.encode())

    def open(self, blob: bytes | None, column: str) -> str | None:
        """Decrypt one field sealed by `seal` for the same column."""
        if blob is None:
            return None
        if blob[:1] != _VERSION:
            raise VaultError(f"{column} 的密文版本未知：这个登记库来自更新的 dengji",
                             f"unknown ciphertext version in {column}: this store comes from a newer dengji",
                             code="store.ciphertext_version")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], column.encode()).decode("utf-8")
        except InvalidTag:
            raise VaultError(f"{column} 无法解密：数据库与密钥不匹配",
                             f"cannot decrypt {column}: the database does not match this key") from None

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed hash of `value` for equality look-ups (e.g. kind `resident_id`, value the number)."""
        msg = kind.encode() + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()[:32]
