"""Permit checks (一证通): sealed, signed queries answered from the loaded permit register."""

from __future__ import annotations

import pytest

from protocol.permits import PERMIT_CHECKS_PATH, permit_check_query, read_permit_answer, seal_permit_check
from protocol.signatures import sign_request
from receiver.permits import BadPermitFile, read_permit_csv

CSV = """\ufeffpermit_number,document_number,valid_from,valid_until,status
4101 0200 0001 2345,11010519491231002x,2024-01-01,2026-01-01,valid
4101020000099999,110105194912310021,2020-01-01,2024-12-31,
4101020000077777,11010519491231002X,2024-01-01,2027-01-01,revoked
"""


async def check(receiver, device, permit: str, document: str):  # noqa: ANN001, ANN201
    query = permit_check_query(permit, document)
    sealed = seal_permit_check(query, device.enrollment.platform_key, device.device_id)
    headers = sign_request("POST", PERMIT_CHECKS_PATH, sealed.body, device.key, device.device_id, receiver.clock(),
                           sealed.headers())
    reply = await receiver.request("POST", PERMIT_CHECKS_PATH, sealed.body, headers)
    assert reply.status == 200, reply.body
    return read_permit_answer(reply.json(), device.enrollment.receipt_public_key, query["query_id"])


async def test_permit_checks_answer_from_the_register(receiver) -> None:
    assert receiver.storage.load_permits(read_permit_csv(CSV)) == 3
    device = await receiver.enroll()
    answer = await check(receiver, device, "4101020000012345", "11010519491231002X")
    assert answer.holds_valid_permit and answer.valid_until == "2026-01-01"
    assert (await check(receiver, device, "4101020000099999", "110105194912310021")).status == "expired"
    assert (await check(receiver, device, "4101020000077777", "11010519491231002X")).status == "revoked"
    # the right permit number with someone else's document number tells nothing
    assert (await check(receiver, device, "4101020000012345", "110105194912310021")).status == "not_found"


async def test_a_permit_query_sealed_as_a_batch_does_not_open(receiver) -> None:
    from protocol.sealing import BATCH, seal

    device = await receiver.enroll()
    sealed = seal(b'{"query_id": "q"}', device.enrollment.platform_key, BATCH, device.device_id)
    headers = sign_request("POST", PERMIT_CHECKS_PATH, sealed.body, device.key, device.device_id, receiver.clock(),
                           sealed.headers())
    reply = await receiver.request("POST", PERMIT_CHECKS_PATH, sealed.body, headers)
    assert (reply.status, reply.code) == (400, "body.not_sealed")


@pytest.mark.parametrize("text, message", [
    ("permit_number,document_number\n1,2\n", "valid_from"),
    ("permit_number,document_number,valid_from,valid_until\n1,2,2025-13-01,2026-01-01\n", "line 2"),
    ("permit_number,document_number,valid_from,valid_until,status\n1,2,2025-01-01,2026-01-01,maybe\n", "status"),
])
def test_a_bad_permit_file_says_where(text: str, message: str) -> None:
    with pytest.raises(BadPermitFile, match=message):
        read_permit_csv(text)
