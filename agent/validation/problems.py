"""What a validator says when something is wrong: a code, a Chinese and an English message.

A `Problem` is a value (for forms, CSV reports and receipts); an `InvalidDocument` is the exception a
validator raises, carrying one `Problem`. The exception hierarchy follows python-stdnum so the
kind of error can be told apart:

    InvalidDocument (ValueError)
     +-- InvalidLength      the number has the wrong number of characters
     +-- InvalidFormat      characters that do not belong, or a wrong prefix
     +-- InvalidChecksum    the check digit or character does not match
     +-- InvalidComponent   a part is impossible (birth date in the future, unknown province)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the record is refused
    WARNING = "warning"  # the record is accepted, the operator is told


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, said so that a clerk can fix it.

    `code` is stable and machine-readable (`resident_id.checksum`); `zh` and `en` are whole sentences
    that never contain the full personal number; `field` names the form field when known.
    """

    code: str
    zh: str
    en: str
    field: str | None = None
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.zh} ({self.en})"

    def text(self, lang: str) -> str:
        """The message in one language (`zh` or `en`)."""
        return self.en if lang == "en" else self.zh

    def at(self, field_name: str) -> Problem:
        """The same problem, attached to a form field."""
        return Problem(self.code, self.zh, self.en, field_name, self.severity)

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "zh": self.zh, "en": self.en, "field": self.field,
                "severity": self.severity.value}


@dataclass
class InvalidDocument(ValueError):
    """A number that is not valid; `problem` says what and how to fix it."""

    problem: Problem
    warnings: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return str(self.problem)


class InvalidLength(InvalidDocument):
    pass


class InvalidFormat(InvalidDocument):
    pass


class InvalidChecksum(InvalidDocument):
    pass


class InvalidComponent(InvalidDocument):
    pass
