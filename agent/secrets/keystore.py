"""Where the agent's secrets live: the OS keyring, or an encrypted key file unlocked by a passphrase.

Secrets are the master key that encrypts personal data at rest (the device's signing key is sealed in the
store under it).
They must never sit on disk in plaintext. A desktop has an OS keyring (Windows Credential Manager,
macOS Keychain, Secret Service); a headless mini-PC or a CI box has none (`keyring` answers
`NoKeyringError`), so the fallback is a file in the home encrypted with AES-256-GCM under a key derived by
scrypt from a passphrase. The passphrase comes from `$DENGJI_PASSPHRASE`, from a systemd credential
(`$CREDENTIALS_DIRECTORY/dengji-passphrase`, set by `LoadCredential=`), or from an interactive prompt -
never a prompt in the unattended daemon.

The choice is recorded in the config (`keystore = "keyring"` or `"file"`) the first time, so a machine
never switches silently between the two and loses its key.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from agent.domain.errors import KeystoreError
from agent.home.config import write_atomically
from agent.home.private import private_folder
from agent.validation.passphrase import check_new_passphrase

KEY_FILE = "keys.enc"
# The secrets a home keeps; a backup carries each of them (agent.ops.backup).
MASTER_KEY_NAME = "master-key"  # the key of the store's field encryption (agent.store.vault)
SERVICE = "dengji"
PASSPHRASE_ENV = "DENGJI_PASSPHRASE"
CREDENTIAL_NAME = "dengji-passphrase"

_MAGIC = b"DJK1"
# scrypt cost: about 0.1 s and 16 MiB on a small PC; paid once per process start.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class Keystore(Protocol):
    """A small named-secret store."""

    description: str

    def get(self, name: str) -> bytes | None: ...

    def set(self, name: str, value: bytes) -> None: ...


class SystemKeyring:
    """Secrets in the OS keyring, one entry per secret, scoped to this home directory."""

    def __init__(self, home: Path) -> None:
        import keyring

        self._keyring = keyring
        self._scope = str(home)
        self.description = f"OS keyring ({type(keyring.get_keyring()).__module__})"

    def get(self, name: str) -> bytes | None:
        value = self._keyring.get_password(SERVICE, f"{self._scope}:{name}")
        return None if value is None else base64.b64decode(value)

    def set(self, name: str, value: bytes) -> None:
        self._keyring.set_password(SERVICE, f"{self._scope}:{name}", base64.b64encode(value).decode())


class PassphraseFile:
    """Secrets in one file encrypted with a key derived from a passphrase (scrypt + AES-256-GCM).

    Layout: magic, 16-byte salt, 12-byte nonce, then the AES-GCM ciphertext of a JSON object
    `{name: base64}`. The salt is kept for the life of the file; the nonce changes on every write.
    """

    def __init__(self, path: Path, passphrase: str) -> None:
        """Open the file at `path`, or prepare a new one there. A new file's passphrase must pass the one
        rule (`agent.validation.passphrase`), from wherever it came: checked here, before anything (the
        store beside it included) is made."""
        if not passphrase:
            raise KeystoreError("口令不能为空", "the passphrase must not be empty", code="keys.passphrase_empty")
        if not path.exists():
            problem = check_new_passphrase(passphrase)
            if problem is not None:
                raise KeystoreError.from_problem(problem)
        self.path = path
        self.description = f"encrypted key file {path}"
        self._passphrase = passphrase.encode("utf-8")
        self._salt: bytes | None = None
        self._entries: dict[str, str] = {}
        if path.exists():
            self._load()

    def _key(self) -> bytes:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        assert self._salt is not None
        return Scrypt(salt=self._salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(self._passphrase)

    def _load(self) -> None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        blob = self.path.read_bytes()
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 28 + 16:
            raise KeystoreError(f"密钥文件已损坏: {self.path}，请从备份恢复",
                                f"the key file {self.path} is damaged: restore it from a backup", code="keys.damaged")
        self._salt = blob[4:20]
        nonce, sealed = blob[20:32], blob[32:]
        try:
            plain = AESGCM(self._key()).decrypt(nonce, sealed, _MAGIC)
        except InvalidTag:
            raise KeystoreError(f"口令不对，无法打开密钥文件 {self.path}：请检查 {PASSPHRASE_ENV} 或 systemd 凭据",
                                f"wrong passphrase for the key file {self.path}: check {PASSPHRASE_ENV} or the "
                                "systemd credential", code="keys.wrong_passphrase") from None
        self._entries = json.loads(plain)

    def get(self, name: str) -> bytes | None:
        value = self._entries.get(name)
        return None if value is None else base64.b64decode(value)

    def set(self, name: str, value: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._salt is None:
            self._salt = os.urandom(16)
        self._entries[name] = base64.b64encode(value).decode()
        nonce = os.urandom(12)
        sealed = AESGCM(self._key()).encrypt(nonce, json.dumps(self._entries).encode(), _MAGIC)
        private_folder(self.path.parent)
        write_atomically(self.path, _MAGIC + self._salt + nonce + sealed)
        os.chmod(self.path, 0o600)


def os_keyring_usable() -> bool:
    """True when `keyring` has a real backend that keeps secrets encrypted.

    The `fail` backend (nothing installed), an empty chainer, and plaintext backends from keyrings.alt
    do not count: storing the master key in plaintext would defeat encryption at rest.
    """
    import keyring
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False
    return "plaintext" not in type(backend).__name__.lower()


def passphrase_from_environment() -> str | None:
    """The passphrase from `$DENGJI_PASSPHRASE` or a systemd credential file, if either is set."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        cred = Path(cred_dir) / CREDENTIAL_NAME
        if cred.is_file():
            return cred.read_text(encoding="utf-8").strip()
    return None


def open_keystore(
    home: Path, choice: str, prompt: Callable[[], str] | None = None
) -> tuple[Keystore, str]:
    """Open the keystore for a home and return it with the backend actually used (`keyring`/`file`).

    `choice` is the config's `keystore` value. With `auto`, an existing key file is used, else the OS
    keyring when usable, else a key file. `prompt` asks the operator for a passphrase when neither the
    environment nor a credential gives one; pass None in unattended processes.
    """
    key_file = home / KEY_FILE
    if choice == "auto":
        choice = "file" if key_file.exists() or not os_keyring_usable() else "keyring"
    if choice == "keyring":
        if not os_keyring_usable():
            raise KeystoreError(f"配置要求使用系统密钥环，但本机没有可用的密钥环：请设置 keystore = \"file\" 和 {PASSPHRASE_ENV}",
                                f"config says keystore = keyring, but this machine has no usable OS keyring: set "
                                f"keystore = \"file\" and {PASSPHRASE_ENV}", code="keys.no_keyring")
        return SystemKeyring(home), "keyring"
    if choice != "file":
        raise KeystoreError(f"keystore 只能是 auto、keyring 或 file，而不是 {choice!r}",
                            f"keystore must be auto, keyring or file, not {choice!r}", code="keys.backend")
    passphrase = passphrase_from_environment() or (prompt() if prompt else None)
    if not passphrase:
        raise KeystoreError(f"本机没有系统密钥环：请设置环境变量 {PASSPHRASE_ENV}（口令）来加密保存密钥，"
                            "或把它作为 systemd 凭据 dengji-passphrase 交给服务",
                            f"no OS keyring on this machine: set {PASSPHRASE_ENV} to a passphrase that encrypts the "
                            "key file, or hand it to the service as the systemd credential 'dengji-passphrase'",
                            code="keys.no_passphrase")
    return PassphraseFile(key_file, passphrase), "file"
