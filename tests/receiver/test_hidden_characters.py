"""The platform refuses the hidden characters the agent refuses: same validators, over real HTTP."""

from __future__ import annotations

from protocol.messages import ReceiptStatus
from protocol.receipts import verify_receipts

PERSON = {"doc_type": "resident_id", "doc_number": "11010519491231002X", "name": "张三"}


async def test_registrations_with_control_or_bidirectional_characters_are_rejected_naming_the_field(
        receiver, events) -> None:
    device = await receiver.enroll()
    bad = {
        "R1": ({"person": {**PERSON, "name": "陈\u202e文大"}}, "person.name", "U+202E"),
        "R2": ({"person": {**PERSON, "name": "陈大文\u200f"}}, "person.name", "U+200F"),
        "R3": ({"person": {**PERSON, "address": "北京\x00朝阳"}}, "person.address", "U+0000"),
        "R4": ({"unit": "\u2066302\u2069"}, "unit", "U+2066"),
        "R5": ({"person": {**PERSON, "sex": "F\x85"}}, "person.sex", "U+0085"),
        "R6": ({"arrived_at": "2025-03-01T09:30:00+08:00\x9b"}, "arrived_at", "U+009B"),
    }
    sent = {rid: events.registration(rid, **change) for rid, (change, _, _) in bad.items()}
    formula = events.registration("R7", person={**PERSON, "name": '=HYPERLINK("http://example.com","张三")'})
    reply = await receiver.report(device, [*sent.values(), formula])
    assert reply.status == 200, reply.body
    receipts = {r.event_id: r for r in verify_receipts(reply.json(), device.enrollment.receipt_public_key,
                                                       device.device_id)}
    for rid, (_, field, name) in bad.items():
        receipt = receipts[sent[rid].event_id]
        assert receipt.status is ReceiptStatus.REJECTED
        problem = receipt.problem
        assert (problem.code, problem.field) == ("registration.control_characters", field)
        assert field in problem.zh and name in problem.zh and field in problem.en and name in problem.en
    assert receipts[formula.event_id].status is ReceiptStatus.ACCEPTED  # formula text is not refused
    assert [e.event_id for e in receiver.storage.list_events()] == [formula.event_id]
