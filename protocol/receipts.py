"""The platform's signed word: batch receipts, permit-check answers and platform key announcements.

Each is a *statement* (a JSON object) signed with the platform's Ed25519 receipt key, which a venue
pins at enrollment. On the wire:

    {"statement": {...}, "signature": "<base64 Ed25519 signature>", "signed_by": "<receipt key id>"}

The signature is over the statement's canonical bytes: UTF-8 JSON with sorted keys, no insignificant
white space and non-ASCII characters kept (`json.dumps(..., sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`). Statements hold only strings, integers, booleans, null, lists and objects, so any
JSON library re-creates the same bytes. One signature covers a whole batch's receipts: signing each of
500 receipts would cost more than storing them. The venue keeps the signed answer as its proof.

>>> from protocol.keys import generate_receipt_key
>>> key = generate_receipt_key("r1")
>>> answer = sign_statement({"kind": "example", "n": 1}, key)
>>> verify_statement(answer, key.public_text(), "example")
{'kind': 'example', 'n': 1}
>>> verify_statement(signed_json({"kind": "example", "n": 1}, key), key.public_text(), "example")
{'kind': 'example', 'n': 1}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature

from agent.domain.problems import Problem
from protocol import json_text
from protocol.keys import KeyFormatError, PlatformKey, ReceiptKey, b64decode, b64encode, load_ed25519_public
from protocol.messages import PROTOCOL, Receipt, ReceiptStatus

BATCH_RECEIPTS = "batch-receipts"
PERMIT_CHECK = "permit-check"
PLATFORM_KEY = "platform-key"


class UnverifiedAnswer(ValueError):
    """An answer whose signature or shape does not check out: it proves nothing, keep the event pending."""


def canonical(statement: Mapping[str, Any]) -> bytes:
    return json_text.canonical(statement)


def sign_statement(statement: Mapping[str, Any], key: ReceiptKey) -> dict[str, Any]:
    signature = key.signer.sign(canonical(statement))
    return {"statement": dict(statement), "signature": b64encode(signature), "signed_by": key.key_id}


def signed_json(statement: Mapping[str, Any], key: ReceiptKey) -> bytes:
    """`sign_statement` as JSON bytes, with the statement written in its canonical form: the bytes that
    were signed are serialised once (a batch answer holds hundreds of receipts)."""
    body = canonical(statement)
    head = json.dumps({"signature": b64encode(key.signer.sign(body)), "signed_by": key.key_id})
    return head[:-1].encode() + b', "statement": ' + body + b"}"


def verify_statement(answer: Mapping[str, Any] | bytes, receipt_public_key: str, kind: str) -> dict[str, Any]:
    """The statement of a signed answer, checked against the pinned receipt key and its expected kind."""
    if isinstance(answer, bytes | bytearray):
        try:
            answer = json_text.read(bytes(answer))
        except (ValueError, RecursionError):
            raise UnverifiedAnswer("the answer is not JSON") from None
    if not isinstance(answer, Mapping) or not isinstance(answer.get("statement"), dict):
        raise UnverifiedAnswer("the answer has no statement")
    statement = answer["statement"]
    try:
        public = load_ed25519_public(receipt_public_key, "receipt key")
        public.verify(b64decode(answer.get("signature"), "signature"), canonical(statement))
    except (InvalidSignature, KeyFormatError):
        raise UnverifiedAnswer("the answer's signature does not verify with the pinned receipt key") from None
    if statement.get("kind") != kind:
        raise UnverifiedAnswer(f"expected a {kind} statement")
    return statement


# --- batch receipts -----------------------------------------------------------------------------------

def receipts_statement(device_id: str, batch_id: str, received_at: str, receipts: list[dict[str, Any]],
                       dry_run: bool) -> dict[str, Any]:
    """The statement a batch answer signs; `receipts` as `Receipt.as_dict()` gives them (the platform
    writes the common ones out directly: a batch holds up to 2000)."""
    return {"protocol": PROTOCOL, "kind": BATCH_RECEIPTS, "device_id": device_id, "batch_id": batch_id,
            "received_at": received_at, "dry_run": dry_run, "receipts": receipts}


def verify_receipts(answer: Mapping[str, Any] | bytes, receipt_public_key: str,
                    device_id: str | None = None, batch_id: str | None = None) -> list[Receipt]:
    """The receipts in a batch answer, once its signature checks out against the pinned receipt key.

    Pass `device_id` and `batch_id` to make sure the answer is about the batch that was sent.
    """
    statement = verify_statement(answer, receipt_public_key, BATCH_RECEIPTS)
    if device_id is not None and statement.get("device_id") != device_id:
        raise UnverifiedAnswer("the receipts are for another device")
    if batch_id is not None and statement.get("batch_id") != batch_id:
        raise UnverifiedAnswer("the receipts are for another batch")
    receipts = []
    try:
        for item in statement["receipts"]:
            problem = None
            if "code" in item:
                problem = Problem(item["code"], item["zh"], item["en"], item.get("field"))
            receipts.append(Receipt(item["event_id"], ReceiptStatus(item["status"]), problem,
                                    statement["batch_id"], statement["received_at"], bool(statement["dry_run"])))
    except (KeyError, TypeError, ValueError):
        raise UnverifiedAnswer("the receipts are malformed") from None
    return receipts


# --- platform key announcements -----------------------------------------------------------------------

def key_announcement(platform_key: PlatformKey, key: ReceiptKey) -> dict[str, Any]:
    """A platform key signed by the receipt key, so that a venue can trust a rotated key it is told of."""
    return sign_statement({"protocol": PROTOCOL, "kind": PLATFORM_KEY, **platform_key.as_dict()}, key)


def verify_platform_key(announcement: Mapping[str, Any], receipt_public_key: str) -> PlatformKey:
    statement = verify_statement(announcement, receipt_public_key, PLATFORM_KEY)
    try:
        return PlatformKey.from_dict(statement)
    except KeyFormatError as exc:
        raise UnverifiedAnswer(str(exc)) from None


# --- permit checks ------------------------------------------------------------------------------------

def permit_answer_statement(device_id: str, query_id: str, status: str, valid_until: str | None,
                            checked_at: str) -> dict[str, Any]:
    return {"protocol": PROTOCOL, "kind": PERMIT_CHECK, "device_id": device_id, "query_id": query_id,
            "status": status, "valid_until": valid_until, "checked_at": checked_at}
