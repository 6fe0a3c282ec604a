"""What the agent believes about the platform's keys, and when it changes its mind.

Answers carry, beside their signed statement, the platform key announcement (`platform_key`) and, once
the platform replaced its receipt key, the statements naming each successor (`receipt_keys`). Both are
outside the signature of the answer itself, so anyone who can answer in the platform's place can put
anything there; what makes them believable is the receipt key the agent pins:

- a platform key is adopted only from an announcement signed by the pinned receipt key, not expired,
  for a key published after the one held (`protocol.receipts.adopt_platform_key`): an old announcement,
  even a genuine one, cannot roll the agent back to a retired key;
- a new receipt key is pinned only when a chain of statements, each signed by the key before, leads to
  it from the key pinned now, and only when the answer in hand is signed by it. The old public keys are
  kept to verify the answers kept from before (the venue's proof that it reported), never new ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from protocol import json_text
from protocol.messages import Receipt
from protocol.receipts import UnverifiedAnswer, adopt_platform_key, follow_receipt_keys, verify_receipts
from uploader.device import Device

log = logging.getLogger("dengji.uploader.platform_keys")


def follow_receipt_key(device: Device, answer: Mapping[str, Any]) -> Device:
    """The device pinning the receipt key that signed `answer`, if the answer's `receipt_keys` lead to
    it from the key pinned now; else the device unchanged (the answer will then not verify)."""
    signer = answer.get("signed_by")
    if signer == device.receipt_key_id or not isinstance(signer, str):
        return device
    try:
        chain = follow_receipt_keys(answer.get("receipt_keys"), device.receipt_key_id, device.pinned_receipt_key)
    except UnverifiedAnswer as exc:
        log.warning("ignored receipt key statements that do not verify (%s)", exc)
        return device
    if not chain or chain[-1][0] != signer:
        return device
    for key_id, public_key in chain:
        device = device.with_receipt_key(key_id, public_key)
    log.info("the platform's receipt key was replaced: now pinning %s", signer)
    return device


def adopt_announced_key(device: Device, announcement: object, now: datetime) -> Device | None:
    """The device sealing to the key `announcement` tells of: the device itself when that is the key it
    holds, a new one when the key is newer; None when the announcement is refused (not signed by the
    pinned receipt key, expired, or for a key not newer than the one held)."""
    if not isinstance(announcement, Mapping):
        return None
    try:
        key = adopt_platform_key(announcement, device.pinned_receipt_key, device.platform_key, now)
    except UnverifiedAnswer as exc:
        log.warning("refused a platform key announcement (%s)", exc)
        return None
    if key is None:
        return device
    log.info("platform key rotated: %s -> %s", device.platform_key.key_id, key.key_id)
    return device.with_platform_key(key)


def verify_kept_answer(device: Device, body: bytes) -> list[Receipt]:
    """The receipts of a batch answer the venue kept, verified with the receipt key that signed it: the
    one pinned now or one the platform replaced since. `UnverifiedAnswer` otherwise."""
    try:
        answer = json_text.read(body)
    except (ValueError, RecursionError):
        raise UnverifiedAnswer("the kept answer is not JSON") from None
    known: dict[str, str] = dict(device.previous_receipt_keys)
    known[device.receipt_key_id] = device.pinned_receipt_key
    public_key = known.get(answer.get("signed_by")) if isinstance(answer, dict) else None
    if public_key is None:
        raise UnverifiedAnswer("the kept answer is signed by no receipt key this device knows")
    return verify_receipts(answer, public_key, device.device_id)
