"""Enrollment: a venue's device trades a one-time code from the police station for a device id.

`POST /v1/enroll` is the one request that is neither signed nor sealed: the device has no id yet and
does not know the platform key. It runs over TLS; the code (single use, short-lived) is what
authorises it. The device sends its Ed25519 public key and, always, its SM2 public key
(`sm2_public_key`, base64 of `04 || X || Y`): which suites the platform accepts is learnt only from the
answer, and a platform in the national suite verifies the device's requests with the SM2 key. The
platform answers with the device id, the platform key announcement and the receipt key to pin (its
Ed25519 key and, beside it, its SM2 half), which then authenticates every later answer (including
announcements of rotated platform keys).

>>> from protocol.gm import SoftwareSm2Key
>>> from protocol.keys import generate_device_key
>>> body = enroll_request("ABCD-EFGH-JKMN-PQRS", {"kind": "hotel", "name": "如家"}, generate_device_key(),
...                       sm2_key=SoftwareSm2Key.generate())
>>> sorted(body)
['code', 'device_public_key', 'protocol', 'sm2_public_key', 'suites', 'venue']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from protocol.gm import Sm2Key
from protocol.keys import SUITE_PREFERENCE, CipherSuite, KeyFormatError, load_sm2_public, public_key_text, \
    sm2_public_text
from protocol.messages import PROTOCOL, Enrollment
from protocol.receipts import PinnedKey, UnverifiedAnswer, verify_platform_key

ENROLL_PATH = "/v1/enroll"
PLATFORM_KEY_PATH = "/v1/platform-key"  # the platform's public key statement: checked before a code is sent


def enroll_request(code: str, venue: Mapping[str, Any], device_key: ed25519.Ed25519PrivateKey,
                   suites: tuple[CipherSuite, ...] = SUITE_PREFERENCE, sm2_key: Sm2Key | None = None
                   ) -> dict[str, Any]:
    """The JSON body of `POST /v1/enroll`. `venue` holds the venue's details (kind, name, address,
    police station, agreement and licence numbers) as the agent keeps them; the agent always gives
    `sm2_key` (a body without it is an older agent's, which the platform still takes)."""
    body = {"protocol": PROTOCOL, "code": code, "venue": dict(venue),
            "device_public_key": public_key_text(device_key), "suites": [suite.value for suite in suites]}
    if sm2_key is not None:
        body["sm2_public_key"] = sm2_public_text(sm2_key)
    return body


def read_enrollment(answer: Mapping[str, Any]) -> Enrollment:
    """The enrollment answer, with its platform key checked against the receipt key it came with."""
    try:
        receipt = answer["receipt_key"]
        receipt_key_id, receipt_public = receipt["key_id"], receipt["public_key"]
        receipt_sm2 = receipt.get("sm2_public_key", "")
        if receipt_sm2:
            load_sm2_public(receipt_sm2, "receipt key")
        platform_key = verify_platform_key(answer["platform_key"], PinnedKey(receipt_public, receipt_sm2))
        device_id = answer["device_id"]
        if not all(isinstance(v, str) for v in (device_id, receipt_key_id, receipt_public, receipt_sm2)):
            raise UnverifiedAnswer("the enrollment answer is malformed")
        suites = tuple(str(s) for s in answer.get("suites", []))
    except (KeyError, TypeError, KeyFormatError):
        raise UnverifiedAnswer("the enrollment answer is malformed") from None
    return Enrollment(device_id, platform_key, receipt_key_id, receipt_public, suites, receipt_sm2)
