"""The outsider our SM2/SM3/SM4 is checked against: the pure-Python `gmssl` 3.2.2 (tests only; the product
may not import it, an import-linter contract says so), and a GCM written here from NIST SP 800-38D over
its SM4 block function. Nothing of the product is used here, so that a fault shared by our libraries
(OpenSSL, GmSSL) cannot hide.

Two faults of `gmssl` 3.2.2 that the helpers work around: `CryptSM2` strips every leading "0" and "4"
of a public key given with its `04` prefix (`str.lstrip("04")`), so the key is set after construction;
its `decrypt` computes C3 but never compares it, so it is compared here.
"""

from __future__ import annotations

import binascii

from Cryptodome.Util.asn1 import DerInteger, DerOctetString, DerSequence
from gmssl import func, sm3
from gmssl import sm2 as pure_sm2
from gmssl import sm4 as pure_sm4

SIGNER_ID_HEX = "31323334353637383132333435363738"


def pure_sm3(data: bytes) -> bytes:
    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def crypt_sm2(private: bytes | None, point: bytes) -> pure_sm2.CryptSM2:
    """gmssl's SM2 object for a key (`point` is 04 || X || Y), signatures in DER (asn1), C1 C3 C2."""
    crypt = pure_sm2.CryptSM2(private_key=private.hex() if private else "", public_key="00", mode=1, asn1=True)
    crypt.public_key = point[1:].hex()
    return crypt


def pure_sign(private: bytes, point: bytes, message: bytes, k: str | None = None) -> bytes:
    """gmssl's DER signature of SM3(Z_A || message), Z_A from the ID 1234567812345678 (its only ID)."""
    return bytes.fromhex(crypt_sm2(private, point).sign_with_sm3(message, k))


def pure_verify(point: bytes, message: bytes, signature: bytes) -> bool:
    return bool(crypt_sm2(None, point).verify_with_sm3(signature.hex(), message))


def der_to_raw_ciphertext(der: bytes) -> bytes:
    """GM/T 0009's DER C1 C3 C2 as the raw x || y || C3 || C2."""
    x, y, c3, c2 = DerSequence().decode(der)
    return (x.to_bytes(32, "big") + y.to_bytes(32, "big") + DerOctetString().decode(c3).payload
            + DerOctetString().decode(c2).payload)


def raw_to_der_ciphertext(raw: bytes) -> bytes:
    return DerSequence([DerInteger(int.from_bytes(raw[:32], "big")), DerInteger(int.from_bytes(raw[32:64], "big")),
                        DerOctetString(raw[64:96]), DerOctetString(raw[96:])]).encode()


def pure_encrypt(point: bytes, plaintext: bytes) -> bytes:
    """gmssl's SM2 encryption, written as DER C1 C3 C2."""
    return raw_to_der_ciphertext(crypt_sm2(None, point).encrypt(plaintext))


def pure_decrypt(private: bytes, point: bytes, der: bytes) -> bytes:
    """gmssl's SM2 decryption of a DER C1 C3 C2, with the C3 check it leaves out."""
    raw = der_to_raw_ciphertext(der)
    crypt = crypt_sm2(private, point)
    plaintext = crypt.decrypt(raw)
    shared = crypt._kg(int(private.hex(), 16), raw[:64].hex())
    expected = pure_sm3(bytes.fromhex(shared[:64]) + plaintext + bytes.fromhex(shared[64:]))
    if expected != raw[64:96]:
        raise ValueError("C3 does not match")
    return plaintext


def sm4_block(key: bytes, block: bytes) -> bytes:
    cipher = pure_sm4.CryptSM4()
    cipher.set_key(key, pure_sm4.SM4_ENCRYPT)
    return bytes(cipher.one_round(cipher.sk, list(block)))


def _gf_mult(x: int, y: int) -> int:
    """Multiplication in GF(2^128) as SP 800-38D, algorithm 1."""
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ (0xE1 << 120) if v & 1 else v >> 1
    return z


def _ghash(h: int, data: bytes) -> int:
    y = 0
    for i in range(0, len(data), 16):
        y = _gf_mult(y ^ int.from_bytes(data[i:i + 16].ljust(16, b"\0"), "big"), h)
    return y


def _gctr(key: bytes, counter: int, data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 16):
        block = (counter & ~0xFFFFFFFF) | ((counter + i // 16) & 0xFFFFFFFF)
        stream = sm4_block(key, block.to_bytes(16, "big"))
        out += bytes(a ^ b for a, b in zip(data[i:i + 16], stream))
    return bytes(out)


def _tag(key: bytes, nonce: bytes, aad: bytes, ciphertext: bytes) -> bytes:
    h = int.from_bytes(sm4_block(key, bytes(16)), "big")
    pad = lambda data: data + bytes(-len(data) % 16)  # noqa: E731
    lengths = (len(aad) * 8).to_bytes(8, "big") + (len(ciphertext) * 8).to_bytes(8, "big")
    s = _ghash(h, pad(aad) + pad(ciphertext) + lengths)
    j0 = int.from_bytes(nonce + b"\0\0\0\1", "big")
    return (s ^ int.from_bytes(sm4_block(key, j0.to_bytes(16, "big")), "big")).to_bytes(16, "big")


def pure_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """SM4-GCM (12-byte nonce, 16-byte tag), `ciphertext || tag`."""
    j0 = int.from_bytes(nonce + b"\0\0\0\1", "big")
    ciphertext = _gctr(key, j0 + 1, plaintext)
    return ciphertext + _tag(key, nonce, aad, ciphertext)


def pure_gcm_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    ciphertext, tag = sealed[:-16], sealed[-16:]
    if _tag(key, nonce, aad, ciphertext) != tag:
        raise ValueError("tag does not match")
    j0 = int.from_bytes(nonce + b"\0\0\0\1", "big")
    return _gctr(key, j0 + 1, ciphertext)


def z_a(point: bytes, signer_id: bytes = b"1234567812345678") -> bytes:
    """Z_A of GB/T 32918.2 section 5.5 for the recommended curve, from the curve's parameters as gmssl
    writes them."""
    table = pure_sm2.default_ecc_table
    entl = (len(signer_id) * 8).to_bytes(2, "big")
    return pure_sm3(entl + signer_id + binascii.unhexlify(table["a"] + table["b"] + table["g"]) + point[1:])
