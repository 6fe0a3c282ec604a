"""The national cipher suite's primitives: SM2 (GB/T 32918), SM3 (GB/T 32905), SM4 (GB/T 32907) in GCM.

Which library does what (the comparison and its figures: docs/protocol.md, "The national suite"):

- SM3, HMAC-SM3 and SM4-GCM come from `cryptography` (OpenSSL 3), already the agent's library: the
  fastest of the candidates for bulk data and nothing new to ship;
- SM2 comes from `gmssl-pyx`, a C extension over GmSSL 3.2 (`cryptography` has no SM2): signatures with
  Z_A computed from an explicit signer ID, and public-key encryption. No SM2 in Python: too slow, and
  its big-integer arithmetic leaks the key through timing.

Encodings, said once and used everywhere (all of GM/T 0009-2012):

- an SM2 public key is the uncompressed point `04 || X || Y` (65 bytes), checked to be on the curve;
- an SM2 signature is DER, `SEQUENCE { r INTEGER, s INTEGER }` (section 7.3), over SM3(Z_A || M) with
  Z_A computed from the signer ID `1234567812345678` (section 10), which we pass explicitly: OpenSSL 3
  and some libraries default to an empty ID, and a signature made with one ID never verifies with another;
- an SM2 ciphertext is DER, `SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET
  STRING }`, i.e. C1 C3 C2 (section 7.2).

The seam for a certified module: whatever holds an SM2 private key is an `Sm2Key` (sign, decrypt, its
public key). `SoftwareSm2Key` keeps the key in memory; a GM/T 0018 (SDF) card or a GM/T 0016 (SKF) token
is another implementation of the same three methods (docs/protocol.md says how).

>>> key = SoftwareSm2Key.generate()
>>> key.public_key().verify(key.sign(b"hello"), b"hello")
True
>>> key.decrypt(key.public_key().encrypt(b"sixteen byte key"))
b'sixteen byte key'
>>> sm4_gcm_open(bytes(16), bytes(12), sm4_gcm_seal(bytes(16), bytes(12), b"body", b"aad"), b"aad")
b'body'
"""

from __future__ import annotations

import secrets
from typing import Protocol, runtime_checkable

import gmssl_pyx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SIGNER_ID = b"1234567812345678"  # GM/T 0009-2012 section 10: the ID when none is agreed
SM2_POINT_LENGTH = 65  # 04 || X || Y
SM2_PRIVATE_LENGTH = 32
SM4_KEY_LENGTH = 16
GCM_NONCE_LENGTH = 12  # RFC 8998 section 3.1: SM4-GCM with a 12-byte nonce and a 16-byte tag
GCM_TAG_LENGTH = 16
SM3_LENGTH = 32


class GmError(ValueError):
    """Bytes that are not what they should be (a key, a signature, a ciphertext); never echoes them."""


# --- SM3 and SM4 (cryptography) -----------------------------------------------------------------------

def sm3(data: bytes) -> bytes:
    """The SM3 digest (GB/T 32905) of `data`, 32 bytes."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) with SM3, 32 bytes."""
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def sm4_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """`ciphertext || tag` of SM4 in GCM mode (GB/T 32907, GCM as RFC 8998 uses it): 16-byte key,
    12-byte nonce, 16-byte tag. A nonce must never be used twice with one key."""
    if len(key) != SM4_KEY_LENGTH or len(nonce) != GCM_NONCE_LENGTH:
        raise GmError("SM4-GCM takes a 16-byte key and a 12-byte nonce")
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def sm4_gcm_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """The plaintext of `sm4_gcm_seal`'s output, or `GmError` if the tag does not check (wrong key,
    nonce or AAD, or altered bytes)."""
    if len(key) != SM4_KEY_LENGTH or len(nonce) != GCM_NONCE_LENGTH or len(sealed) < GCM_TAG_LENGTH:
        raise GmError("SM4-GCM takes a 16-byte key, a 12-byte nonce and a 16-byte tag")
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-GCM_TAG_LENGTH:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(sealed[:-GCM_TAG_LENGTH]) + decryptor.finalize()
    except InvalidTag:
        raise GmError("SM4-GCM tag does not check") from None


# --- SM2 (gmssl-pyx over GmSSL) -----------------------------------------------------------------------

class Sm2PublicKey:
    """An SM2 public key on the recommended curve (GB/T 32918.5): verifies signatures, encrypts."""

    __slots__ = ("point",)

    def __init__(self, point: bytes) -> None:
        """`point` is `04 || X || Y`; anything else, or a point off the curve, is a `GmError`."""
        if not isinstance(point, bytes) or len(point) != SM2_POINT_LENGTH or point[0] != 4:
            raise GmError("an SM2 public key is 65 bytes: 04 || X || Y")
        try:
            gmssl_pyx.normalize_sm2_public_key(point)  # checks that the point is on the curve
        except gmssl_pyx.InvalidValueError:
            raise GmError("not a point of the SM2 curve") from None
        self.point = point

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sm2PublicKey) and other.point == self.point

    def __hash__(self) -> int:
        return hash(self.point)

    def verify(self, signature: bytes, message: bytes, signer_id: bytes = SIGNER_ID) -> bool:
        """Whether `signature` (DER) is this key's SM2-with-SM3 signature of `message` under `signer_id`."""
        try:
            return bool(gmssl_pyx.sm2_verify(self.point[1:], message, signature, signer_id=signer_id))
        except (gmssl_pyx.GmsslInnerError, ValueError, TypeError):
            return False

    def encrypt(self, plaintext: bytes) -> bytes:
        """SM2 public-key encryption (GB/T 32918.4) of a short secret (1 to 255 bytes), DER C1 C3 C2."""
        if not 0 < len(plaintext) <= 255:
            raise GmError("SM2 encryption here takes 1 to 255 bytes: a key, not a message")
        return bytes(gmssl_pyx.sm2_encrypt(self.point[1:], plaintext))


@runtime_checkable
class Sm2Key(Protocol):
    """Whatever holds an SM2 private key: the seam where a certified module (GM/T 0018 SDF, GM/T 0016
    SKF) takes the software key's place. The private key never leaves it; these three are all the
    protocol asks of it."""

    def public_key(self) -> Sm2PublicKey:
        """The public half, to send and to verify with."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The DER SM2 signature of `message` with SM3, Z_A from `SIGNER_ID`."""
        ...

    def decrypt(self, ciphertext: bytes) -> bytes:
        """The plaintext of a DER C1 C3 C2 SM2 ciphertext made for this key, or `GmError`."""
        ...


class SoftwareSm2Key:
    """An SM2 key held in memory by GmSSL: the first `Sm2Key`. Its stored form (`to_bytes`) is the
    private scalar then the public point, `d (32) || 04 || X || Y`: GmSSL signs with both halves and
    has no call that derives the point from the scalar, and computing it in Python is what we avoid."""

    __slots__ = ("_private", "_public")

    def __init__(self, private: bytes, public: Sm2PublicKey) -> None:
        if len(private) != SM2_PRIVATE_LENGTH:
            raise GmError("an SM2 private key is 32 bytes")
        self._private = private
        self._public = public

    @classmethod
    def generate(cls) -> SoftwareSm2Key:
        """A new key from GmSSL's generator (the operating system's randomness)."""
        public, private = gmssl_pyx.sm2_key_generate()
        return cls(bytes(private), Sm2PublicKey(b"\x04" + bytes(public)))

    @classmethod
    def from_bytes(cls, raw: bytes) -> SoftwareSm2Key:
        """The key from `to_bytes`; `GmError` if the two halves do not belong together."""
        if len(raw) != SM2_PRIVATE_LENGTH + SM2_POINT_LENGTH:
            raise GmError("a stored SM2 key is 97 bytes: d || 04 || X || Y")
        key = cls(raw[:SM2_PRIVATE_LENGTH], Sm2PublicKey(raw[SM2_PRIVATE_LENGTH:]))
        probe = secrets.token_bytes(16)
        if not key.public_key().verify(key.sign(probe), probe):
            raise GmError("the SM2 private and public halves do not belong together")
        return key

    def to_bytes(self) -> bytes:
        return self._private + self._public.point

    def public_key(self) -> Sm2PublicKey:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return bytes(gmssl_pyx.sm2_sign(self._private, self._public.point[1:], message, signer_id=SIGNER_ID))

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return bytes(gmssl_pyx.sm2_decrypt(self._private, ciphertext))
        except (gmssl_pyx.GmsslInnerError, ValueError, TypeError):
            raise GmError("the SM2 ciphertext does not open with this key") from None
