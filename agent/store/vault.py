"""Encryption of personal data at rest, and blind indexes for looking it up.

One 32-byte master key (kept in the keystore, never in the database) yields, by HKDF, a key for field
encryption and a key for blind indexes in each of two suites: `aes` (AES-256-GCM and HMAC-SHA256, the
default) and `gm`, the national suite (SM4-GCM and HMAC-SM3, GB/T 32907 and GB/T 32905, by the same
functions as the wire: `protocol.gm`). A blind index lets the store find a person by document number with
an ordinary indexed equality query, without the number ever being stored in the clear.

A vault has the store's suite (the `meta` row `at_rest_suite`, set by `agent.duties.at_rest`): `seal`
writes that suite's format and `blind_index` uses its hash; `open` reads every format, whichever the suite.
A write transaction learns the store's suite before it seals (`agent.store.database.Store.write`).

A sealed field is `format byte || nonce || ciphertext and tag`. The first byte names the format, that is
the algorithm and what the associated data binds, so that another can be added without a format break:

    0x01  AES-256-GCM, 12-byte nonce; bound to its table and column (`event.payload`). Used where the
          row is bound otherwise: event payloads, whose SHA-256 the audit trail keeps, chained (`dengji
          audit verify` finds one moved to another event; re-sealing them would break that chain), and
          the `meta` rows, whose label names the row (`meta.vault_check`, `meta.device_key`). Refused
          where a row-bound field is expected.
    0x02  AES-256-GCM, 12-byte nonce; bound to its table, column AND row (`person.name` of person 7), so
          that swapping two people's sealed fields in the database file makes both fail to open. Every
          field sealed with a `row`; migration 0009 re-sealed the 0x01 ones.
    0x03  SM4-GCM (16-byte key of its own from the master key), 12-byte nonce; bound as 0x02 (table,
          column and row). Written by a `gm` vault where an `aes` one writes 0x02 (issue #20).
    0x04  SM4-GCM, 12-byte nonce; bound as 0x01 (table and column). Written by a `gm` vault where an
          `aes` one writes 0x01. `open` picks the algorithm by the byte; `seal` writes the suite's.

A byte that names no known format is refused as "from a newer dengji"; a 0x01 field where a row-bound one
is expected (or a row-bound one where a column-bound one is) is refused as tampering (an old copy of the
file could otherwise supply one).
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
from protocol.gm import (
    GCM_NONCE_LENGTH,
    SM4_KEY_LENGTH,
    GmError,
    hmac_sm3,
    sm4_gcm_open,
    sm4_gcm_seal,
)

AES = "aes"  # AES-256-GCM and HMAC-SHA256: the default
GM = "gm"  # SM4-GCM and HMAC-SM3: the national suite, when the venue's policy asks for it
SUITES = (AES, GM)

_COLUMN_BOUND = b"\x01"  # AES-256-GCM, bound to table and column (event payloads)
_ROW_BOUND = b"\x02"  # AES-256-GCM, bound to table, column and row
_SM4_ROW_BOUND = b"\x03"  # SM4-GCM, bound to table, column and row
_SM4_COLUMN_BOUND = b"\x04"  # SM4-GCM, bound to table and column
# format byte -> (the suite whose algorithm sealed it, whether it is bound to a row)
_FORMATS = {_COLUMN_BOUND: (AES, False), _ROW_BOUND: (AES, True),
            _SM4_ROW_BOUND: (GM, True), _SM4_COLUMN_BOUND: (GM, False)}
_WRITES = {(AES, False): _COLUMN_BOUND, (AES, True): _ROW_BOUND,
           (GM, False): _SM4_COLUMN_BOUND, (GM, True): _SM4_ROW_BOUND}


def new_master_key() -> bytes:
    return os.urandom(32)


def _derive(master_key: bytes, purpose: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=b"dengji " + purpose).derive(master_key)


class Vault:
    """Seals and opens personal fields; computes blind indexes."""

    def __init__(self, master_key: bytes, suite: str = AES) -> None:
        if len(master_key) != 32:
            raise ValueError("master key must be 32 bytes")
        if suite not in SUITES:
            raise ValueError(f"unknown suite {suite!r}")
        self.suite = suite
        self._aead = AESGCM(_derive(master_key, b"field encryption v1"))
        self._index_key = _derive(master_key, b"blind index v1")
        self._sm4_key = _derive(master_key, b"field encryption sm4 v1", SM4_KEY_LENGTH)
        self._sm3_index_key = _derive(master_key, b"blind index sm3 v1")

    def with_suite(self, suite: str) -> Vault:
        """The same keys, sealing and indexing with `suite` (`agent.duties.at_rest` switches with it)."""
        if suite not in SUITES:
            raise ValueError(f"unknown suite {suite!r}")
        other = object.__new__(Vault)
        other.__dict__.update(self.__dict__, suite=suite)
        return other

    def seal(self, value: str | None, column: str, row: str | int | None = None) -> bytes | None:
        """Encrypt one field of `column` (`table.column`, e.g. `person.name`) in `row` (its key, e.g. the
        person's id); both are bound as associated data. Without a row (event payloads only): bound to
        the column alone (format 0x01, see the module's docstring)."""
        if value is None:
            return None
        nonce = os.urandom(GCM_NONCE_LENGTH)
        associated = column.encode() if row is None else _bound(column, row)
        plain = value.encode("utf-8")
        sealed = (sm4_gcm_seal(self._sm4_key, nonce, plain, associated) if self.suite == GM
                  else self._aead.encrypt(nonce, plain, associated))
        return _WRITES[self.suite, row is not None] + nonce + sealed

    def open(self, blob: bytes | None, column: str, row: str | int | None = None) -> str | None:
        """Decrypt one field sealed by `seal` for the same column and row. A field moved from another
        row or column, or altered, raises `VaultError` (`store.tampered`)."""
        if blob is None:
            return None
        form = _FORMATS.get(blob[:1])
        if form is None:
            raise VaultError(f"{column} 的密文版本未知：这个登记库来自更新的 dengji",
                             f"unknown ciphertext version in {column}: this store comes from a newer dengji",
                             code="store.ciphertext_version")
        suite, row_bound = form
        if row_bound != (row is not None):
            raise _tampered(column, row)
        associated = column.encode() if row is None else _bound(column, row)
        nonce, sealed = blob[1:1 + GCM_NONCE_LENGTH], blob[1 + GCM_NONCE_LENGTH:]
        try:
            plain = (sm4_gcm_open(self._sm4_key, nonce, sealed, associated) if suite == GM
                     else self._aead.decrypt(nonce, sealed, associated))
            return plain.decode("utf-8")
        except (InvalidTag, GmError):
            raise (VaultError(f"{column} 无法解密：数据库与密钥不匹配",
                              f"cannot decrypt {column}: the database does not match this key")
                   if row is None else _tampered(column, row)) from None

    def open_column_bound(self, blob: bytes | None, column: str) -> str | None:
        """Decrypt a field in the old format 0x01 (bound to its column only): for migration 0009, which
        re-seals such fields bound to their rows."""
        return self.open(blob, column)

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed hash of `value` for equality look-ups (e.g. kind `resident_id`, value the number):
        HMAC-SHA256, or HMAC-SM3 in the `gm` suite, cut to 32 hex digits (128 bits)."""
        msg = kind.encode() + b"\x00" + value.encode("utf-8")
        if self.suite == GM:
            return hmac_sm3(self._sm3_index_key, msg).hex()[:32]
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()[:32]

    def blind_indexes(self, kind: str, value: str) -> tuple[str, ...]:
        """The blind index of `value` in every suite, this vault's first: for a look-up outside a write
        transaction, which cannot know that another desk has not just switched the suite."""
        return tuple(self.with_suite(suite).blind_index(kind, value)
                     for suite in sorted(SUITES, key=lambda suite: suite != self.suite))


def _bound(column: str, row: str | int) -> bytes:
    """The associated data of a row-bound field: the column (`table.column`) and the row's key."""
    return f"{column}\x00{row}".encode()


def _tampered(column: str, row: str | int | None) -> VaultError:
    """A field that does not open where it is: moved from another row or column, or altered. The key
    itself fits (the store's key check passed), so this is the file's contents, not the key."""
    where = f"{column} #{row}" if row is not None else column
    return VaultError(f"登记库中的加密字段 {where} 被改动过或被移动到了别的记录：请从备份恢复（dengji restore），并检查这台电脑是否被他人操作过",
                      f"the sealed field {where} was altered or moved from another record: restore a backup "
                      "(`dengji restore`) and check who had access to this computer", code="store.tampered")
