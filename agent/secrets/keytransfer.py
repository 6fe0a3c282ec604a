"""Carrying a site's master key from one desk to another: a file sealed under a transfer passphrase.

Every desk of a site opens the same encrypted register, so every desk needs the same master key. The
key goes from a desk that has it (`dengji keys export FILE`) to the new desk (`dengji join URL --keys
FILE`) in a file sealed exactly like `keys.enc` (scrypt + AES-256-GCM, `agent.secrets.keystore.PassphraseFile`)
under a passphrase the operator chooses for this one transfer. The new desk keeps the key in its own
keystore (OS keyring or keys.enc) like any desk; the transfer file can then be deleted.

Why a file and not the key wrapped in the database under a site passphrase: the database, and every
`pg_dump` of it, then never holds key material. A stolen backup stays unreadable however weak a
passphrase someone chose; with a wrapped key its safety would rest on that passphrase alone against
offline guessing, for as long as the backup exists. The database's administrator cannot read the
register either. The cost is carrying a file once per new desk (USB stick, scp).

The device's signing key does not travel: it is sealed with the master key in the store itself
(`uploader.device`), so once a desk has the master key it also sends as the site's one enrolled device.
"""

from __future__ import annotations

import os
from pathlib import Path

from agent.domain.errors import KeystoreError, TransferError
from agent.secrets.keystore import MASTER_KEY_NAME, PassphraseFile
from agent.validation.passphrase import check_new_passphrase

PASSPHRASE_ENV = "DENGJI_TRANSFER_PASSPHRASE"


def write_transfer(path: Path, passphrase: str, master_key: bytes) -> None:
    """Seal `master_key` into a new file at `path` (an existing file is never overwritten)."""
    problem = check_new_passphrase(passphrase)  # the one rule: the file may travel on a USB stick
    if problem:
        raise TransferError.from_problem(problem)
    if path.exists():
        raise TransferError(f"文件已存在: {path}，请换一个文件名", f"{path} exists already: choose another name",
                            code="keys.transfer.exists")
    PassphraseFile(path, passphrase).set(MASTER_KEY_NAME, master_key)
    os.chmod(path, 0o600)


def read_transfer(path: Path, passphrase: str) -> bytes:
    """The master key sealed in the transfer file at `path`."""
    if not path.is_file():
        raise TransferError(f"找不到密钥转移文件: {path}", f"no transfer file at {path}", code="keys.transfer.missing")
    try:
        key = PassphraseFile(path, passphrase).get(MASTER_KEY_NAME)
    except KeystoreError:
        key = None
    if key is None:
        raise TransferError(f"无法打开密钥转移文件 {path}：转移口令不对，或文件已损坏",
                            f"cannot open the transfer file {path}: wrong transfer passphrase, or the file is "
                            f"damaged; set {PASSPHRASE_ENV} or type it at the prompt", code="keys.transfer.unopenable")
    return key
