"""The backup file: a database and the keys that open it, sealed under a backup passphrase.

A venue's register is useless without its keys, and its keys are useless without the register, so one
file holds both, encrypted with a key derived from a passphrase the owner chooses (scrypt), in chunks
of AES-256-GCM, so that a store of any size is written and read in constant memory.

Layout, version 1 (integers big-endian):

    offset  size  what
    0       8     magic "DJBACKUP"
    8       1     format version (1)
    9       1     scrypt cost: log2(N)
    10      1     scrypt r
    11      1     scrypt p
    12      16    salt
    28      16    passphrase check: HMAC-SHA256(check key, "passphrase check"), first 16 bytes
    44      4     length H of the clear header
    48      H     clear header, JSON: when, by which program, which schema (never personal data)
    48+H    ...   chunks, each: 4-byte length L, then L bytes of AES-256-GCM ciphertext

Chunk 0 is the manifest (JSON: the secrets, row counts, the database's size and SHA-256); the others
carry the database file. Chunk i is sealed with nonce = i (11 bytes) || final flag (1 byte), and bytes
0..48+H as associated data: a chunk cannot be altered, reordered, dropped, moved under another header,
or the file cut short, without the tag or the missing final chunk saying so (the STREAM construction
that age and Tink use). The key is derived from a fresh random salt, so no key ever seals two files and
a counter nonce is safe. The check value tells a wrong passphrase apart from a damaged file.

>>> import io
>>> sealed = io.BytesIO()
>>> seal(sealed, "long enough passphrase", {"schema": "0003"}, {"counts": {}}, io.BytesIO(b"db bytes"), 8)
>>> sealed.seek(0) or None
>>> out = io.BytesIO()
>>> opened = unseal(sealed, "long enough passphrase", out)
>>> opened.header["schema"], out.getvalue()
('0003', b'db bytes')
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from agent.domain.errors import BackupError

MAGIC = b"DJBACKUP"
FORMAT_VERSION = 1
SUFFIX = ".dengji-backup"
# scrypt cost: 32 MiB and about 0.1-0.3 s, paid once per backup or restore. The file may travel on a USB
# stick, so guessing the passphrase must be expensive; the cost is in the file, so it can grow later.
_LOG2_N, _R, _P = 15, 8, 1
_FIXED = struct.Struct(">8sBBBB16s16sI")  # magic .. header length: 48 bytes
_LENGTH = struct.Struct(">I")
CHUNK = 1 << 20  # plaintext bytes per database chunk
_TAG = 16
_MAX_HEADER = 64 * 1024
_MAX_MANIFEST = 16 << 20

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


def _error(code: str, zh: str, en: str) -> BackupError:
    return BackupError(zh, en, code=code)


def not_a_backup() -> BackupError:
    return _error("backup.not_a_backup", "这不是 dengji 的备份文件", "this is not a dengji backup file")


def truncated() -> BackupError:
    return _error("backup.truncated", "备份文件不完整（在复制或下载时被截断），请使用完整的备份文件",
                  "the backup file is incomplete (cut short while copying or downloading): use a complete copy")


def damaged() -> BackupError:
    return _error("backup.damaged", "备份文件已损坏或被改动，无法使用，请换一份备份",
                  "the backup file is damaged or was altered and cannot be used: use another copy")


def wrong_passphrase() -> BackupError:
    return _error("backup.wrong_passphrase", "备份口令不对（或者文件开头已损坏）。请检查口令后重试",
                  "wrong backup passphrase (or the start of the file is damaged): check the passphrase and try again")


@dataclass(frozen=True)
class Opened:
    """What a backup file holds besides the database bytes."""

    header: dict[str, Any]  # clear: created_at, program, schema
    manifest: dict[str, Any]  # sealed: secrets, counts, database size and SHA-256


@dataclass(frozen=True)
class _Keys:
    data: AESGCM
    check: bytes


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> _Keys:
    root = Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))

    def sub(purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dengji backup v1 " + purpose).derive(root)

    check = hmac.new(sub(b"check"), b"passphrase check", hashlib.sha256).digest()[:16]
    return _Keys(AESGCM(sub(b"data")), check)


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def read_header(source: BinaryIO) -> tuple[bytes, dict[str, Any], tuple[int, int, int, bytes, bytes]]:
    """The bytes every chunk is bound to, the clear header, and the key derivation's parameters."""
    fixed = source.read(_FIXED.size)
    if not fixed.startswith(MAGIC):
        raise truncated() if fixed and MAGIC.startswith(fixed) else not_a_backup()
    if len(fixed) < _FIXED.size:
        raise truncated()
    _magic, version, log2_n, r, p, salt, check, length = _FIXED.unpack(fixed)
    if version != FORMAT_VERSION:
        raise _error("backup.newer_format", f"备份文件格式（第 {version} 版）比本程序新，请先升级 dengji",
                     f"the backup file's format (version {version}) is newer than this program: update dengji first")
    if length > _MAX_HEADER or not (10 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
        raise damaged()
    raw = source.read(length)
    if len(raw) < length:
        raise truncated()
    try:
        header = json.loads(raw)
    except ValueError:
        raise damaged() from None
    if not isinstance(header, dict):
        raise damaged()
    return fixed + raw, header, (log2_n, r, p, salt, check)


def seal(target: BinaryIO, passphrase: str, header: Mapping[str, Any], manifest: Mapping[str, Any],
         database: BinaryIO, size: int, progress: Progress | None = None) -> None:
    """Write a backup of `size` bytes read from `database`, with `header` in the clear and `manifest` sealed."""
    salt = os.urandom(16)
    keys = _derive(passphrase, salt, _LOG2_N, _R, _P)
    clear = json.dumps(dict(header), ensure_ascii=False, sort_keys=True).encode()
    bound = _FIXED.pack(MAGIC, FORMAT_VERSION, _LOG2_N, _R, _P, salt, keys.check, len(clear)) + clear
    target.write(bound)

    def chunk(index: int, plain: bytes, final: bool) -> None:
        sealed = keys.data.encrypt(_nonce(index, final), plain, bound)
        target.write(_LENGTH.pack(len(sealed)) + sealed)

    chunk(0, json.dumps(dict(manifest), sort_keys=True).encode(), final=False)
    done, index = 0, 1
    while True:
        plain = database.read(CHUNK)
        done += len(plain)
        final = done >= size or len(plain) < CHUNK
        chunk(index, plain, final)
        if progress:
            progress(done, size)
        if final:
            return
        index += 1


def unseal(source: BinaryIO, passphrase: str, database: BinaryIO, progress: Progress | None = None) -> Opened:
    """Check and decrypt a backup: the database bytes go to `database`, the rest is returned.

    Raises `BackupError`: not a backup, a newer format, a wrong passphrase, a damaged or a truncated file.
    Nothing is returned unless every chunk authenticated and the final one was seen.
    """
    bound, header, (log2_n, r, p, salt, check) = read_header(source)
    keys = _derive(passphrase, salt, log2_n, r, p)
    if not hmac.compare_digest(keys.check, check):
        raise wrong_passphrase()

    def chunk(index: int, limit: int) -> tuple[bytes, bool]:
        raw = source.read(_LENGTH.size)
        if len(raw) < _LENGTH.size:
            raise truncated()
        (length,) = _LENGTH.unpack(raw)
        if not _TAG <= length <= limit + _TAG:
            raise damaged()
        sealed = source.read(length)
        if len(sealed) < length:
            raise truncated()
        for final in (False, True):
            try:
                return keys.data.decrypt(_nonce(index, final), sealed, bound), final
            except InvalidTag:
                continue
        raise damaged()

    plain, final = chunk(0, _MAX_MANIFEST)
    if final:
        raise damaged()
    try:
        manifest = json.loads(plain)
    except ValueError:
        raise damaged() from None
    expected = int(manifest.get("database_bytes", 0))
    done, index = 0, 1
    while not final:
        plain, final = chunk(index, CHUNK)
        database.write(plain)
        done += len(plain)
        if progress:
            progress(done, expected)
        index += 1
    if source.read(1):
        raise damaged()  # bytes after the final chunk: not what was written
    return Opened(header, manifest)
