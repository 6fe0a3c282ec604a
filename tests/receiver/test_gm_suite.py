"""The national suite at the platform: a real receiver on 127.0.0.1, devices speaking through `protocol`.

One of the devices holds its SM2 key in the outsider (the pure-Python gmssl, `OutsiderSm2Key`): it plugs
into the same seam a certified module would, and the platform takes its signatures and what it seals
exactly as its own.
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from typing import Any

import pytest

from protocol.enrollment import ENROLL_PATH, enroll_request
from protocol.gm import GmError, Sm2PublicKey, SoftwareSm2Key
from protocol.keys import SUITE_PREFERENCE, CipherSuite, generate_device_key
from protocol.messages import Batch
from protocol.permits import PERMIT_CHECKS_PATH, permit_check_query, read_permit_answer, seal_permit_check
from protocol.receipts import verify_platform_key, verify_receipts
from protocol.sealing import BATCH, SealedBatch, info
from protocol.signatures import sign_request
from receiver.app import Settings
from receiver.enrollment import issue_code
from tests.protocol.gm_outsider import (
    crypt_sm2,
    pure_decrypt,
    pure_encrypt,
    pure_gcm_open,
    pure_gcm_seal,
    pure_sign,
)

GM_ONLY = Settings(required_suite=CipherSuite.GM)


class OutsiderSm2Key:
    """An `Sm2Key` whose every operation is the pure-Python gmssl's: a stand-in for a certified module."""

    def __init__(self) -> None:
        software = SoftwareSm2Key.generate()  # only to draw a key pair; nothing of it signs or decrypts
        raw = software.to_bytes()
        self.private, self.point = raw[:32], raw[32:]

    def public_key(self) -> Sm2PublicKey:
        return Sm2PublicKey(self.point)

    def sign(self, message: bytes) -> bytes:
        return pure_sign(self.private, self.point, message)

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return pure_decrypt(self.private, self.point, ciphertext)
        except ValueError:
            raise GmError("does not open") from None


def outsider_seal(batch: Batch, key_id: str, point: bytes) -> SealedBatch:
    """A batch sealed by the outsider alone, as docs/protocol.md section 12 describes the envelope."""
    key, nonce = uuid.uuid4().bytes, uuid.uuid4().bytes[:12]
    wrapped = pure_encrypt(point, key)
    aad = info(BATCH, key_id, batch.device_id) + wrapped
    body = wrapped + nonce + pure_gcm_seal(key, nonce, zlib.compress(batch.to_json()), aad)
    return SealedBatch(key_id, CipherSuite.GM, body, batch.batch_id)


async def test_health_and_enrollment_offer_only_the_national_suite(start_receiver) -> None:
    receiver = await start_receiver(GM_ONLY)
    health = (await receiver.request("GET", "/v1/health")).json()
    assert health["suites"] == ["SM2/SM3/SM4-GCM"]
    device = await receiver.enroll()
    assert device.enrollment.suites == ("SM2/SM3/SM4-GCM",)
    assert set(device.enrollment.platform_key.suites) == {CipherSuite.GM}
    stored = receiver.storage.device(device.device_id)
    assert base64.b64decode(stored.sm2_public_key) == device.sm2_key.public_key().point


async def test_enrollment_without_an_sm2_key_or_with_a_bad_one_is_refused(start_receiver) -> None:
    receiver = await start_receiver(GM_ONLY)

    async def enroll(**extra: Any) -> Any:
        code = issue_code(receiver.storage, "测试旅馆", None, receiver.clock())
        body = {**enroll_request(code, {"kind": "hotel", "name": "测试旅馆"}, generate_device_key()), **extra}
        return await receiver.request("POST", ENROLL_PATH, json.dumps(body).encode(),
                                      {"Content-Type": "application/json"})

    reply = await enroll()  # an agent from before the national suite
    assert (reply.status, reply.code) == (400, "seal.suite_required")
    assert reply.json()["required_suite"] == "SM2/SM3/SM4-GCM"
    reply = await enroll(sm2_public_key=base64.b64encode(b"\x04" + bytes(64)).decode())  # not on the curve
    assert (reply.status, reply.code) == (400, "enroll.bad_request")
    assert reply.json()["error"]["field"] == "sm2_public_key"


async def test_a_batch_in_the_national_suite_is_recorded_and_answered_in_sm2(start_receiver, events) -> None:
    receiver = await start_receiver(GM_ONLY)
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.registration("R1"), events.registration("R2")])
    assert sealed.suite is CipherSuite.GM
    headers = receiver.signed_headers(device, sealed)
    assert 'alg="sm2-sm3"' in headers["Signature-Input"] and headers["Content-Digest"].startswith("sm3=:")
    reply = await receiver.send(device, sealed)
    assert reply.status == 200, reply.body
    answer = reply.json()
    assert answer["alg"] == "sm2-sm3" and answer["platform_key"]["alg"] == "sm2-sm3"
    receipts = verify_receipts(answer, device.receipt_key, device.device_id, sealed.batch_id)
    assert [r.status.value for r in receipts] == ["accepted", "accepted"]
    announced = verify_platform_key(answer["platform_key"], device.receipt_key)
    assert set(announced.suites) == {CipherSuite.GM}
    again = await receiver.send(device, sealed)  # the same batch: the same answer, signed the same way
    assert json.loads(again.body)["statement"] == answer["statement"]


async def test_other_suites_and_other_signatures_are_refused(start_receiver, events) -> None:
    receiver = await start_receiver(GM_ONLY)
    device = await receiver.enroll()
    platform_key = device.enrollment.platform_key
    # A hybrid batch (as an agent sealing to an older announcement would): refused, the suite named.
    mixed = await start_receiver()
    other = await mixed.enroll()
    hybrid = mixed.seal(other, [events.registration()])
    hybrid = SealedBatch(platform_key.key_id, hybrid.suite, hybrid.body, hybrid.batch_id)
    headers = sign_request("POST", "/v1/batches", hybrid.body, device.key, device.device_id, receiver.clock(),
                           hybrid.headers())
    reply = await receiver.request("POST", "/v1/batches", hybrid.body, headers)
    assert (reply.status, reply.code) == (400, "seal.suite_required")
    assert reply.json()["required_suite"] == "SM2/SM3/SM4-GCM"
    assert "国密" in reply.json()["error"]["zh"] and "national" in reply.json()["error"]["en"]
    # A national-suite batch signed with the device's Ed25519 key: the suite decides the key.
    sealed = receiver.seal(device, [events.registration()])
    headers = sign_request("POST", "/v1/batches", sealed.body, device.key, device.device_id, receiver.clock(),
                           sealed.headers())
    reply = await receiver.request("POST", "/v1/batches", sealed.body, headers)
    assert (reply.status, reply.code) == (401, "signature.invalid")


async def test_a_mixed_platform_answers_a_national_suite_request_in_sm2(receiver, events) -> None:
    device = await receiver.enroll(supported=(CipherSuite.GM,))
    assert CipherSuite.GM in device.enrollment.platform_key.suites  # announced beside the others
    reply = await receiver.report(device, [events.registration()])
    assert reply.status == 200, reply.body
    assert reply.json()["alg"] == "sm2-sm3"
    hybrid = await receiver.enroll()
    answer = (await receiver.report(hybrid, [events.registration("R9")])).json()
    assert "alg" not in answer  # Ed25519, as before


async def test_the_platform_takes_what_the_outsider_seals_and_signs(start_receiver, events) -> None:
    receiver = await start_receiver(GM_ONLY)
    device = await receiver.enroll(sm2_key=OutsiderSm2Key())
    platform_key = device.enrollment.platform_key
    batch = Batch(device.device_id, str(uuid.uuid4()), (events.registration(),), False)
    sealed = outsider_seal(batch, platform_key.key_id, platform_key.suites[CipherSuite.GM])
    reply = await receiver.send(device, sealed)  # signed through the seam by the outsider
    assert reply.status == 200, reply.body
    receipts = verify_receipts(reply.json(), device.receipt_key, device.device_id, batch.batch_id)
    assert [r.status.value for r in receipts] == ["accepted"]


def test_the_outsider_opens_what_we_seal() -> None:
    from protocol.keys import PlatformKey
    from protocol.sealing import seal

    recipient = OutsiderSm2Key()
    platform_key = PlatformKey("k-1", {CipherSuite.GM: recipient.point})
    sealed = seal(b'{"hello": "world"}', platform_key, BATCH, "dev_1", SUITE_PREFERENCE)
    body = sealed.body
    end = 2 + body[1]
    wrapped, nonce, rest = body[:end], body[end:end + 12], body[end + 12:]
    key = recipient.decrypt(wrapped)
    plaintext = pure_gcm_open(key, nonce, rest, info(BATCH, "k-1", "dev_1") + wrapped)
    assert zlib.decompress(plaintext) == b'{"hello": "world"}'
    with pytest.raises(ValueError):  # bound to its purpose
        pure_gcm_open(key, nonce, rest, info("permit-check", "k-1", "dev_1") + wrapped)
    assert crypt_sm2(None, recipient.point).public_key == recipient.point[1:].hex()


async def test_a_permit_check_in_the_national_suite(start_receiver) -> None:
    receiver = await start_receiver(GM_ONLY)
    device = await receiver.enroll()
    query = permit_check_query("4101020000012345", "11010519491231002X")
    sealed = seal_permit_check(query, device.enrollment.platform_key, device.device_id)
    headers = sign_request("POST", PERMIT_CHECKS_PATH, sealed.body, device.sm2_key, device.device_id,
                           receiver.clock(), sealed.headers())
    reply = await receiver.request("POST", PERMIT_CHECKS_PATH, sealed.body, headers)
    assert reply.status == 200, reply.body
    assert reply.json()["alg"] == "sm2-sm3"
    assert read_permit_answer(reply.json(), device.receipt_key, query["query_id"]).status == "not_found"


def test_an_old_database_gets_sm2_halves(tmp_path) -> None:
    """Keys made before the national suite (no SM2 columns) get SM2 halves when the receiver opens them."""
    from receiver.keyring import KeyRing, ensure_keys
    from receiver.storage import Storage
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    storage = Storage(url)
    ensure_keys(storage, receiver_now())
    with storage.write() as conn:  # as a database from before: no SM2 columns
        for table, column in (("receipt_key", "sm2_key"), ("platform_key", "sm2_key"), ("device", "sm2_public_key")):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    storage.close()
    storage = Storage(url)  # adds the columns
    ensure_keys(storage, receiver_now())  # and the halves
    keys = KeyRing(storage)
    assert keys.receipt_public().get("sm2_public_key")
    assert CipherSuite.GM.value in keys.announcement["statement"]["suites"]
    storage.close()


def receiver_now() -> Any:
    from tests.receiver.conftest import START

    return START


async def test_a_device_pinning_only_the_sm2_half_follows_a_new_receipt_key(start_receiver, events) -> None:
    from protocol.receipts import PinnedKey, follow_receipt_keys
    from receiver.keyring import rotate_receipt_key

    receiver = await start_receiver(GM_ONLY)
    device = await receiver.enroll()
    pinned = PinnedKey("", device.enrollment.receipt_sm2_public_key)  # vouched for by the SM2 fingerprint
    assert (await receiver.report(device, [events.no_arrivals()])).status == 200
    new_id = rotate_receipt_key(receiver.storage, receiver.clock())
    receiver.clock.advance(minutes=2)  # a running server picks the new key up within a minute
    answer = (await receiver.report(device, [events.no_arrivals("2025-02-27")])).json()
    assert answer["signed_by"] == new_id and answer["alg"] == "sm2-sm3"
    assert all(item["alg"] == "sm2-sm3" for item in answer["receipt_keys"])  # the chain in the suite too
    chain = follow_receipt_keys(answer["receipt_keys"], device.enrollment.receipt_key_id, pinned)
    assert [key_id for key_id, _ in chain] == [new_id] and chain[-1][1].sm2
    verify_receipts(answer, chain[-1][1], device.device_id)
    assert verify_platform_key(answer["platform_key"], chain[-1][1]).key_id == device.enrollment.platform_key.key_id
