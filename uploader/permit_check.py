"""Ask the platform about a residence permit (一证通), sealed and signed like a batch, and keep its answer.

The query holds two personal numbers, so it travels HPKE-sealed to the platform key; the answer is the
platform's signed statement, verified against the receipt key pinned at enrollment before anything of it
is believed or kept. Any failure comes back as a `Problem` the operator can act on, never an exception.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from agent.domain.errors import NotEnrolled
from agent.duties.permit_checks import (
    PermitCheckResult,
    permit_query_numbers,
    record_permit_check,
)
from agent.store.database import Store
from agent.validation import Problem
from protocol.permits import (
    PERMIT_CHECKS_PATH,
    permit_check_query,
    read_permit_answer,
    seal_permit_check,
)
from protocol.receipts import UnverifiedAnswer
from protocol.signatures import sign_request
from uploader.device import load_device, save_device
from uploader.platform_keys import follow_receipt_key
from uploader.transport import Answer, Transport, Unreachable


async def check_permit(store: Store, registration_id: int, permit_number: str | None = None,
                       operator: str | None = None) -> PermitCheckResult | Problem:
    """Check the permit of a registration's person (the number given, else the one recorded)."""
    numbers = permit_query_numbers(store, registration_id, permit_number)
    if isinstance(numbers, Problem):
        return numbers
    try:
        device = load_device(store)
    except NotEnrolled:
        return Problem("device.not_enrolled", "本设备还没有在平台登记，无法查询居住证 (dengji enroll)",
                       "this device is not enrolled with the platform, so it cannot check permits (dengji enroll)")
    query = permit_check_query(*numbers)
    sealed = seal_permit_check(query, device.platform_key, device.device_id, device.suites)
    headers = sign_request("POST", PERMIT_CHECKS_PATH, sealed.body, device.signer_for(sealed.suite), device.device_id,
                           datetime.now(UTC), sealed.headers())
    async with Transport(device.platform_url, device.ca_file) as transport:
        result = await transport.post(PERMIT_CHECKS_PATH, sealed.body, headers)
    if isinstance(result, Unreachable):
        return Problem("platform.unreachable", f"连不上平台（{result.reason}），请稍后再查",
                       f"cannot reach the platform ({result.reason}); try again later")
    if not isinstance(result, Answer):
        return result.problem
    try:
        value = json.loads(result.body)
        followed = follow_receipt_key(device, value) if isinstance(value, dict) else device
        if followed is not device:
            save_device(store, followed)
        answer = read_permit_answer(value, followed.pinned_receipt_key, query["query_id"])
    except (UnverifiedAnswer, ValueError):
        return Problem("answer.unverified", "平台的回答无法验证，请稍后再查",
                       "the platform's answer could not be verified; try again later")
    checked_at = datetime.fromisoformat(answer.checked_at) if answer.checked_at else datetime.now(UTC)
    return record_permit_check(store, registration_id, answer.status, answer.valid_until, checked_at, result.body,
                               operator)
