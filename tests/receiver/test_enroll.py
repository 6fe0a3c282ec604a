"""Enrollment: one-time codes that expire, bound to a venue kind; what the device learns."""

from __future__ import annotations

import json
from datetime import timedelta

from agent.domain import VenueKind
from protocol.enrollment import ENROLL_PATH, enroll_request, read_enrollment
from protocol.keys import CipherSuite, generate_device_key
from receiver.enrollment import code_hash, issue_code


async def redeem(receiver, code: str, kind: str = "hotel", overrides: dict | None = None):  # noqa: ANN001, ANN201
    body = {**enroll_request(code, {"kind": kind, "name": "测试旅馆"}, generate_device_key()), **(overrides or {})}
    return await receiver.request("POST", ENROLL_PATH, json.dumps(body).encode(), {"Content-Type": "application/json"})


async def test_a_code_enrolls_one_device_once(receiver) -> None:
    code = issue_code(receiver.storage, "测试旅馆", VenueKind.HOTEL, receiver.clock())
    first = await redeem(receiver, code.lower().replace("-", " "))  # typed loosely
    assert first.status == 200
    enrollment = read_enrollment(first.json())
    assert enrollment.device_id.startswith("dev_")
    assert set(enrollment.platform_key.suites) == set(CipherSuite)
    assert receiver.storage.device(enrollment.device_id).venue_kind == "hotel"
    again = await redeem(receiver, code)
    assert (again.status, again.code) == (403, "enroll.code_used")


async def test_codes_expire_and_unknown_codes_are_refused(receiver) -> None:
    code = issue_code(receiver.storage, "测试旅馆", None, receiver.clock(), ttl=timedelta(days=1))
    receiver.clock.advance(days=1, seconds=1)
    reply = await redeem(receiver, code)
    assert (reply.status, reply.code) == (403, "enroll.code_expired")
    reply = await redeem(receiver, "0000-0000-0000-0000")
    assert (reply.status, reply.code) == (403, "enroll.code_invalid")


async def test_a_code_for_one_venue_kind_does_not_enroll_another(receiver) -> None:
    code = issue_code(receiver.storage, "某出租屋", VenueKind.RENTAL, receiver.clock())
    reply = await redeem(receiver, code, kind="hotel")
    assert (reply.status, reply.code) == (422, "enroll.kind_mismatch")
    assert (await redeem(receiver, code, kind="rental")).status == 200


async def test_malformed_enrollments_are_refused_with_codes(receiver) -> None:
    code = issue_code(receiver.storage, "测试旅馆", None, receiver.clock())
    reply = await receiver.request("POST", ENROLL_PATH, b"not json")
    assert (reply.status, reply.code) == (400, "body.malformed")
    for overrides in ({"device_public_key": "AAAA"}, {"venue": {"kind": "castle", "name": "x"}}, {"code": 7}):
        reply = await redeem(receiver, code, overrides=overrides)
        assert (reply.status, reply.code) == (400, "enroll.bad_request")
    assert (await redeem(receiver, code)).status == 200  # the refusals did not use the code up


def test_only_the_hash_of_a_code_is_stored(tmp_path) -> None:  # noqa: ANN001
    from datetime import datetime, timezone

    from receiver.storage import Storage

    storage = Storage(f"sqlite:///{tmp_path / 'r.db'}")
    code = issue_code(storage, "v", None, datetime(2025, 1, 1, tzinfo=timezone.utc))
    raw = (tmp_path / "r.db").read_bytes() + (tmp_path / "r.db-wal").read_bytes()
    assert code.replace("-", "").encode() not in raw and code.encode() not in raw
    assert code_hash(code).encode() in raw
    storage.close()


async def test_enrollment_attempts_are_limited_per_address_on_every_receiver(start_receiver) -> None:
    """568 guesses a second were possible; now a burst, then one every 10 s, counted in the database."""
    from receiver.app import Settings

    settings = Settings(enroll_rate=0.1, enroll_burst=3)
    first, second = await start_receiver(settings), await start_receiver(settings)  # one database
    for receiver in (first, second, first):
        reply = await redeem(receiver, "0000-0000-0000-0000")
        assert (reply.status, reply.code) == (403, "enroll.code_invalid")
    code = issue_code(first.storage, "测试旅馆", None, first.clock())
    reply = await redeem(second, code)
    assert (reply.status, reply.code) == (429, "rate.limited")
    assert int(reply.headers["Retry-After"]) == 10
    first.clock.advance(seconds=10)
    assert (await redeem(second, code)).status == 200


async def test_a_platform_that_requires_the_hybrid_refuses_every_other_suite(start_receiver, events) -> None:
    from protocol.keys import SUITE_PREFERENCE
    from receiver.app import Settings

    receiver = await start_receiver(Settings(required_suite=CipherSuite.MLKEM768_X25519))
    health = (await receiver.request("GET", "/v1/health")).json()
    assert health["suites"] == [CipherSuite.MLKEM768_X25519.value]
    code = issue_code(receiver.storage, "测试旅馆", None, receiver.clock())
    body = enroll_request(code, {"kind": "hotel", "name": "测试旅馆"}, generate_device_key(), (CipherSuite.X25519,))
    reply = await receiver.request("POST", ENROLL_PATH, json.dumps(body).encode())
    assert (reply.status, reply.code) == (400, "seal.suite_required")
    assert reply.json()["required_suite"] == CipherSuite.MLKEM768_X25519.value
    device = await receiver.enroll()  # offers both suites: enrolled
    assert set(device.enrollment.platform_key.suites) == {CipherSuite.MLKEM768_X25519}  # announced alone
    # An agent that held the key with all its suites (announced before the requirement) seals with the
    # baseline all the same.
    import dataclasses

    from receiver.keyring import _secret_of
    full = _secret_of(receiver.storage.platform_keys()[0]).public()
    device.enrollment = dataclasses.replace(device.enrollment, platform_key=full)
    device.supported = (CipherSuite.X25519,)
    classic = receiver.seal(device, [events.no_arrivals()])
    assert classic.suite is CipherSuite.X25519
    reply = await receiver.send(device, classic)
    assert (reply.status, reply.code) == (400, "seal.suite_required")
    device.supported = SUITE_PREFERENCE
    assert (await receiver.report(device, [events.no_arrivals()])).status == 200
