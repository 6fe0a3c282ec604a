"""Fuzzing the request parser and the event checks: any input gets a 4xx with a code or a receipt,
never a 500, and nothing refused is ever recorded."""

from __future__ import annotations

import json
import uuid
import zlib
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.domain import EventType
from protocol.keys import CipherSuite, generate_device_key
from protocol.messages import Batch, Event, new_event
from protocol.receipts import verify_receipts
from protocol.enrollment import ENROLL_PATH, enroll_request
from protocol.sealing import BATCH, SealedBatch, info, seal, seal_batch
from protocol.signatures import sign_request
from receiver.app import Settings
from receiver.enrollment import issue_code

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LOOSE = Settings(rate=1e6, burst=10**6, enroll_rate=1e6, enroll_burst=10**6)
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


def _seal_plaintext(device, plaintext: bytes, batch_id: str) -> SealedBatch:  # noqa: ANN001
    sealed = seal(plaintext, device.enrollment.platform_key, BATCH, device.device_id)
    return SealedBatch(sealed.key_id, sealed.suite, sealed.body, batch_id)


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


DEEP_990 = "deep 990"  # written into the plaintext as 990 nested arrays (too deep for json.dumps to write)


HOSTILE_EVENTS = {
    "a lone surrogate in the event id": lambda good: {**good, "event_id": "\ud800"},
    "a lone surrogate in the data": lambda good: {**good, "data": {**good["data"], "note": "x\udfffy"}},
    "a lone surrogate as a key of the data": lambda good: {**good, "data": {**good["data"], "\ud800": 1}},
    "a lone surrogate in the type": lambda good: {**good, "type": "\udc00"},
    "data nested 990 deep": lambda good: {**good, "data": {**good["data"], "note": DEEP_990}},
    "data nested 33 deep": lambda good: {**good, "data": {**good["data"], "note": _deep(32)}},
    "a lone surrogate in occurred_at": lambda good: {**good, "occurred_at": good["occurred_at"] + "\udbff"},
}


@pytest.mark.parametrize("how", sorted(HOSTILE_EVENTS))
async def test_a_hostile_event_costs_itself_a_rejection_never_the_batch(target, events, how: str) -> None:
    """Found in review: these made the platform answer 500, so the device retried forever."""
    receiver = target
    device = receiver.devices[0]
    good, other = events.no_arrivals("2025-02-27"), events.no_arrivals()
    hostile = HOSTILE_EVENTS[how](good.as_dict())
    batch_id = uuid.uuid4().hex
    plaintext = json.dumps({"device_id": device.device_id, "batch_id": batch_id,
                            "events": [hostile, other.as_dict()]}).encode()  # ASCII: surrogates as escapes
    plaintext = plaintext.replace(f'"{DEEP_990}"'.encode(), b"[" * 990 + b"1" + b"]" * 990)
    reply = await receiver.send(device, _seal_plaintext(device, plaintext, batch_id))
    assert reply.status == 200, reply.body
    first, second = verify_receipts(reply.json(), device.enrollment.receipt_public_key)
    assert first.status.value == "rejected" and first.problem.code.startswith("event."), first
    assert (second.event_id, second.status.value) == (other.event_id, "accepted")
    assert receiver.storage.count_events() == 1


async def test_data_nested_32_deep_is_accepted(target, events) -> None:
    receiver = target
    device = receiver.devices[0]
    event = events.no_arrivals()
    nested = event._replace(data={**event.data, "note": _deep(31)})  # the data object and 31 lists in it
    reply = await receiver.report(device, [nested])
    [receipt] = verify_receipts(reply.json(), device.enrollment.receipt_public_key)
    assert receipt.status.value == "accepted"


async def test_a_no_arrivals_report_with_a_list_for_a_registration_id_is_recorded(target, events) -> None:
    """Found by the sealed-batch fuzzer: the list reached the registrations look-up and made a 500."""
    receiver = target
    device = receiver.devices[0]
    event = events.no_arrivals()
    reply = await receiver.report(device, [event._replace(data={**event.data, "registration_id": [],
                                                                "unit": {"a": 1}})])
    assert reply.status == 200, reply.body
    [receipt] = verify_receipts(reply.json(), device.enrollment.receipt_public_key)
    assert receipt.status.value == "accepted"


@pytest.mark.parametrize("name", ["\ud800", "旅馆\udfff", "旅馆\x00"])  # NUL: PostgreSQL refuses it in text
async def test_a_lone_surrogate_in_an_enrollment_is_refused_with_a_code(receiver, name: str) -> None:
    code = issue_code(receiver.storage, "测试旅馆", None, receiver.clock())
    body = enroll_request(code, {"kind": "hotel", "name": name}, generate_device_key())
    reply = await receiver.request("POST", ENROLL_PATH, json.dumps(body).encode())
    assert (reply.status, reply.code) == (400, "enroll.bad_request"), reply.body


# What a hostile device can write in JSON that the strategies above never do: lone surrogates (as
# escapes) and nesting a thousand deep (written into the text, since json.dumps cannot write it).
LONE = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])
hostile_text = st.text(max_size=12) | st.builds(lambda a, lone, b: a + lone + b, st.text(max_size=4), LONE,
                                                st.text(max_size=4))
DEEP_MARK = "deep:"
hostile_values = st.recursive(
    st.none() | st.booleans() | st.integers() | hostile_text | st.integers(20, 1000).map(lambda n: f"{DEEP_MARK}{n}"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3), max_leaves=8)


def _hostile_json(value: Any) -> bytes:
    """`value` as JSON in ASCII (lone surrogates as escapes), each deep marker as that many nested arrays."""
    text = json.dumps(value).encode()
    while (start := text.find(f'"{DEEP_MARK}'.encode())) >= 0:
        end = text.index(b'"', start + 1)
        depth = int(text[start + 1 + len(DEEP_MARK):end])
        text = text[:start] + b"[" * depth + b"0" + b"]" * depth + text[end + 1:]
    return text


@FUZZ
@given(hostile=st.lists(st.fixed_dictionaries(
    {"event_id": st.uuids().map(str) | hostile_text.filter(bool),
     "type": st.sampled_from([t.value for t in EventType]) | hostile_values,
     "occurred_at": st.just("2025-03-01T09:00:00+08:00") | hostile_values,
     "data": st.fixed_dictionaries({"date": st.just("2025-02-28") | hostile_values,
                                    "registration_id": st.just("R1") | hostile_values},
                                   optional={"note": hostile_values, "person": hostile_values})}),
    min_size=1, max_size=4))
async def test_hostile_sealed_batches_never_get_an_answer_of_500_or_more(target, hostile) -> None:
    receiver = target
    device = receiver.devices[0]
    batch_id = uuid.uuid4().hex
    plaintext = _hostile_json({"device_id": device.device_id, "batch_id": batch_id, "events": hostile})
    reply = await receiver.send(device, _seal_plaintext(device, plaintext, batch_id))
    assert reply.status < 500, reply.body
    if reply.status == 200:
        receipts = verify_receipts(reply.json(), device.enrollment.receipt_public_key)
        assert len(receipts) == len(hostile)
    else:
        assert_refused_with_code(reply)


@FUZZ
@given(use_a_code=st.booleans(), code=hostile_text, kind=st.sampled_from(["hotel", "rental"]) | hostile_values,
       name=st.just("旅馆") | hostile_text, extra=st.dictionaries(hostile_text, hostile_values, max_size=3),
       key=st.booleans(), suites=hostile_values)
async def test_hostile_enrollments_never_get_an_answer_of_500_or_more(target, use_a_code, code, kind, name, extra,
                                                                     key, suites) -> None:
    receiver = target
    if use_a_code:
        code = issue_code(receiver.storage, "测试旅馆", None, receiver.clock())
    body = enroll_request(code, {"kind": kind, "name": name, **extra}, generate_device_key())
    if not key:
        body["device_public_key"] = name
    body["suites"] = suites if not use_a_code else body["suites"]
    reply = await receiver.request("POST", ENROLL_PATH, _hostile_json(body))
    assert reply.status < 500, reply.body
    if reply.status != 200:
        assert_refused_with_code(reply)
