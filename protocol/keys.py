"""Keys of protocol v1: the device's signing key, the platform's sealing keys, the receipt key.

Three kinds of key, each with one job:

- the device key (Ed25519, RFC 8032): made on the venue's machine at enrollment; it signs every request,
  so the platform knows which venue sent it;
- the platform key (HPKE recipient key, RFC 9180): batches are sealed to it so that only the platform
  can read them. One key id carries a key per cipher suite the platform accepts: the X25519 baseline and
  the post-quantum hybrid ML-KEM-768 + X25519 (X-Wing, KEM id 0x647A, draft-ietf-hpke-pq), preferred
  because personal data recorded today must stay secret for decades;
- the receipt key (Ed25519): signs the platform's answers, so that a venue holds proof that it reported.

Raw key bytes travel as standard base64 (RFC 4648, padded). A hybrid private key is kept as its 32-byte X-Wing
seed and a hybrid public key is `ML-KEM-768 public key (1184 bytes) || X25519 public key (32 bytes)`, the
encodings of draft-ietf-hpke-pq, so any conforming implementation can interoperate.

>>> key = generate_platform_secret("k1", created_at="2025-01-01T00:00:00+08:00")
>>> public = key.public()
>>> sorted(public.suites) == sorted(CipherSuite)
True
>>> PlatformKey.from_dict(public.as_dict()) == public
True
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519


class CipherSuite(StrEnum):
    """HPKE suites of protocol v1, named by KEM / KDF / AEAD. All use base mode."""

    MLKEM768_X25519 = "MLKEM768-X25519/HKDF-SHA256/AES-256-GCM"  # KEM 0x647A, KDF 0x0001, AEAD 0x0002
    X25519 = "DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM"  # KEM 0x0020, KDF 0x0001, AEAD 0x0002

    @property
    def hpke_suite(self) -> hpke.Suite:
        kem = hpke.KEM.MLKEM768_X25519 if self is CipherSuite.MLKEM768_X25519 else hpke.KEM.X25519
        return hpke.Suite(kem, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


# Best first: when both sides offer the hybrid, it is used.
SUITE_PREFERENCE: tuple[CipherSuite, ...] = (CipherSuite.MLKEM768_X25519, CipherSuite.X25519)

X25519_PUBLIC_LENGTH = 32
XWING_SEED_LENGTH = 32
XWING_PUBLIC_LENGTH = 1184 + 32


class KeyFormatError(ValueError):
    """Key bytes that are not a key of the expected kind; says which, never echoes the bytes."""


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object, what: str) -> bytes:
    """Strict standard base64 (with padding); anything else is a `KeyFormatError` naming `what`."""
    if not isinstance(text, str):
        raise KeyFormatError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise KeyFormatError(f"{what} is not valid base64") from None


# --- device key ---------------------------------------------------------------------------------------

def generate_device_key() -> ed25519.Ed25519PrivateKey:
    """A new device signing key; the venue keeps it secret (the agent stores it in its keyring)."""
    return ed25519.Ed25519PrivateKey.generate()


def device_key_from_bytes(raw: bytes) -> ed25519.Ed25519PrivateKey:
    """The device key from its 32 raw private bytes (as kept in the agent's keyring)."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey) -> str:
    """The raw 32-byte Ed25519 public key as base64, as sent at enrollment and printed for humans."""
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    return b64encode(public.public_bytes_raw())


def load_ed25519_public(text: object, what: str = "public key") -> ed25519.Ed25519PublicKey:
    raw = b64decode(text, what)
    if len(raw) != 32:
        raise KeyFormatError(f"{what} must be 32 bytes")
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


# --- platform sealing key -----------------------------------------------------------------------------

def _xwing_components(seed: bytes) -> tuple[mlkem.MLKEM768PrivateKey, x25519.X25519PrivateKey]:
    """X-Wing's seed expansion (draft-connolly-cfrg-xwing-kem): SHAKE256(seed, 96) = ML-KEM seed || X25519."""
    expanded = hashlib.shake_256(seed).digest(96)
    return (mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]),
            x25519.X25519PrivateKey.from_private_bytes(expanded[64:]))


def hybrid_private_key(seed: bytes) -> hpke.MLKEM768X25519PrivateKey:
    """The ML-KEM-768 + X25519 private key of a 32-byte X-Wing seed."""
    if len(seed) != XWING_SEED_LENGTH:
        raise KeyFormatError("hybrid key seed must be 32 bytes")
    return hpke.MLKEM768X25519PrivateKey(*_xwing_components(seed))


def hybrid_public_bytes(seed: bytes) -> bytes:
    """The hybrid public key `pk_ML-KEM || pk_X25519` (1216 bytes) of an X-Wing seed."""
    pq, classic = _xwing_components(seed)
    return pq.public_key().public_bytes_raw() + classic.public_key().public_bytes_raw()


def load_public_key(suite: CipherSuite, raw: bytes) -> x25519.X25519PublicKey | hpke.MLKEM768X25519PublicKey:
    """The HPKE recipient public key for `suite` from its raw encoding."""
    try:
        if suite is CipherSuite.X25519:
            if len(raw) != X25519_PUBLIC_LENGTH:
                raise KeyFormatError("X25519 public key must be 32 bytes")
            return x25519.X25519PublicKey.from_public_bytes(raw)
        if len(raw) != XWING_PUBLIC_LENGTH:
            raise KeyFormatError("hybrid public key must be 1216 bytes")
        return hpke.MLKEM768X25519PublicKey(mlkem.MLKEM768PublicKey.from_public_bytes(raw[:1184]),
                                            x25519.X25519PublicKey.from_public_bytes(raw[1184:]))
    except KeyFormatError:
        raise
    except ValueError:
        raise KeyFormatError(f"not a {suite.value} public key") from None


@dataclass(frozen=True)
class PlatformKey:
    """What a venue knows of a platform sealing key: its id and a public key per accepted suite."""

    key_id: str
    suites: Mapping[CipherSuite, bytes]
    published_at: str = ""  # when the platform published the key: a newer key has a later one
    expires_at: str = ""  # until when its announcement may be adopted (`protocol.receipts.adopt_platform_key`)

    def as_dict(self) -> dict[str, Any]:
        value = {"key_id": self.key_id, "published_at": self.published_at,
                 "suites": {suite.value: b64encode(raw) for suite, raw in self.suites.items()}}
        if self.expires_at:
            value["expires_at"] = self.expires_at
        return value

    @classmethod
    def from_dict(cls, value: object) -> PlatformKey:
        """Read a key announcement; unknown suites (from a newer platform) are skipped, not refused."""
        if not isinstance(value, dict) or not isinstance(value.get("key_id"), str) \
                or not isinstance(value.get("suites"), dict):
            raise KeyFormatError("platform key must have a key_id and suites")
        suites: dict[CipherSuite, bytes] = {}
        for name, text in value["suites"].items():
            if name in CipherSuite._value2member_map_:
                suite = CipherSuite(name)
                raw = b64decode(text, f"{name} public key")
                load_public_key(suite, raw)
                suites[suite] = raw
        if not suites:
            raise KeyFormatError("platform key offers no suite this side knows")
        published_at, expires_at = value.get("published_at", ""), value.get("expires_at", "")
        return cls(value["key_id"], suites, published_at if isinstance(published_at, str) else "",
                   expires_at if isinstance(expires_at, str) else "")

    def choose_suite(self, supported: tuple[CipherSuite, ...] = SUITE_PREFERENCE) -> CipherSuite:
        """The best suite both sides have: the hybrid when both offer it, else the X25519 baseline."""
        for suite in SUITE_PREFERENCE:
            if suite in supported and suite in self.suites:
                return suite
        raise KeyFormatError("no cipher suite in common with the platform")

    def public_key(self, suite: CipherSuite) -> x25519.X25519PublicKey | hpke.MLKEM768X25519PublicKey:
        return load_public_key(suite, self.suites[suite])


@dataclass(frozen=True)
class PlatformSecret:
    """The platform's private half of one key id: an X25519 key and an X-Wing seed."""

    key_id: str
    x25519_private: bytes
    xwing_seed: bytes
    created_at: str
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without the cache of key objects (which do not pickle): a worker process rebuilds them.
        return (PlatformSecret, (self.key_id, self.x25519_private, self.xwing_seed, self.created_at))

    def private_key(self, suite: CipherSuite) -> x25519.X25519PrivateKey | hpke.MLKEM768X25519PrivateKey:
        """The recipient key for `suite`, built once (the hybrid key expansion costs a little)."""
        if suite.value not in self._cache:
            if suite is CipherSuite.X25519:
                self._cache[suite.value] = x25519.X25519PrivateKey.from_private_bytes(self.x25519_private)
            else:
                self._cache[suite.value] = hybrid_private_key(self.xwing_seed)
        return self._cache[suite.value]

    def public(self) -> PlatformKey:
        classic = x25519.X25519PrivateKey.from_private_bytes(self.x25519_private)
        return PlatformKey(self.key_id, {
            CipherSuite.MLKEM768_X25519: hybrid_public_bytes(self.xwing_seed),
            CipherSuite.X25519: classic.public_key().public_bytes_raw(),
        }, self.created_at)


def generate_platform_secret(key_id: str, created_at: str) -> PlatformSecret:
    return PlatformSecret(key_id, x25519.X25519PrivateKey.generate().private_bytes_raw(),
                          secrets.token_bytes(XWING_SEED_LENGTH), created_at)


# --- receipt key --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiptKey:
    """The platform's answer-signing key (Ed25519); venues pin its public half at enrollment."""

    key_id: str
    private: bytes

    @functools.cached_property
    def signer(self) -> ed25519.Ed25519PrivateKey:
        # Built once: deriving the key object costs more than a signature, and every batch answer signs.
        return ed25519.Ed25519PrivateKey.from_private_bytes(self.private)

    def public_text(self) -> str:
        return public_key_text(self.signer)


_FINGERPRINT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as enrollment codes


def key_fingerprint(public_key: str) -> str:
    """A short fingerprint of an Ed25519 public key (base64): the first 80 bits of its SHA-256 in
    Crockford base32, in four groups, e.g. `3F9A-QK2M-7TXC-0H5R`. The police station hands it over with
    the enrollment code, so that the agent can check it enrolls with the platform the station meant;
    matching 80 bits takes a forger 2^80 keys.

    >>> len(key_fingerprint(public_key_text(generate_device_key())))
    19
    """
    digest = int.from_bytes(hashlib.sha256(b64decode(public_key, "public key")).digest()[:10], "big")
    text = "".join(_FINGERPRINT_ALPHABET[(digest >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def same_fingerprint(typed: str, fingerprint: str) -> bool:
    """Whether a fingerprint as typed (any case, with or without dashes and spaces, O for 0, I or L for
    1) is `fingerprint`."""
    compact = typed.upper().translate(str.maketrans("OIL", "011", "- \t"))
    return compact == fingerprint.replace("-", "")


def generate_receipt_key(key_id: str) -> ReceiptKey:
    return ReceiptKey(key_id, ed25519.Ed25519PrivateKey.generate().private_bytes_raw())
