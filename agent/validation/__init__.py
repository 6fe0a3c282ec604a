"""Validators for identity documents, phone numbers, credit codes and whole registrations.

One module per document, each with the same small verbs (after python-stdnum): `compact()`,
`validate()` (returns the compact form or raises an `InvalidDocument` subclass), `is_valid()`,
`format()`. Every error carries a machine code and a Chinese and English message that says how to fix
it. Messages never repeat the full number: personal data stays out of logs and exceptions.
"""

from agent.validation.documents import DocumentFacts, document_facts, mask_document, validate_document
from agent.validation.problems import (
    InvalidChecksum,
    InvalidComponent,
    InvalidDocument,
    InvalidFormat,
    InvalidLength,
    Problem,
    Severity,
)
from agent.validation.registration import CheckedRegistration, check_departure, check_registration

__all__ = [
    "CheckedRegistration",
    "DocumentFacts",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidDocument",
    "InvalidFormat",
    "InvalidLength",
    "Problem",
    "Severity",
    "check_departure",
    "check_registration",
    "document_facts",
    "mask_document",
    "validate_document",
]
