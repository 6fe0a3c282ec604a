"""The platform's signed word: batch receipts, permit-check answers and platform key announcements.

Each is a *statement* (a JSON object) signed with the platform's Ed25519 receipt key, which a venue
pins at enrollment. On the wire:

    {"statement": {...}, "signature": "<base64 Ed25519 signature>", "signed_by": "<receipt key id>"}

The signature is over the statement's canonical bytes: UTF-8 JSON with sorted keys, no insignificant
white space and non-ASCII characters kept (`json.dumps(..., sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`). Statements hold only strings, integers, booleans, null, lists and objects, so any
JSON library re-creates the same bytes. One signature covers a whole batch's receipts: signing each of
500 receipts would cost more than storing them. The venue keeps the signed answer as its proof.

In the national suite the platform signs with the SM2 half of its receipt key, and says so:

    {"statement": {...}, "signature": "<base64 DER SM2 signature>", "signed_by": "<receipt key id>", "alg": "sm2-sm3"}

An answer without `alg` is Ed25519, as before. The agent verifies each with the matching pinned key.

>>> from protocol.keys import generate_receipt_key
>>> key = generate_receipt_key("r1")
>>> answer = sign_statement({"kind": "example", "n": 1}, key)
>>> verify_statement(answer, key.public_text(), "example")
{'kind': 'example', 'n': 1}
>>> verify_statement(signed_json({"kind": "example", "n": 1}, key), key.public_text(), "example")
{'kind': 'example', 'n': 1}
>>> gm = sign_statement({"kind": "example", "n": 2}, key, SM2_SM3)
>>> verify_statement(gm, PinnedKey(key.public_text(), key.sm2_public_text()), "example")
{'kind': 'example', 'n': 2}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature

from agent.domain.problems import Problem
from protocol import json_text
from protocol.keys import (ED25519, SM2_SM3, KeyFormatError, PlatformKey, ReceiptKey, b64decode, b64encode,
                           load_ed25519_public, load_sm2_public)
from protocol.messages import PROTOCOL, Receipt, ReceiptStatus

BATCH_RECEIPTS = "batch-receipts"
PERMIT_CHECK = "permit-check"
PLATFORM_KEY = "platform-key"
RECEIPT_KEY = "receipt-key"


class UnverifiedAnswer(ValueError):
    """An answer whose signature or shape does not check out: it proves nothing, keep the event pending."""


class PinnedKey(str):
    """A pinned receipt key: the Ed25519 public key (base64; the string itself, so that code that knows
    only Ed25519 keeps working) with the SM2 half's public point beside it (base64, "" when not pinned).
    Either may be "" when only the other was authenticated at enrollment."""

    sm2: str

    def __new__(cls, ed25519: str, sm2: str = "") -> PinnedKey:
        pinned = super().__new__(cls, ed25519)
        pinned.sm2 = sm2
        return pinned


def canonical(statement: Mapping[str, Any]) -> bytes:
    return json_text.canonical(statement)


def _sign(data: bytes, key: ReceiptKey, alg: str) -> str:
    return b64encode(key.sm2_signer.sign(data) if alg == SM2_SM3 else key.signer.sign(data))


def sign_statement(statement: Mapping[str, Any], key: ReceiptKey, alg: str = ED25519) -> dict[str, Any]:
    """The signed answer; with `alg` `sm2-sm3` signed by the receipt key's SM2 half, and saying so."""
    answer = {"statement": dict(statement), "signature": _sign(canonical(statement), key, alg), "signed_by": key.key_id}
    if alg == SM2_SM3:
        answer["alg"] = SM2_SM3
    return answer


def signed_json(statement: Mapping[str, Any], key: ReceiptKey, alg: str = ED25519) -> bytes:
    """`sign_statement` as JSON bytes, with the statement written in its canonical form: the bytes that
    were signed are serialised once (a batch answer holds hundreds of receipts)."""
    body = canonical(statement)
    head: dict[str, str] = {"signature": _sign(body, key, alg), "signed_by": key.key_id}
    if alg == SM2_SM3:
        head["alg"] = SM2_SM3
    return json.dumps(head)[:-1].encode() + b', "statement": ' + body + b"}"


def signed_anew(answer: bytes, key: ReceiptKey) -> bytes:
    """An answer `signed_json` wrote, signed by `key` instead (with the same algorithm), its statement
    unchanged: a stored answer replayed after the receipt key was replaced (the agent trusts only the
    current key for new answers)."""
    value = json_text.read(answer)
    return signed_json(value["statement"], key, value.get("alg", ED25519))


def _verify(answer: Mapping[str, Any], statement: Mapping[str, Any], receipt_public_key: str) -> None:
    """Raise `UnverifiedAnswer` unless the answer's signature verifies with the pinned key its `alg` names."""
    alg = answer.get("alg", ED25519)
    try:
        signature = b64decode(answer.get("signature"), "signature")
        if alg == SM2_SM3:
            sm2 = getattr(receipt_public_key, "sm2", "")
            if not sm2 or not load_sm2_public(sm2, "receipt key").verify(signature, canonical(statement)):
                raise InvalidSignature()
        elif alg == ED25519:
            load_ed25519_public(receipt_public_key, "receipt key").verify(signature, canonical(statement))
        else:
            raise InvalidSignature()
    except (InvalidSignature, KeyFormatError):
        raise UnverifiedAnswer("the answer's signature does not verify with the pinned receipt key") from None


def verify_statement(answer: Mapping[str, Any] | bytes, receipt_public_key: str, kind: str) -> dict[str, Any]:
    """The statement of a signed answer, checked against the pinned receipt key (a `PinnedKey` to accept
    `sm2-sm3` answers too) and its expected kind."""
    if isinstance(answer, bytes | bytearray):
        try:
            answer = json_text.read(bytes(answer))
        except (ValueError, RecursionError):
            raise UnverifiedAnswer("the answer is not JSON") from None
    if not isinstance(answer, Mapping) or not isinstance(answer.get("statement"), dict):
        raise UnverifiedAnswer("the answer has no statement")
    statement = answer["statement"]
    _verify(answer, statement, receipt_public_key)
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
#
# An announcement travels outside the signed statement of an answer (`platform_key`), so anyone who can
# answer in the platform's place can hand the agent any announcement the receipt key ever signed,
# including one of a retired key whose private half a stolen disk gave away. So the agent adopts an
# announcement only if its key was published after the key it holds (no rollback) and the announcement
# has not expired; the platform signs its current key's announcement anew well before it expires.

ANNOUNCEMENT_LIFETIME = timedelta(days=14)


def key_announcement(platform_key: PlatformKey, key: ReceiptKey, alg: str = ED25519) -> dict[str, Any]:
    """A platform key signed by the receipt key, so that a venue can trust a rotated key it is told of.
    `platform_key.expires_at` says until when (`ANNOUNCEMENT_LIFETIME` after signing, on the platform)."""
    return sign_statement({"protocol": PROTOCOL, "kind": PLATFORM_KEY, **platform_key.as_dict()}, key, alg)


def verify_platform_key(announcement: Mapping[str, Any], receipt_public_key: str) -> PlatformKey:
    """The key of an announcement signed by the receipt key (its expiry and age are not looked at: that
    is `adopt_platform_key`)."""
    statement = verify_statement(announcement, receipt_public_key, PLATFORM_KEY)
    try:
        return PlatformKey.from_dict(statement)
    except KeyFormatError as exc:
        raise UnverifiedAnswer(str(exc)) from None


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def adopt_platform_key(announcement: Mapping[str, Any], receipt_public_key: str, held: PlatformKey,
                       now: datetime) -> PlatformKey | None:
    """The key to seal to from now on, when `announcement` tells of a newer one than `held`; None when it
    tells of `held` itself. `UnverifiedAnswer` when it is not signed by the receipt key, has no expiry or
    has expired, or tells of a key published no later than the one held (a rollback)."""
    key = verify_platform_key(announcement, receipt_public_key)
    expires = _moment(key.expires_at)
    if expires is None:
        raise UnverifiedAnswer("the key announcement has no expiry")
    if expires <= now:
        raise UnverifiedAnswer("the key announcement has expired")
    if key.key_id == held.key_id:
        return None
    published, held_published = _moment(key.published_at), _moment(held.published_at)
    if published is None or (held_published is not None and published <= held_published):
        raise UnverifiedAnswer("the announced key is not newer than the key held: refused (a rollback)")
    return key


# --- receipt key rotation -----------------------------------------------------------------------------
#
# The platform can replace its receipt key: the old key signs a statement naming the new one (kind
# `receipt-key`, with `replaces`), and answers carry every such statement (`receipt_keys`, outside the
# signed statement). An agent walks from the key it pins, each step verified by the key before, and
# then pins the last; it keeps the old public keys only to verify the answers it kept.

def receipt_key_endorsement(new: ReceiptKey, old: ReceiptKey, published_at: str, alg: str = ED25519
                            ) -> dict[str, Any]:
    """`new` (both halves) as the successor of `old`, signed by `old` (its SM2 half with `sm2-sm3`: what
    a device in the national suite follows)."""
    statement = {"protocol": PROTOCOL, "kind": RECEIPT_KEY, "key_id": new.key_id, "public_key": new.public_text(),
                 "replaces": old.key_id, "published_at": published_at}
    if new.sm2_key:
        statement["sm2_public_key"] = new.sm2_public_text()
    return sign_statement(statement, old, alg)


def follow_receipt_keys(endorsements: object, key_id: str, public_key: str) -> list[tuple[str, str]]:
    """The receipt keys that replaced (`key_id`, `public_key`), in order, as (key id, public key), each
    verified with the one before; empty when none did. `UnverifiedAnswer` when a statement on the path
    does not verify. Each public key is a `PinnedKey`: with the SM2 half the statement names, if any."""
    if not isinstance(endorsements, list):
        return []
    by_signer = {item.get("signed_by"): item for item in endorsements if isinstance(item, dict)}
    chain: list[tuple[str, str]] = []
    while key_id in by_signer and len(chain) < len(endorsements):
        statement = verify_statement(by_signer[key_id], public_key, RECEIPT_KEY)
        successor, successor_public = statement.get("key_id"), statement.get("public_key")
        if statement.get("replaces") != key_id or not isinstance(successor, str) or successor == key_id:
            raise UnverifiedAnswer("the receipt key statement does not replace the key that signed it")
        successor_sm2 = statement.get("sm2_public_key", "")
        try:
            load_ed25519_public(successor_public, "receipt key")
            if successor_sm2:
                load_sm2_public(successor_sm2, "receipt key")
        except KeyFormatError:
            raise UnverifiedAnswer("the receipt key statement holds no key") from None
        key_id, public_key = successor, PinnedKey(str(successor_public), str(successor_sm2))
        chain.append((key_id, public_key))
    return chain


# --- permit checks ------------------------------------------------------------------------------------

def permit_answer_statement(device_id: str, query_id: str, status: str, valid_until: str | None,
                            checked_at: str) -> dict[str, Any]:
    return {"protocol": PROTOCOL, "kind": PERMIT_CHECK, "device_id": device_id, "query_id": query_id,
            "status": status, "valid_until": valid_until, "checked_at": checked_at}
