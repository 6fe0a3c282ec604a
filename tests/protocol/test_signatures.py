"""Request signatures: what is covered, the date window, and hostile signature fields."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from protocol.keys import generate_device_key
from protocol.signatures import SignatureRefused, sign_request, signer_of, verify_request

NOW = datetime(2025, 3, 1, 6, 0, tzinfo=timezone.utc)
KEY = generate_device_key()
EXTRA = {"Idempotency-Key": "b-1", "Dengji-Key-Id": "k1", "Dengji-Suite": "x"}


def signed(**overrides: str) -> dict[str, str]:
    return {**sign_request("POST", "/v1/batches", b"body", KEY, "dev_1", NOW, EXTRA), **overrides}


def refusal(headers: dict[str, str], body: bytes = b"body", path: str = "/v1/batches",
            now: datetime = NOW, method: str = "POST") -> str:
    with pytest.raises(SignatureRefused) as refused:
        verify_request(method, path, headers, body, KEY.public_key(), now)
    return refused.value.code


def test_a_signed_request_verifies_and_names_its_device() -> None:
    verified = verify_request("POST", "/v1/batches", signed(), b"body", KEY.public_key(), NOW)
    assert verified.device_id == "dev_1" and len(verified.nonce) >= 16
    assert 'keyid="dev_1"' in signed()["Signature-Input"]
    for covered in ('"@method"', '"@path"', '"date"', '"content-digest"', '"idempotency-key"',
                    '"dengji-key-id"', '"dengji-suite"'):
        assert covered in signed()["Signature-Input"]


@pytest.mark.parametrize("name", ["Idempotency-Key", "Dengji-Key-Id", "Dengji-Suite", "Date"])
def test_changing_a_covered_header_breaks_the_signature(name: str) -> None:
    assert refusal(signed(**{name: "changed"})) in ("signature.invalid", "signature.stale")


def test_the_body_method_and_path_are_covered() -> None:
    assert refusal(signed(), body=b"other") == "signature.invalid"
    assert refusal(signed(), path="/v1/permit-checks") == "signature.invalid"
    assert refusal(signed(), method="PUT") == "signature.invalid"


def test_an_uncovered_sealing_header_cannot_be_slipped_in() -> None:
    headers = sign_request("POST", "/v1/batches", b"body", KEY, "dev_1", NOW, {})
    assert refusal({**headers, "Dengji-Key-Id": "k-evil"}) == "signature.invalid"


@pytest.mark.parametrize("offset, ok", [(timedelta(minutes=4, seconds=59), True), (timedelta(minutes=5, seconds=1),
                                                                                 False)])
def test_the_date_window_is_five_minutes_either_way(offset: timedelta, ok: bool) -> None:
    for now in (NOW + offset, NOW - offset):
        if ok:
            verify_request("POST", "/v1/batches", signed(), b"body", KEY.public_key(), now)
        else:
            assert refusal(signed(), now=now) == "signature.stale"


@pytest.mark.parametrize("headers, code", [
    ({}, "signature.missing"),
    ({"Signature": "dengji=:AAAA:"}, "signature.missing"),
    ({"Signature": "dengji=:AAAA:", "Signature-Input": "garbage((("}, "signature.invalid"),
    ({"Signature": "x", "Signature-Input": 'other=("@method");keyid="dev_1"'}, "signature.invalid"),
    ({"Signature": "x", "Signature-Input": 'dengji=("@method");keyid=1'}, "signature.invalid"),
])
def test_unreadable_signature_fields_are_refused_by_code(headers: dict[str, str], code: str) -> None:
    with pytest.raises(SignatureRefused) as refused:
        signer_of(headers)
    assert refused.value.code == code
