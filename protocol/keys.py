"""Keys of protocol v1: the device's signing key, the platform's sealing keys, the receipt key.

Three kinds of key, each with one job:

- the device key (Ed25519, RFC 8032): made on the venue's machine at enrollment; it signs every request,
  so the platform knows which venue sent it;
- the platform key (HPKE recipient key, RFC 9180): batches are sealed to it so that only the platform
  can read them. One key id carries a key per cipher suite the platform accepts: the X25519 baseline and
  the post-quantum hybrid ML-KEM-768 + X25519 (X-Wing, KEM id 0x647A, draft-ietf-hpke-pq), preferred
  because personal data recorded today must stay secret for decades; and the national suite's SM2 key
  (`protocol.gm`), for a platform that must use SM2/SM3/SM4 (GB/T 39786);
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

from protocol.gm import GmError, Sm2Key, Sm2PublicKey, SoftwareSm2Key, sm3


class CipherSuite(StrEnum):
    """The suites of protocol v1: two HPKE suites (base mode), named by KEM / KDF / AEAD, and the national
    suite (SM2 key transport, SM4-GCM, SM3; `protocol.sealing` and docs/protocol.md section 12)."""

    MLKEM768_X25519 = "MLKEM768-X25519/HKDF-SHA256/AES-256-GCM"  # KEM 0x647A, KDF 0x0001, AEAD 0x0002
    X25519 = "DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM"  # KEM 0x0020, KDF 0x0001, AEAD 0x0002
    GM = "SM2/SM3/SM4-GCM"  # GB/T 32918 (SM2), GB/T 32905 (SM3), GB/T 32907 (SM4) in GCM

    @property
    def hpke_suite(self) -> hpke.Suite:
        if self is CipherSuite.GM:
            raise ValueError("the national suite is not an HPKE suite")
        kem = hpke.KEM.MLKEM768_X25519 if self is CipherSuite.MLKEM768_X25519 else hpke.KEM.X25519
        return hpke.Suite(kem, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

    @property
    def signature_algorithm(self) -> str:
        """The algorithm that signs a request sealed with this suite, and the platform's answer to it."""
        return SM2_SM3 if self is CipherSuite.GM else ED25519


ED25519 = "ed25519"
SM2_SM3 = "sm2-sm3"  # SM2 signature with SM3 (GB/T 32918.2), Z_A from the ID 1234567812345678, DER

# Best first: when both sides offer the hybrid, it is used. The national suite is used when a platform
# offers only it (a platform assessed under GB/T 39786 requires it: `serve --require-suite gm`).
SUITE_PREFERENCE: tuple[CipherSuite, ...] = (CipherSuite.MLKEM768_X25519, CipherSuite.X25519, CipherSuite.GM)
SUITE_ALIASES = {"gm": CipherSuite.GM}  # short names an operator may type for `--require-suite`

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


def sm2_public_text(key: Sm2Key | Sm2PublicKey) -> str:
    """The SM2 public key as base64 of the uncompressed point `04 || X || Y`, as sent at enrollment."""
    public = key if isinstance(key, Sm2PublicKey) else key.public_key()
    return b64encode(public.point)


def load_sm2_public(text: object, what: str = "SM2 public key") -> Sm2PublicKey:
    """An SM2 public key from `sm2_public_text`, checked to be a point of the curve."""
    try:
        return Sm2PublicKey(b64decode(text, what))
    except GmError:
        raise KeyFormatError(f"{what} must be an uncompressed point of the SM2 curve (04 || X || Y)") from None


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


RecipientPublic = x25519.X25519PublicKey | hpke.MLKEM768X25519PublicKey | Sm2PublicKey


def load_public_key(suite: CipherSuite, raw: bytes) -> RecipientPublic:
    """The recipient public key for `suite` from its raw encoding."""
    try:
        if suite is CipherSuite.GM:
            return Sm2PublicKey(raw)
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
    except ValueError:  # GmError included
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
        """The best suite both sides have: the hybrid when both offer it, else the X25519 baseline, else
        the national suite (a platform that offers only it gets it, without any setting)."""
        for suite in SUITE_PREFERENCE:
            if suite in supported and suite in self.suites:
                return suite
        raise KeyFormatError("no cipher suite in common with the platform")

    def public_key(self, suite: CipherSuite) -> RecipientPublic:
        return load_public_key(suite, self.suites[suite])


@dataclass(frozen=True)
class PlatformSecret:
    """The platform's private half of one key id: an X25519 key, an X-Wing seed and an SM2 key (its
    stored form, `protocol.gm.SoftwareSm2Key.to_bytes`; empty for a key made before the national suite)."""

    key_id: str
    x25519_private: bytes
    xwing_seed: bytes
    created_at: str
    sm2_key: bytes = b""
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without the cache of key objects (which do not pickle): a worker process rebuilds them.
        return (PlatformSecret, (self.key_id, self.x25519_private, self.xwing_seed, self.created_at, self.sm2_key))

    def private_key(self, suite: CipherSuite) -> x25519.X25519PrivateKey | hpke.MLKEM768X25519PrivateKey | Sm2Key:
        """The recipient key for `suite`, built once (the hybrid key expansion costs a little). For the
        national suite an `Sm2Key`: where a GM/T 0018 cipher card would take the software key's place."""
        if suite.value not in self._cache:
            if suite is CipherSuite.X25519:
                self._cache[suite.value] = x25519.X25519PrivateKey.from_private_bytes(self.x25519_private)
            elif suite is CipherSuite.GM:
                if not self.sm2_key:
                    raise KeyFormatError("this platform key has no SM2 half")
                self._cache[suite.value] = SoftwareSm2Key.from_bytes(self.sm2_key)
            else:
                self._cache[suite.value] = hybrid_private_key(self.xwing_seed)
        return self._cache[suite.value]

    def public(self) -> PlatformKey:
        classic = x25519.X25519PrivateKey.from_private_bytes(self.x25519_private)
        suites = {CipherSuite.MLKEM768_X25519: hybrid_public_bytes(self.xwing_seed),
                  CipherSuite.X25519: classic.public_key().public_bytes_raw()}
        if self.sm2_key:
            suites[CipherSuite.GM] = self.sm2_key[-65:]  # the public point ends the stored form
        return PlatformKey(self.key_id, suites, self.created_at)


def generate_platform_secret(key_id: str, created_at: str) -> PlatformSecret:
    return PlatformSecret(key_id, x25519.X25519PrivateKey.generate().private_bytes_raw(),
                          secrets.token_bytes(XWING_SEED_LENGTH), created_at, SoftwareSm2Key.generate().to_bytes())


# --- receipt key --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiptKey:
    """The platform's answer-signing key: Ed25519, and beside it under the same key id an SM2 key that
    signs the answers to requests in the national suite (its stored form, empty for a key made before
    that suite); venues pin the public halves at enrollment."""

    key_id: str
    private: bytes
    sm2_key: bytes = b""

    @functools.cached_property
    def signer(self) -> ed25519.Ed25519PrivateKey:
        # Built once: deriving the key object costs more than a signature, and every batch answer signs.
        return ed25519.Ed25519PrivateKey.from_private_bytes(self.private)

    @functools.cached_property
    def sm2_signer(self) -> Sm2Key:
        """The SM2 half (where a GM/T 0018 cipher card would take the software key's place)."""
        if not self.sm2_key:
            raise KeyFormatError("this receipt key has no SM2 half")
        return SoftwareSm2Key.from_bytes(self.sm2_key)

    def public_text(self) -> str:
        return public_key_text(self.signer)

    def sm2_public_text(self) -> str:
        """The SM2 half's public point as base64, or "" when the key has none."""
        return b64encode(self.sm2_key[-65:]) if self.sm2_key else ""


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


def sm2_fingerprint(sm2_public_key: str) -> str:
    """The fingerprint of an SM2 receipt key (base64 point) for a platform in the national suite: as
    `key_fingerprint`, with SM3 in place of SHA-256, so that nothing outside the suite vouches for it."""
    digest = int.from_bytes(sm3(b64decode(sm2_public_key, "public key"))[:10], "big")
    text = "".join(_FINGERPRINT_ALPHABET[(digest >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def generate_receipt_key(key_id: str) -> ReceiptKey:
    return ReceiptKey(key_id, ed25519.Ed25519PrivateKey.generate().private_bytes_raw(),
                      SoftwareSm2Key.generate().to_bytes())
