"""Permit checks (一证通): may this person's residence permit be relied on?

A landlord or employer asks the platform whether a residence permit (居住证) is valid. The query holds
personal numbers, so it is sealed like a batch (purpose `permit-check`) and signed; the answer names
no one (it echoes only the query id) and is signed with the receipt key.

Statuses: `valid`, `expired`, `revoked`, `not_found` (no permit with this number for this document
number: a mismatch is not told apart from an unknown number, so the check cannot be used to probe).

>>> query = permit_check_query("4101020000012345", "11010519491231002X", query_id="q1")
>>> sorted(query)
['document_number', 'permit_number', 'query_id']
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from protocol.keys import SUITE_PREFERENCE, CipherSuite, PlatformKey
from protocol.messages import MalformedMessage, parse_json_object
from protocol.receipts import PERMIT_CHECK, UnverifiedAnswer, verify_statement
from protocol.sealing import PERMIT_CHECK as PURPOSE
from protocol.sealing import Sealed, seal

PERMIT_CHECKS_PATH = "/v1/permit-checks"
STATUSES = ("valid", "expired", "revoked", "not_found")


def permit_check_query(permit_number: str, document_number: str, query_id: str | None = None) -> dict[str, str]:
    return {"query_id": query_id or str(uuid.uuid4()), "permit_number": permit_number,
            "document_number": document_number}


def seal_permit_check(query: Mapping[str, str], platform_key: PlatformKey, device_id: str,
                      supported: tuple[CipherSuite, ...] = SUITE_PREFERENCE) -> Sealed:
    return seal(json.dumps(dict(query), ensure_ascii=False).encode(), platform_key, PURPOSE, device_id, supported)


def parse_permit_query(plaintext: bytes) -> dict[str, str]:
    """The query in an opened body, or `MalformedMessage("permit_check.malformed")`."""
    value = parse_json_object(plaintext, "permit_check.malformed")
    fields = ("query_id", "permit_number", "document_number")
    if not all(isinstance(value.get(name), str) and 0 < len(value[name]) <= 64 for name in fields):
        raise MalformedMessage("permit_check.malformed", "query_id, permit_number and document_number needed")
    return {name: value[name] for name in fields}


@dataclass(frozen=True)
class PermitAnswer:
    query_id: str
    status: str
    valid_until: str | None
    checked_at: str

    @property
    def holds_valid_permit(self) -> bool:
        return self.status == "valid"


def read_permit_answer(answer: Mapping[str, Any] | bytes, receipt_public_key: str,
                       query_id: str | None = None) -> PermitAnswer:
    statement = verify_statement(answer, receipt_public_key, PERMIT_CHECK)
    if query_id is not None and statement.get("query_id") != query_id:
        raise UnverifiedAnswer("the answer is for another query")
    if statement.get("status") not in STATUSES:
        raise UnverifiedAnswer("unknown permit status")
    return PermitAnswer(str(statement["query_id"]), statement["status"], statement.get("valid_until"),
                        str(statement.get("checked_at", "")))
