"""Validators for identity documents, phone numbers, credit codes and whole registrations.

One module per document, each with the same small verbs (after python-stdnum): `compact()`,
`validate()` (returns the compact form or raises an `InvalidDocument` subclass), `is_valid()`,
`format()`. Every error carries a machine code and a Chinese and English message that says how to fix
it. Messages never repeat the full number: personal data stays out of logs and exceptions.

Holds also: a venue's details (`venue`), a new PIN (`pin`), times (`datetimes`), and the vocabulary
(`words`: how the words people type become codes, for JSON, spreadsheets and forms alike).
May import: `agent.domain` only. The platform (`receiver`) runs the same checks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agent.domain.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidDocument,
    InvalidFormat,
    InvalidLength,
)
from agent.domain.problems import Problem, Severity

if TYPE_CHECKING:
    from agent.validation.documents import (
        DocumentFacts,
        document_facts,
        mask_document,
        validate_document,
    )
    from agent.validation.registration import (
        CheckedRegistration,
        check_departure,
        check_registration,
    )

# The validators load on first use: `agent.domain.problems` is imported by modules that only carry
# problems (the uploader daemon, the protocol), and loading every document module with it cost the idle
# daemon 2.4 MiB of its resident memory.
_LAZY = {
    "DocumentFacts": "agent.validation.documents",
    "document_facts": "agent.validation.documents",
    "mask_document": "agent.validation.documents",
    "validate_document": "agent.validation.documents",
    "CheckedRegistration": "agent.validation.registration",
    "check_departure": "agent.validation.registration",
    "check_registration": "agent.validation.registration",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
