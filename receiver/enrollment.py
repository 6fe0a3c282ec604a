"""Enrollment codes and devices: the police station issues a code, the venue's device redeems it once.

A code is 16 characters of Crockford's base32 (80 random bits) in groups of four, e.g.
`7K3M-Q9XD-2HPW-ZT5C`; typed in any case, with or without dashes. Only its SHA-256 is stored: a
database copy does not let anyone enroll. A code expires (7 days by default) and works once, even when
two devices race to redeem it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from agent.domain import VenueKind
from protocol.keys import SUITE_PREFERENCE, CipherSuite, KeyFormatError, load_ed25519_public, load_sm2_public
from protocol.messages import PROTOCOL, holds_lone_surrogate, nests_deeper_than
from protocol.refusals import Refusal
from receiver.keyring import KeyRing
from receiver.storage import Storage, iso

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
DEFAULT_TTL = timedelta(days=7)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def code_hash(code: str) -> str:
    """The stored form of a code, from the code as typed (case, dashes and spaces do not matter)."""
    compact = "".join(ch for ch in code.upper() if ch not in "- \t")
    return hashlib.sha256(compact.encode("utf-8", "replace")).hexdigest()


def issue_code(storage: Storage, venue_name: str, venue_kind: VenueKind | None, now: datetime,
               ttl: timedelta = DEFAULT_TTL) -> str:
    code = new_code()
    storage.add_code(code_hash(code), venue_name, venue_kind.value if venue_kind else None, iso(now), iso(now + ttl))
    return code


MAX_VENUE_DEPTH = 4  # the venue's details are flat; a little room for a platform's additions


def _read_request(value: dict[str, Any]) -> tuple[str, dict[str, Any], str, str | None]:
    code, venue, public_key = value.get("code"), value.get("venue"), value.get("device_public_key")
    if not isinstance(code, str) or not 0 < len(code) <= 64 or not isinstance(venue, dict):
        raise Refusal.of("enroll.bad_request")
    # Kept as JSON text: a lone surrogate cannot be stored in UTF-8, nor a thousand levels written back.
    if holds_lone_surrogate(value) or nests_deeper_than(venue, MAX_VENUE_DEPTH):
        raise Refusal.of("enroll.bad_request", field="venue")
    kind, name = venue.get("kind"), venue.get("name")
    # The name is stored as text of its own: PostgreSQL refuses a NUL in text, and no name needs a control
    # character (found by the enrollment fuzzer).
    if not isinstance(kind, str) or kind not in VenueKind._value2member_map_ or not isinstance(name, str) \
            or not name.strip() or len(name) > 200 or not name.isprintable():
        raise Refusal.of("enroll.bad_request", field="venue")
    try:
        load_ed25519_public(public_key, "device public key")
    except KeyFormatError:
        raise Refusal.of("enroll.bad_request", field="device_public_key") from None
    sm2_public_key = value.get("sm2_public_key")
    if sm2_public_key is not None:  # an agent from before the national suite sends none
        try:
            load_sm2_public(sm2_public_key, "device SM2 public key")
        except KeyFormatError:
            raise Refusal.of("enroll.bad_request", field="sm2_public_key") from None
    return code, venue, str(public_key), sm2_public_key


def enroll(storage: Storage, keys: KeyRing, value: dict[str, Any], now: datetime,
           suites: tuple[CipherSuite, ...] = SUITE_PREFERENCE) -> dict[str, Any]:
    """Redeem a code for a device id; the answer the device keeps (platform key, receipt key to pin).
    A device that offers none of the platform's `suites` is refused before its code is used; so is one
    that would use the national suite without an SM2 key to sign with. When the platform accepts only
    the national suite, the announcement in the answer is signed by the receipt key's SM2 half."""
    code, venue, public_key, sm2_public_key = _read_request(value)
    offered = value.get("suites")
    if isinstance(offered, list) and not any(suite.value in offered for suite in suites):
        raise Refusal.of("seal.suite_required", extra={"required_suite": suites[0].value})
    gm_only = suites == (CipherSuite.GM,)
    if gm_only and sm2_public_key is None:
        raise Refusal.of("seal.suite_required", extra={"required_suite": CipherSuite.GM.value})
    digest = code_hash(code)
    device_id = f"dev_{secrets.token_hex(8)}"
    with storage.write() as conn:
        row = storage.code(conn, digest)
        if row is None:
            raise Refusal.of("enroll.code_invalid")
        if row.used_at is not None:
            raise Refusal.of("enroll.code_used")
        if row.expires_at <= iso(now):
            raise Refusal.of("enroll.code_expired")
        if row.venue_kind is not None and row.venue_kind != venue["kind"]:
            raise Refusal.of("enroll.kind_mismatch", field="venue.kind")
        if not storage.use_code(conn, digest, device_id, iso(now)):
            raise Refusal.of("enroll.code_used")
        storage.add_device(conn, device_id=device_id, venue_kind=venue["kind"], venue_name=venue["name"].strip(),
                           venue=json.dumps(venue, ensure_ascii=False), public_key=public_key,
                           sm2_public_key=sm2_public_key, enrolled_at=iso(now), revoked_at=None)
    return {"protocol": PROTOCOL, "device_id": device_id, "venue_kind": venue["kind"],
            "receipt_key": keys.receipt_public(),
            "platform_key": keys.announcement_for(CipherSuite.GM if gm_only else None),
            "suites": [suite.value for suite in suites]}
