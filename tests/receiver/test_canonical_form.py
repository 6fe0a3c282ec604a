"""The platform stores what it checked, not what was sent (issue 16, finding 4): a document number written
in full-width digits or with spaces is accepted and kept in its canonical form, so an exact search finds
the person. A real receiver on 127.0.0.1, a real sealed and signed batch."""

from __future__ import annotations

import json

from protocol.messages import ReceiptStatus
from protocol.receipts import verify_receipts

CANONICAL = "11010519491231002X"  # GB 11643's published example


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


async def test_a_number_in_full_width_digits_with_spaces_is_stored_in_its_canonical_form(receiver, events) -> None:
    device = await receiver.enroll()
    sent = full_width(CANONICAL[:6]) + " " + full_width(CANONICAL[6:14]) + " " + CANONICAL[14:].lower()
    batch = [events.registration("R1", doc_number=sent), events.registration("R2", corrects="R1")]
    reply = await receiver.report(device, batch)
    assert reply.status == 200, reply.body
    receipts = verify_receipts(reply.json(), device.enrollment.receipt_public_key, device.device_id)
    assert [r.status for r in receipts] == [ReceiptStatus.ACCEPTED] * 2
    stored = {r.event_id: json.loads(r.data) for r in receiver.storage.list_events(device.device_id)}
    first, second = stored[batch[0].event_id], stored[batch[1].event_id]
    assert first["person"]["doc_number"] == CANONICAL
    assert first["registration_id"] == "R1" and first["arrived_at"] == "2025-03-01T09:30:00+08:00"
    assert second["corrects"] == "R1"  # the protocol's own keys are kept beside the checked registration
