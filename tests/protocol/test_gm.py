"""SM2/SM3/SM4 (`protocol.gm`) against the standards' test vectors and against an outsider, both ways.

Vectors: GB/T 32905-2016 appendix A (SM3), GB/T 32907-2016 appendix A (SM4), RFC 8998 appendix A.1
(SM4-GCM), and the SM2 examples on the recommended curve of GB/T 32918.5-2017 / GM/T 0003.5-2012
(appendix A: signature, appendix C: encryption; the examples of GB/T 32918.2 and .4 themselves use a
test curve no production library takes, so they are run against the outsider only, which proves the
outsider). The outsider is the pure-Python `gmssl` (`tests/protocol/gm_outsider.py`).
"""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as pure_sm2

from protocol.gm import (
    SIGNER_ID,
    GmError,
    Sm2Key,
    Sm2PublicKey,
    SoftwareSm2Key,
    hmac_sm3,
    sm3,
    sm4_gcm_open,
    sm4_gcm_seal,
)
from tests.protocol.gm_outsider import (
    pure_decrypt,
    pure_encrypt,
    pure_gcm_open,
    pure_gcm_seal,
    pure_sign,
    pure_sm3,
    pure_verify,
    sm4_block,
    z_a,
)

h = bytes.fromhex

# GB/T 32918.5-2017 appendix A and C (= GM/T 0003.5-2012): the recommended curve.
D_A = h("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
P_A = h("04" "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
        "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
Z_A = h("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
E = h("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
R = h("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3")
S = h("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
# r and s as DER (GM/T 0009 section 7.3): both have their top bit set, so each takes a 00 byte.
SIGNATURE_DER = h("3046" "022100") + R + h("022100") + S
# Appendix C: "encryption standard" with the same key and k, as DER C1 C3 C2 (GM/T 0009 section 7.2).
CIPHERTEXT_DER = h("307C"
                   "0220" "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
                   "022100" "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
                   "0420" "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
                   "0413" "21886CA989CA9C7D58087307CA93092D651EFA")


# --- the standards' vectors ---------------------------------------------------------------------------

@pytest.mark.parametrize("message, digest", [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
])
def test_sm3_gives_the_digests_of_gbt_32905(message: bytes, digest: str) -> None:
    assert sm3(message).hex() == digest
    assert pure_sm3(message).hex() == digest


def test_sm4_gives_the_ciphertexts_of_gbt_32907() -> None:
    key = block = h("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert encryptor.update(block).hex() == "681edf34d206965e86b3e94f536e4246"
    assert sm4_block(key, block).hex() == "681edf34d206965e86b3e94f536e4246"
    for _ in range(1_000_000):  # example 2: the same key, 1 000 000 times over
        block = encryptor.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


RFC8998_KEY = h("0123456789ABCDEFFEDCBA9876543210")
RFC8998_NONCE = h("00001234567800000000ABCD")
RFC8998_AAD = h("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PLAINTEXT = h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
                      "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
RFC8998_SEALED = h("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
                   "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
                   "83DE3541E4C2B58177E065A9BF7B62EC")


def test_sm4_gcm_gives_the_ciphertext_and_tag_of_rfc_8998() -> None:
    assert sm4_gcm_seal(RFC8998_KEY, RFC8998_NONCE, RFC8998_PLAINTEXT, RFC8998_AAD) == RFC8998_SEALED
    assert sm4_gcm_open(RFC8998_KEY, RFC8998_NONCE, RFC8998_SEALED, RFC8998_AAD) == RFC8998_PLAINTEXT
    assert pure_gcm_seal(RFC8998_KEY, RFC8998_NONCE, RFC8998_PLAINTEXT, RFC8998_AAD) == RFC8998_SEALED


def test_sm4_gcm_refuses_altered_bytes_or_other_aad() -> None:
    altered = bytes([RFC8998_SEALED[0] ^ 1]) + RFC8998_SEALED[1:]
    with pytest.raises(GmError):
        sm4_gcm_open(RFC8998_KEY, RFC8998_NONCE, altered, RFC8998_AAD)
    with pytest.raises(GmError):
        sm4_gcm_open(RFC8998_KEY, RFC8998_NONCE, RFC8998_SEALED, b"another purpose")


def test_hmac_sm3_is_rfc_2104_over_sm3() -> None:
    key, message = os.urandom(20), os.urandom(100)
    inner = pure_sm3(bytes(b ^ 0x36 for b in key.ljust(64, b"\0")) + message)
    assert hmac_sm3(key, message) == pure_sm3(bytes(b ^ 0x5C for b in key.ljust(64, b"\0")) + inner)


def test_the_signature_example_of_gbt_32918_verifies_with_signer_id_1234567812345678() -> None:
    assert z_a(P_A) == Z_A and sm3(Z_A + b"message digest") == E  # the example's intermediate values
    assert Sm2PublicKey(P_A).verify(SIGNATURE_DER, b"message digest")
    assert not Sm2PublicKey(P_A).verify(SIGNATURE_DER, b"message digest", signer_id=b"ALICE123@YAHOO.COM")
    assert not Sm2PublicKey(P_A).verify(SIGNATURE_DER, b"message digest!")
    # The outsider, given the example's k, makes exactly the example's signature.
    assert pure_sign(D_A, P_A, b"message digest", K) == SIGNATURE_DER


def test_the_encryption_example_of_gbt_32918_decrypts() -> None:
    key = SoftwareSm2Key(D_A, Sm2PublicKey(P_A))
    assert key.decrypt(CIPHERTEXT_DER) == b"encryption standard"
    assert pure_decrypt(D_A, P_A, CIPHERTEXT_DER) == b"encryption standard"
    with pytest.raises(GmError):
        key.decrypt(CIPHERTEXT_DER[:-1] + bytes([CIPHERTEXT_DER[-1] ^ 1]))


def test_the_outsider_gives_the_examples_of_gbt_32918_2_on_its_test_curve() -> None:
    """GB/T 32918.2's own example (the 256-bit test curve, ID ALICE123@YAHOO.COM): no production library
    takes that curve, so this proves the outsider, which the tests below trust."""
    table = {"p": "8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3",
             "a": "787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498",
             "b": "63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A",
             "g": "421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D"
                  "0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2",
             "n": "8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7"}
    d = "128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263"
    point = ("0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A"
             "7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857")
    ident = b"ALICE123@YAHOO.COM"
    entl = (len(ident) * 8).to_bytes(2, "big")
    z = pure_sm3(entl + ident + h(table["a"] + table["b"] + table["g"] + point))
    e = pure_sm3(z + b"message digest")
    crypt = pure_sm2.CryptSM2(private_key=d, public_key="00", ecc_table=table)
    crypt.public_key = point.lower()
    signature = crypt.sign(e, "6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F")
    assert signature.upper() == ("40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1"
                                 "6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7")
    assert crypt.verify(signature, e)


# --- against the outsider, both ways ------------------------------------------------------------------

def test_what_we_sign_the_outsider_verifies_and_the_reverse() -> None:
    key = SoftwareSm2Key.generate()
    private, point = key.to_bytes()[:32], key.public_key().point
    for _ in range(3):
        message = os.urandom(200)
        assert pure_verify(point, message, key.sign(message))
        assert key.public_key().verify(pure_sign(private, point, message), message)
        assert not key.public_key().verify(pure_sign(private, point, message), message + b"x")


def test_what_we_encrypt_the_outsider_decrypts_and_the_reverse() -> None:
    key = SoftwareSm2Key.generate()
    private, point = key.to_bytes()[:32], key.public_key().point
    secret = os.urandom(16)
    assert pure_decrypt(private, point, key.public_key().encrypt(secret)) == secret
    assert key.decrypt(pure_encrypt(point, secret)) == secret


def test_sm3_sm4_and_gcm_agree_with_the_outsider() -> None:
    data, key, nonce, aad = os.urandom(1000), os.urandom(16), os.urandom(12), os.urandom(30)
    assert sm3(data) == pure_sm3(data)
    assert pure_gcm_open(key, nonce, sm4_gcm_seal(key, nonce, data, aad), aad) == data
    assert sm4_gcm_open(key, nonce, pure_gcm_seal(key, nonce, data, aad), aad) == data


# --- keys ---------------------------------------------------------------------------------------------

def test_the_software_key_is_the_seam_and_round_trips() -> None:
    key = SoftwareSm2Key.generate()
    assert isinstance(key, Sm2Key)
    again = SoftwareSm2Key.from_bytes(key.to_bytes())
    assert again.public_key() == key.public_key()
    other = SoftwareSm2Key.generate()
    with pytest.raises(GmError):  # a private half with another key's public half
        SoftwareSm2Key.from_bytes(key.to_bytes()[:32] + other.public_key().point)


@pytest.mark.parametrize("point", [b"", P_A[1:], b"\x02" + P_A[1:], P_A[:-1] + bytes([P_A[-1] ^ 1])])
def test_a_public_key_that_is_not_a_point_of_the_curve_is_refused(point: bytes) -> None:
    with pytest.raises(GmError):
        Sm2PublicKey(point)


def test_signer_id_is_gmt_0009_default() -> None:
    assert SIGNER_ID == b"1234567812345678"
