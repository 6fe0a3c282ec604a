"""Fuzzing the request parser and the event checks: any input gets a 4xx with a code or a receipt,
never a 500, and nothing refused is ever recorded."""

from __future__ import annotations

import json
import uuid
import zlib
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.domain import EventType
from protocol.keys import CipherSuite
from protocol.messages import Batch, Event, new_event
from protocol.receipts import verify_receipts
from protocol.sealing import BATCH, SealedBatch, info, seal_batch
from protocol.signatures import sign_request
from receiver.app import Settings

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LOOSE = Settings(rate=1e6, burst=10**6)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
header_names = st.sampled_from(["Signature", "Signature-Input", "Date", "Content-Digest", "Idempotency-Key",
                                "Dengji-Key-Id", "Dengji-Suite", "Content-Type"])
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@pytest.fixture
async def target(start_receiver):  # noqa: ANN001, ANN201
    """One receiver with one enrolled device per test; hypothesis runs all examples against it."""
    receiver = await start_receiver(LOOSE)
    await receiver.enroll()
    return receiver


def assert_refused_with_code(reply) -> None:  # noqa: ANN001
    assert 400 <= reply.status < 500, (reply.status, reply.body)
    assert reply.code, reply.body


@FUZZ
@given(path=st.sampled_from(["/v1/batches", "/v1/permit-checks", "/v1/enroll"]), body=st.binary(max_size=300),
       headers=st.dictionaries(header_names, header_values, max_size=6))
async def test_random_requests_are_refused_with_a_code(target, path, body, headers) -> None:
    receiver = target
    reply = await receiver.request("POST", path, body, headers)
    assert_refused_with_code(reply)
    assert receiver.storage.count_events() == 0


@FUZZ
@given(body=st.binary(max_size=300), extra=st.dictionaries(header_names, header_values, max_size=3))
async def test_signed_garbage_is_refused_with_a_code(target, body, extra) -> None:
    receiver = target
    device = receiver.devices[0]
    key = device.enrollment.platform_key
    headers = {"Idempotency-Key": "b-1", "Dengji-Key-Id": key.key_id, "Dengji-Suite": CipherSuite.X25519.value,
               **extra}
    signed = sign_request("POST", "/v1/batches", body, device.key, device.device_id, receiver.clock(), headers)
    assert_refused_with_code(await receiver.request("POST", "/v1/batches", body, signed))
    assert receiver.storage.count_events() == 0


@FUZZ
@given(plaintext=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()),
                           st.fixed_dictionaries({"device_id": json_values, "batch_id": json_values,
                                                  "events": json_values}).map(lambda v: json.dumps(v).encode())))
async def test_sealed_garbage_is_refused_with_a_code(target, plaintext) -> None:
    receiver = target
    device = receiver.devices[0]
    key = device.enrollment.platform_key
    suite = CipherSuite.X25519
    body = suite.hpke_suite.encrypt(zlib.compress(plaintext), key.public_key(suite),
                                    info=info(BATCH, key.key_id, device.device_id))
    reply = await receiver.send(device, SealedBatch(key.key_id, suite, body, "b-1"))
    assert_refused_with_code(reply)
    assert receiver.storage.count_events() == 0


def mutated_events() -> st.SearchStrategy[Event]:
    base = new_event(EventType.REGISTERED, {"registration_id": "R1", "kind": "stay", "unit": "1",
                                            "arrived_at": "2025-03-01T09:00:00+08:00",
                                            "person": {"doc_type": "resident_id",
                                                       "doc_number": "11010519491231002X", "name": "张三"}},
                     datetime.fromisoformat("2025-03-01T09:00:00+08:00"))
    person = st.fixed_dictionaries({}, optional={"doc_type": json_values | st.sampled_from(["resident_id", "passport"]),
                                                 "doc_number": json_values, "name": json_values, "sex": json_values,
                                                 "birth_date": json_values, "phone": json_values})
    data = st.fixed_dictionaries({}, optional={
        "registration_id": json_values | st.just("R1"), "kind": json_values | st.just("stay"),
        "unit": json_values, "arrived_at": json_values | st.just("2025-03-01T09:00:00+08:00"),
        "departed_at": json_values, "person": person | json_values, "corrects": json_values,
        "reason": json_values, "date": json_values})
    return st.builds(Event, event_id=st.uuids().map(str) | st.text(min_size=1, max_size=40),
                     type=st.sampled_from([t.value for t in EventType]) | json_values,
                     occurred_at=st.just(base.occurred_at) | json_values, data=data | json_values)


@FUZZ
@given(batch_events=st.lists(mutated_events(), min_size=1, max_size=6))
async def test_mutated_events_get_receipts_and_only_accepted_ones_are_recorded(target, batch_events) -> None:
    receiver = target
    device = receiver.devices[0]
    before = {r.event_id for r in receiver.storage.list_events()}
    sealed = seal_batch(Batch(device.device_id, uuid.uuid4().hex, tuple(batch_events)),
                        device.enrollment.platform_key)
    reply = await receiver.send(device, sealed)
    assert reply.status == 200, reply.body
    receipts = verify_receipts(reply.json(), device.enrollment.receipt_public_key)
    assert [r.event_id for r in receipts] == [e.event_id for e in batch_events]
    recorded = {r.event_id for r in receiver.storage.list_events()} - before
    accepted = {r.event_id for r in receipts if r.status.value == "accepted"}
    assert recorded == accepted
    for receipt in receipts:
        if receipt.status.value == "rejected":
            assert receipt.problem.code and receipt.problem.zh and receipt.problem.en




async def test_an_event_id_with_a_nul_gets_a_rejection_not_a_500(target) -> None:  # type: ignore[no-untyped-def]
    """Found by the fuzzer on PostgreSQL, which refuses NUL even inside a query."""
    receiver = target
    device = receiver.devices[0]
    events = (Event("\x00", "registration", "2025-03-01T09:00:00+08:00", {}),)
    sealed = seal_batch(Batch(device.device_id, uuid.uuid4().hex, events), device.enrollment.platform_key)
    reply = await receiver.send(device, sealed)
    assert reply.status == 200, reply.body
    receipts = verify_receipts(reply.json(), device.enrollment.receipt_public_key)
    assert [r.status.value for r in receipts] == ["rejected"]
    assert receiver.storage.count_events() == 0
