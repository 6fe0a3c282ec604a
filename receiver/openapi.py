"""The OpenAPI 3.1 document served at `/v1/openapi.json`, built from the same tables the server uses.

Refusal statuses and codes come from `protocol.refusals.CATALOGUE` and each route lists the codes it can
answer with, so the document cannot drift from the behaviour unnoticed: a test walks the live router
and checks every route, method and observed status against this document.
"""

from __future__ import annotations

from typing import Any

from protocol.keys import SUITE_PREFERENCE
from protocol.messages import MAX_EVENTS_PER_BATCH, PROTOCOL
from protocol.refusals import CATALOGUE

SIGNED = ["signature.missing", "signature.invalid", "signature.stale", "signature.replayed", "device.unknown",
          "device.revoked", "rate.limited", "platform.overloaded", "body.too_large", "body.too_slow"]
SEALED = ["seal.unknown_key", "seal.key_expired", "seal.unsupported_suite", "seal.suite_required",
          "body.not_sealed", "body.not_compressed"]
ALWAYS = ["platform.error", "route.method_not_allowed", "rate.too_many_connections"]
FAULTS = ["fault.injected"]

ROUTE_CODES: dict[tuple[str, str], list[str]] = {
    ("get", "/v1/health"): [],
    ("get", "/v1/openapi.json"): [],
    ("get", "/v1/platform-key"): [],
    ("post", "/v1/enroll"): ["body.malformed", "body.too_large", "body.too_slow", "rate.limited",
                             "seal.suite_required", "enroll.bad_request", "enroll.code_invalid",
                             "enroll.code_used", "enroll.code_expired", "enroll.kind_mismatch", *FAULTS],
    ("post", "/v1/batches"): [*SIGNED, *SEALED, "batch.no_idempotency_key", "batch.malformed", "batch.mismatch",
                              "idempotency.key_reused", *FAULTS],
    ("post", "/v1/permit-checks"): [*SIGNED, *SEALED, "permit_check.malformed", *FAULTS],
    ("put", "/v1/test/faults"): ["body.malformed", "body.too_slow"],
}

_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "zh", "en"],
    "properties": {"code": {"type": "string"}, "zh": {"type": "string"}, "en": {"type": "string"},
                   "field": {"type": ["string", "null"]}, "severity": {"type": "string"}}}}}
_SIGNED_ANSWER = {"type": "object", "required": ["statement", "signature", "signed_by"], "properties": {
    "statement": {"type": "object"}, "signature": {"type": "string", "description": "base64 Ed25519"},
    "signed_by": {"type": "string"}, "platform_key": {"$ref": "#/components/schemas/SignedAnswer"}}}
_RECEIPT = {"type": "object", "required": ["event_id", "status"], "properties": {
    "event_id": {"type": "string"}, "status": {"enum": ["accepted", "duplicate", "rejected", "valid"]},
    "code": {"type": "string"}, "zh": {"type": "string"}, "en": {"type": "string"},
    "field": {"type": ["string", "null"]}}}
_SIGNATURE_HEADERS = [
    {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
    for name, text in (("Date", "IMF-fixdate, within 5 minutes of the platform's clock"),
                       ("Content-Digest", "RFC 9530 sha-256 of the body"),
                       ("Signature-Input", "RFC 9421, label dengji, keyid = device id, tag dengji/1"),
                       ("Signature", "RFC 9421 Ed25519 signature"),
                       ("Dengji-Key-Id", "the platform key id the body is sealed to"),
                       ("Dengji-Suite", "the cipher suite: " + ", ".join(s.value for s in SUITE_PREFERENCE)))]


def _responses(method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "answer", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/SignedAnswer"} if path in ("/v1/batches", "/v1/permit-checks")
        else {"type": "object"}}}}}
    by_status: dict[int, list[str]] = {}
    for code in ROUTE_CODES[(method, path)] + ALWAYS:
        status = CATALOGUE[code][0]
        by_status.setdefault(status, []).append(code)
    if "fault.injected" in ROUTE_CODES[(method, path)]:
        by_status.setdefault(503, []).append("fault.injected")
        by_status.setdefault(429, []).append("fault.injected")
    for status, codes in sorted(by_status.items()):
        entry: dict[str, Any] = {"description": "codes: " + ", ".join(sorted(set(codes))),
                                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if status in (429, 503):
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        responses[str(status)] = entry
    return responses


def openapi_document() -> dict[str, Any]:
    sealed_body = {"required": True, "content": {"application/octet-stream": {"schema": {
        "type": "string", "format": "binary",
        "description": "HPKE enc || ciphertext of zlib-compressed JSON (see docs/protocol.md)"}}}}
    operations: dict[str, dict[str, Any]] = {
        "/v1/health": {"get": {"summary": "Liveness, protocol version, accepted suites, current key id"}},
        "/v1/openapi.json": {"get": {"summary": "This document"}},
        "/v1/platform-key": {"get": {"summary": "The current platform key, signed by the receipt key; the receipt "
                                                  "key and the suites accepted"}},
        "/v1/enroll": {"post": {"summary": "Redeem a one-time enrollment code for a device id",
                                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                                    "type": "object", "required": ["code", "venue", "device_public_key"],
                                    "properties": {"code": {"type": "string"}, "venue": {"type": "object"},
                                                   "device_public_key": {"type": "string"},
                                                   "sm2_public_key": {"type": "string", "description":
                                                                      "base64 of the SM2 point 04 || X || Y"},
                                                   "suites": {"type": "array"}}}}}}}},
        "/v1/batches": {"post": {"summary": f"Report up to {MAX_EVENTS_PER_BATCH} events; one receipt per event",
                                 "parameters": [*_SIGNATURE_HEADERS, {
                                     "name": "Idempotency-Key", "in": "header", "required": True,
                                     "schema": {"type": "string"}, "description": "the batch id"}],
                                 "requestBody": sealed_body}},
        "/v1/permit-checks": {"post": {"summary": "Is this residence permit valid (一证通)",
                                       "parameters": _SIGNATURE_HEADERS, "requestBody": sealed_body}},
        "/v1/test/faults": {"put": {"summary": "Replace the fault plan (exists only with serve --faults)",
                                    "requestBody": {"required": True, "content": {"application/json": {
                                        "schema": {"type": "object"}}}}}},
    }
    for path, methods in operations.items():
        for method, operation in methods.items():
            operation["responses"] = _responses(method, path)
    return {"openapi": "3.1.0",
            "info": {"title": "dengji platform (reference receiver)", "version": PROTOCOL,
                     "description": "Wire protocol v1 of dengji; the full text is docs/protocol.md."},
            "paths": operations,
            "components": {"schemas": {"Error": _ERROR, "SignedAnswer": _SIGNED_ANSWER, "Receipt": _RECEIPT}}}
