"""Request signatures: HTTP Message Signatures (RFC 9421) with the device's Ed25519 key, or its SM2 key.

We use `http-message-signatures` (a maintained RFC 9421 implementation) for the signature base and the
`Signature-Input` / `Signature` fields, and add what RFC 9421 leaves to the application: which
components must be covered, the date window and replay detection.

Every signed request covers

    "@method" "@path" "date" "content-digest"      (Content-Digest: RFC 9530, SHA-256 of the body)

plus each of `idempotency-key`, `dengji-key-id`, `dengji-suite` that the request carries. The signature
parameters are `created`, `keyid` (the device id), `alg="ed25519"`, a random `nonce` and
`tag="dengji/1"`; the label is `dengji`. The platform refuses a `created` or `Date` more than 5 minutes
from its clock, and a (keyid, nonce) it has seen before: so every attempt, retries included, is signed
anew (the sealed body stays the same).

A request sealed with the national suite is signed with the device's SM2 key instead: `alg="sm2-sm3"`
(SM2 with SM3, Z_A from the ID 1234567812345678, the signature DER: `protocol.gm`) over the same
signature base, and its `Content-Digest` is `sm3=:...:`. Which key signs follows from the key given;
which key verifies is the platform's choice (by the signed `Dengji-Suite`), never the request's `alg`.

It reads the claim of a request (`read_claim`: who, when, which
nonce) before its body, so that a request that cannot be good is refused before it costs a read.

>>> from datetime import datetime, timezone
>>> from protocol.keys import generate_device_key
>>> key = generate_device_key()
>>> now = datetime(2025, 3, 1, 6, 0, tzinfo=timezone.utc)
>>> headers = sign_request("POST", "/v1/batches", b"body", key, "dev_1", now)
>>> signer_of(headers)
'dev_1'
>>> read_claim(headers, now).created == int(now.timestamp())
True
>>> verify_request("POST", "/v1/batches", headers, b"body", key.public_key(), now).device_id
'dev_1'
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime

import http_sf
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, algorithms
from http_message_signatures.digests import ContentDigest
from http_message_signatures.exceptions import InvalidSignature

from protocol.gm import SM3_LENGTH, Sm2Key, Sm2PublicKey, sm3
from protocol.keys import SM2_SM3

LABEL = "dengji"
TAG = "dengji/1"
WINDOW = dt.timedelta(minutes=5)
NONCE_LENGTHS = range(16, 129)  # 16 bytes of randomness as base64url are 22 characters
BASE_COMPONENTS = ("@method", "@path", "date", "content-digest")
SIGNED_IF_PRESENT = ("idempotency-key", "dengji-key-id", "dengji-suite")
_SET_BY_SIGNING = {"date", "content-digest", "signature", "signature-input"}
_HOST = "https://platform.invalid"  # @path is all we cover of the URL: a proxy may change the authority


class SignatureRefused(Exception):
    """A signature the platform does not accept; `code` is a `protocol.refusals` code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


@dataclass
class _Message:
    """The request as the RFC 9421 library sees it: method, an absolute URL and header fields."""

    method: str
    url: str
    headers: object


class _KeyOf:
    """Key resolver for one request: signing and verifying each use exactly one known key."""

    def __init__(self, private: object = None, public: object = None) -> None:
        self.private, self.public = private, public

    def resolve_private_key(self, key_id: str) -> object:
        return self.private

    def resolve_public_key(self, key_id: str) -> object:
        return self.public


class _Sm3:
    """SM3 shaped as the library's digest functions are (`hashlib`'s: called on the body, `digest()`)."""

    digest_size = SM3_LENGTH

    def __init__(self, data: bytes = b"") -> None:
        self._data = data

    def digest(self) -> bytes:
        return sm3(self._data)


class Sm3ContentDigest(ContentDigest):
    """`Content-Digest: sm3=:...:` (RFC 9530's form, with SM3): the only digest of a national-suite request."""

    algorithm = "sm3"
    _hashers = {"sm3": _Sm3}  # noqa: RUF012 - the library's own class attribute


class SM2_SM3(algorithms.HTTPSignatureAlgorithm):
    """RFC 9421 algorithm `sm2-sm3` (not in its registry: the name this protocol gives it), with an
    `Sm2Key` to sign (the seam: a software key or a certified module) and an `Sm2PublicKey` to verify."""

    algorithm_id = SM2_SM3

    def __init__(self, public_key: Sm2PublicKey | None = None, private_key: Sm2Key | None = None) -> None:
        self.public_key, self.private_key = public_key, private_key

    def sign(self, message: bytes) -> bytes:
        assert self.private_key is not None
        return self.private_key.sign(message)

    def verify(self, signature: bytes, message: bytes) -> None:
        if self.public_key is None or not self.public_key.verify(signature, message):
            raise InvalidSignature("the SM2 signature does not verify")


class _Sm3Signer(HTTPMessageSigner):
    content_digest_class = Sm3ContentDigest


class _Verifier(HTTPMessageVerifier):
    """The library's verifier with our date window in place of its own clock and 5-second skew."""

    now: dt.datetime = dt.datetime.now(dt.timezone.utc)

    def validate_created_and_expires(self, sig_input, max_age=None):  # type: ignore[no-untyped-def]
        created = sig_input.params.get("created")
        if type(created) is not int:
            raise SignatureRefused("signature.invalid", "created must be an integer")
        if abs(created - self.now.timestamp()) > WINDOW.total_seconds():
            raise SignatureRefused("signature.stale", "created is outside the window")


class _Sm3Verifier(_Verifier):
    content_digest_class = Sm3ContentDigest


def http_date(now: dt.datetime) -> str:
    """The IMF-fixdate of `now` (RFC 9110), e.g. `Sat, 01 Mar 2025 06:00:00 GMT`."""
    return format_datetime(now.astimezone(dt.timezone.utc), usegmt=True)


def sign_request(method: str, path: str, body: bytes, device_key: ed25519.Ed25519PrivateKey | Sm2Key,
                 device_id: str, now: dt.datetime, headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers to send: `headers` plus Date, Content-Digest, Signature-Input and Signature. An Ed25519
    key signs `ed25519` with a SHA-256 digest, an SM2 key `sm2-sm3` with an SM3 digest.

    Call it for every attempt: a signature is good once, within 5 minutes of `now`.
    """
    fields = {name: value for name, value in (headers or {}).items() if name.lower() not in _SET_BY_SIGNING}
    fields["Date"] = http_date(now)
    present = {name.lower() for name in fields}
    covered = BASE_COMPONENTS + tuple(name for name in SIGNED_IF_PRESENT if name in present)
    message = _Message(method.upper(), _HOST + path, fields)
    if isinstance(device_key, ed25519.Ed25519PrivateKey):
        signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_KeyOf(private=device_key))
    else:
        signer = _Sm3Signer(signature_algorithm=SM2_SM3, key_resolver=_KeyOf(private=device_key))
    signer.sign(message, key_id=device_id, created=now, nonce=secrets.token_urlsafe(16), label=LABEL, tag=TAG,
                covered_component_ids=covered, body=body)
    return fields


def _field(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value (repeated field lines joined, as RFC 9110 combines them), whatever its case."""
    values = [value for key, value in headers.items() if key.lower() == name]
    return ", ".join(values) if values else None


def _parameters(headers: Mapping[str, str]) -> dict[str, object]:
    """The parameters of the `dengji` signature, before any check of the signature itself."""
    signature_input, signature = _field(headers, "signature-input"), _field(headers, "signature")
    if not signature_input or not signature:
        raise SignatureRefused("signature.missing")
    try:
        members = http_sf.parse(signature_input.encode("latin-1"), tltype="dictionary")
        _inner, params = members[LABEL]
        return dict(params)
    except Exception:  # any parse failure of a hostile header is the same refusal
        raise SignatureRefused("signature.invalid", "Signature-Input cannot be read") from None


def signer_of(headers: Mapping[str, str]) -> str:
    """The device id (`keyid`) a request claims to be signed by, before any check of the signature.

    Raises `SignatureRefused("signature.missing")` without signature fields and `signature.invalid` when
    they cannot be read.
    """
    key_id = _parameters(headers).get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureRefused("signature.invalid", "keyid is missing")
    return key_id


@dataclass(frozen=True)
class Claim:
    """What a request's signature says of itself, read before its body: who signed it, when, with which
    nonce. Nothing here is proven until `verify_request` checks the signature."""

    key_id: str
    created: int
    nonce: str


def read_claim(headers: Mapping[str, str], now: dt.datetime) -> Claim:
    """The claim of a request, refused at once if it cannot be good whatever the body: no signature
    (`signature.missing`), no key id, `created` or nonce (`signature.invalid`), `created` outside the
    window (`signature.stale`)."""
    params = _parameters(headers)
    key_id, created, nonce = params.get("keyid"), params.get("created"), params.get("nonce")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureRefused("signature.invalid", "keyid is missing")
    if type(created) is not int:
        raise SignatureRefused("signature.invalid", "created must be an integer")
    if not isinstance(nonce, str) or len(nonce) not in NONCE_LENGTHS:
        raise SignatureRefused("signature.invalid", "a nonce of 16 to 128 characters is required")
    if abs(created - now.timestamp()) > WINDOW.total_seconds():
        raise SignatureRefused("signature.stale", "created is outside the window")
    return Claim(key_id, created, nonce)


@dataclass(frozen=True)
class VerifiedRequest:
    """A request whose signature checked out: who signed it, when, and its nonce. (key id, nonce) names
    the signature for replay checks: the text of the `Signature` field does not, since the same bytes
    can be written several ways (padding, padding bits, parameters)."""

    device_id: str
    created: int
    nonce: str


def verify_request(method: str, path: str, headers: Mapping[str, str], body: bytes,
                   public_key: ed25519.Ed25519PublicKey | Sm2PublicKey, now: dt.datetime) -> VerifiedRequest:
    """Check the request's signature, its coverage, its body digest and its date window. The key says
    the algorithm: an Ed25519 key takes only `ed25519` (SHA-256 digest), an SM2 key only `sm2-sm3` (SM3
    digest); a request signed otherwise is `signature.invalid`.

    `path` is the raw (percent-encoded) path the request was sent to. Raises `SignatureRefused` with
    `signature.invalid` (a nonce is required) or `signature.stale`; replay detection is the caller's (it
    needs memory shared by every receiver of the platform).
    """
    present = {key.lower() for key in headers}
    required = BASE_COMPONENTS + tuple(name for name in SIGNED_IF_PRESENT if name in present)
    if isinstance(public_key, Sm2PublicKey):
        verifier: _Verifier = _Sm3Verifier(signature_algorithm=SM2_SM3, key_resolver=_KeyOf(public=public_key))
    else:
        verifier = _Verifier(signature_algorithm=algorithms.ED25519, key_resolver=_KeyOf(public=public_key))
    verifier.now = now
    message = _Message(method.upper(), _HOST + path, headers)
    try:
        results = verifier.verify(message, max_age=None, expect_tag=TAG, expect_label=LABEL,
                                  require_components=required, body=body)
    except SignatureRefused:  # our date window, raised from inside the library's checks
        raise
    except Exception as exc:  # the library raises InvalidSignature and others for hostile input
        raise SignatureRefused("signature.invalid", type(exc).__name__) from None
    result = results[0]
    date = _field(headers, "date") or ""
    try:
        sent = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        raise SignatureRefused("signature.stale", "Date cannot be read") from None
    if sent.tzinfo is None or abs(sent - now) > WINDOW:
        raise SignatureRefused("signature.stale", "Date is outside the window")
    nonce = result.nonce
    if not isinstance(nonce, str) or len(nonce) not in NONCE_LENGTHS:
        raise SignatureRefused("signature.invalid", "a nonce of 16 to 128 characters is required")
    return VerifiedRequest(str(result.parameters["keyid"]), int(result.parameters["created"]), nonce)
