"""The cryptography we rely on, checked against published test vectors (files in tests/data/vectors)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from protocol.keys import CipherSuite, hybrid_private_key, hybrid_public_bytes, load_public_key

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def x(hex_text: str) -> bytes:
    return bytes.fromhex(hex_text)


def test_hpke_opens_the_rfc9180_vector_of_our_baseline_suite() -> None:
    v = load("rfc9180_x25519_sha256_aes256gcm.json")
    assert (v["mode"], v["kem_id"], v["kdf_id"], v["aead_id"]) == (0, 32, 1, 2)
    recipient = x25519.X25519PrivateKey.from_private_bytes(x(v["skRm"]))
    assert recipient.public_key().public_bytes_raw() == x(v["pkRm"])
    first = v["encryption_0"]
    suite = CipherSuite.X25519.hpke_suite
    # The vector's first message carries AAD "Count-0"; the single-shot API binds none, so the vector is
    # opened through the library's AAD-taking entry point (the same code path, one more argument).
    opened = rust_openssl.hpke._decrypt_with_aad(suite, x(v["enc"] + first["ciphertext"]), recipient,
                                                  info=x(v["info"]), aad=x(first["aad"]))
    assert opened == x(first["plaintext"])
    tampered = x(v["enc"] + first["ciphertext"][:-2] + "00")
    with pytest.raises(InvalidTag):
        rust_openssl.hpke._decrypt_with_aad(suite, tampered, recipient, info=x(v["info"]), aad=x(first["aad"]))


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), b"HPKE-v1" + suite_id + label + ikm, hashlib.sha256).digest()


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    message, block, out, counter = length.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info, b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + message + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def test_the_vector_file_is_internally_consistent_with_rfc9180_key_schedule() -> None:
    """Re-derive the vector's secrets from skEm and pkRm with RFC 9180 section 4 and 5 written out:
    a transcription error in the data file would fail here, not pass silently above."""
    v = load("rfc9180_x25519_sha256_aes256gcm.json")
    ephemeral = x25519.X25519PrivateKey.from_private_bytes(x(v["skEm"]))
    assert ephemeral.public_key().public_bytes_raw() == x(v["enc"])
    kem_id = b"KEM" + (32).to_bytes(2, "big")
    dh = ephemeral.exchange(x25519.X25519PublicKey.from_public_bytes(x(v["pkRm"])))
    eae_prk = _labeled_extract(kem_id, b"", b"eae_prk", dh)
    shared = _labeled_expand(kem_id, eae_prk, b"shared_secret", x(v["enc"]) + x(v["pkRm"]), 32)
    assert shared == x(v["shared_secret"])
    suite_id = b"HPKE" + (32).to_bytes(2, "big") + (1).to_bytes(2, "big") + (2).to_bytes(2, "big")
    context = (b"\x00" + _labeled_extract(suite_id, b"", b"psk_id_hash", b"")
               + _labeled_extract(suite_id, b"", b"info_hash", x(v["info"])))
    assert context == x(v["key_schedule_context"])
    secret = _labeled_extract(suite_id, shared, b"secret", b"")
    assert secret == x(v["secret"])
    assert _labeled_expand(suite_id, secret, b"key", context, 32) == x(v["key"])
    assert _labeled_expand(suite_id, secret, b"base_nonce", context, 12) == x(v["base_nonce"])


def test_the_hybrid_key_encoding_matches_draft_ietf_hpke_pq() -> None:
    v = load("hpke_pq_mlkem768_x25519_key.json")
    assert v["kem_id"] == 0x647A
    assert hybrid_public_bytes(x(v["skRm"])) == x(v["pkRm"])
    # and a message sealed to that published public key opens with the private key of the seed
    suite = CipherSuite.MLKEM768_X25519.hpke_suite
    public = load_public_key(CipherSuite.MLKEM768_X25519, x(v["pkRm"]))
    sealed = suite.encrypt(b"secret for decades", public, info=b"dengji/1|test")
    assert suite.decrypt(sealed, hybrid_private_key(x(v["skRm"])), info=b"dengji/1|test") == b"secret for decades"


@pytest.mark.parametrize("vector", load("rfc8032_ed25519.json")["vectors"], ids=lambda v: v["name"])
def test_ed25519_reproduces_rfc8032(vector: dict) -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(x(vector["secret_key"]))
    assert key.public_key().public_bytes_raw() == x(vector["public_key"])
    assert key.sign(x(vector["message"])) == x(vector["signature"])
    public = ed25519.Ed25519PublicKey.from_public_bytes(x(vector["public_key"]))
    public.verify(x(vector["signature"]), x(vector["message"]))
    with pytest.raises(InvalidSignature):
        public.verify(x(vector["signature"]), x(vector["message"]) + b"\x00")
