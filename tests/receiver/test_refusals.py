"""Every refusal of protocol v1, through real HTTP: its status, its code, and nothing recorded."""

from __future__ import annotations

import dataclasses
import json
import zlib

import pytest

from protocol.keys import CipherSuite, generate_device_key
from protocol.messages import Batch
from protocol.receipts import verify_platform_key
from protocol.sealing import BATCH, SealedBatch, info, seal_batch
from protocol.signatures import sign_request
from receiver.app import PLATFORM, Settings
from receiver.keyring import rotate


async def assert_refused(receiver, reply, status: int, code: str) -> None:  # noqa: ANN001
    assert (reply.status, reply.code) == (status, code), reply.body
    error = reply.json()["error"]
    assert error["zh"] and error["en"]
    assert receiver.storage.count_events() == 0


async def test_a_request_without_signature_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    reply = await receiver.request("POST", "/v1/batches", sealed.body, sealed.headers())
    await assert_refused(receiver, reply, 401, "signature.missing")


async def test_a_signature_over_another_body_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    other = receiver.seal(device, [events.no_arrivals()], batch_id=sealed.batch_id)
    reply = await receiver.request("POST", "/v1/batches", other.body, receiver.signed_headers(device, sealed))
    await assert_refused(receiver, reply, 401, "signature.invalid")


async def test_a_signature_by_another_key_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    headers = sign_request("POST", "/v1/batches", sealed.body, generate_device_key(), device.device_id,
                           receiver.clock(), sealed.headers())
    await assert_refused(receiver, await receiver.request("POST", "/v1/batches", sealed.body, headers),
                         401, "signature.invalid")


async def test_an_unknown_device_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    stranger = dataclasses.replace(device, key=generate_device_key(),
                                   enrollment=dataclasses.replace(device.enrollment, device_id="dev_stranger"))
    await assert_refused(receiver, await receiver.report(stranger, [events.no_arrivals()]), 403, "device.unknown")


async def test_a_revoked_device_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    assert receiver.storage.revoke(device.device_id, "2025-03-01T02:00:00.000000+00:00")
    await assert_refused(receiver, await receiver.report(device, [events.no_arrivals()]), 403, "device.revoked")


@pytest.mark.parametrize("minutes", [-6, 6])
async def test_a_date_outside_five_minutes_is_refused(receiver, events, minutes: int) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    receiver.clock.advance(minutes=minutes)
    headers = receiver.signed_headers(device, sealed)  # the device's clock is off by `minutes`
    receiver.clock.advance(minutes=-minutes)
    await assert_refused(receiver, await receiver.request("POST", "/v1/batches", sealed.body, headers),
                         401, "signature.stale")


async def test_a_date_just_inside_the_window_is_accepted(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    receiver.clock.advance(minutes=-4, seconds=-59)
    headers = receiver.signed_headers(device, sealed)
    receiver.clock.advance(minutes=4, seconds=59)
    assert (await receiver.request("POST", "/v1/batches", sealed.body, headers)).status == 200


async def test_a_replayed_signature_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    headers = receiver.signed_headers(device, sealed)
    assert (await receiver.request("POST", "/v1/batches", sealed.body, headers)).status == 200
    reply = await receiver.request("POST", "/v1/batches", sealed.body, headers)
    assert (reply.status, reply.code) == (401, "signature.replayed")


async def test_a_body_that_does_not_open_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    broken = dataclasses.replace(sealed, body=sealed.body[:-1] + bytes([sealed.body[-1] ^ 1]))
    await assert_refused(receiver, await receiver.send(device, broken), 400, "body.not_sealed")


async def test_a_body_that_does_not_decompress_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    key = device.enrollment.platform_key
    suite = key.choose_suite()
    body = suite.hpke_suite.encrypt(b'{"not": "compressed"}', key.public_key(suite),
                                    info=info(BATCH, key.key_id, device.device_id))
    sealed = SealedBatch(key.key_id, suite, body, "b-1")
    await assert_refused(receiver, await receiver.send(device, sealed), 400, "body.not_compressed")


async def test_a_body_over_the_size_cap_is_refused(start_receiver, events) -> None:
    receiver = await start_receiver(Settings(max_body=2000))
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.registration(f"R{i}") for i in range(40)])
    assert len(sealed.body) > 2000
    await assert_refused(receiver, await receiver.send(device, sealed), 413, "body.too_large")


async def test_a_body_that_inflates_past_the_cap_is_refused(start_receiver, events) -> None:
    receiver = await start_receiver(Settings(max_plaintext=10_000))
    device = await receiver.enroll()
    key = device.enrollment.platform_key
    suite = key.choose_suite()
    bomb = zlib.compress(b"{" + b" " * 1_000_000 + b"}")
    body = suite.hpke_suite.encrypt(bomb, key.public_key(suite), info=info(BATCH, key.key_id, device.device_id))
    reply = await receiver.send(device, SealedBatch(key.key_id, suite, body, "b-1"))
    await assert_refused(receiver, reply, 413, "body.too_large")


async def test_too_many_requests_from_one_device_get_429_with_retry_after(start_receiver, events) -> None:
    receiver = await start_receiver(Settings(rate=1.0, burst=2))
    device, other = await receiver.enroll(), await receiver.enroll()
    for _ in range(2):
        assert (await receiver.report(device, [events.no_arrivals()])).status == 200
    reply = await receiver.report(device, [events.no_arrivals()])
    assert (reply.status, reply.code) == (429, "rate.limited")
    assert int(reply.headers["Retry-After"]) >= 1
    assert (await receiver.report(other, [events.no_arrivals()])).status == 200  # per device
    receiver.clock.advance(seconds=1)
    assert (await receiver.report(device, [events.no_arrivals()])).status == 200


async def test_an_overloaded_platform_answers_503_with_retry_after(start_receiver, events) -> None:
    receiver = await start_receiver(Settings(max_in_flight=1, overloaded_retry_after=3))
    device = await receiver.enroll()
    with receiver.app[PLATFORM].gate.enter():  # another request holds the only slot
        reply = await receiver.report(device, [events.no_arrivals()])
    assert (reply.status, reply.code, reply.headers["Retry-After"]) == (503, "platform.overloaded", "3")
    assert receiver.storage.count_events() == 0
    assert (await receiver.report(device, [events.no_arrivals()])).status == 200


async def test_headers_that_do_not_match_the_batch_are_refused(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    cases = [
        ({k: v for k, v in sealed.headers().items() if k != "Idempotency-Key"}, 400, "batch.no_idempotency_key"),
        ({**sealed.headers(), "Idempotency-Key": "another"}, 400, "batch.mismatch"),
        ({**sealed.headers(), "Dengji-Key-Id": "k-unknown"}, 400, "seal.unknown_key"),
        ({**sealed.headers(), "Dengji-Suite": "ROT13"}, 400, "seal.unsupported_suite"),
    ]
    for headers, status, code in cases:
        signed = sign_request("POST", "/v1/batches", sealed.body, device.key, device.device_id, receiver.clock(),
                              headers)
        reply = await receiver.request("POST", "/v1/batches", sealed.body, signed)
        await assert_refused(receiver, reply, status, code)


async def test_a_batch_of_another_device_is_refused(receiver, events) -> None:
    device, other = await receiver.enroll(), await receiver.enroll()
    batch = Batch(other.device_id, "b-1", (events.no_arrivals(),))
    sealed = seal_batch(batch, device.enrollment.platform_key)
    # sealed for `other` (HPKE info binds the device): it does not open for `device`
    await assert_refused(receiver, await receiver.send(device, sealed), 400, "body.not_sealed")


async def test_an_unreadable_batch_is_refused(receiver) -> None:
    device = await receiver.enroll()
    key = device.enrollment.platform_key
    suite = key.choose_suite()
    for plaintext in (b"[]", b"{}", b'{"device_id": "x"}', b"\xff\xfe"):
        body = suite.hpke_suite.encrypt(zlib.compress(plaintext), key.public_key(suite),
                                        info=info(BATCH, key.key_id, device.device_id))
        reply = await receiver.send(device, SealedBatch(key.key_id, suite, body, "b-1"))
        await assert_refused(receiver, reply, 400, "batch.malformed")


async def test_a_retired_key_works_for_the_overlap_window_then_is_refused(start_receiver, events) -> None:
    from datetime import timedelta

    receiver = await start_receiver(Settings(key_overlap=timedelta(days=30)))
    device = await receiver.enroll()
    new_key_id = rotate(receiver.storage, receiver.clock())  # as `dengji-receiver rotate-key` does
    receiver.clock.advance(minutes=2)  # the running server picks a rotation up within a minute
    reply = await receiver.report(device, [events.no_arrivals()])  # still sealed to the old key
    assert reply.status == 200
    learnt = verify_platform_key(reply.json()["platform_key"], device.enrollment.receipt_public_key)
    assert learnt.key_id == new_key_id
    receiver.clock.advance(days=31)
    reply = await receiver.report(device, [events.no_arrivals("2025-03-30")])
    assert (reply.status, reply.code) == (400, "seal.key_expired")
    renewed = dataclasses.replace(device, enrollment=dataclasses.replace(device.enrollment, platform_key=learnt))
    assert (await receiver.report(renewed, [events.no_arrivals("2025-03-30")])).status == 200


async def test_unknown_routes_and_methods_answer_with_a_code(receiver) -> None:
    reply = await receiver.request("GET", "/v1/nothing-here")
    assert (reply.status, reply.code) == (404, "route.not_found")
    reply = await receiver.request("GET", "/v1/batches")
    assert (reply.status, reply.code) == (405, "route.method_not_allowed")


async def test_suites_other_than_the_baseline_are_announced(receiver) -> None:
    health = (await receiver.request("GET", "/v1/health")).json()
    assert health["suites"] == [CipherSuite.MLKEM768_X25519.value, CipherSuite.X25519.value, CipherSuite.GM.value]
    assert json.loads(json.dumps(health))["status"] == "ok"
