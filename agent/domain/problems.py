"""What is wrong with an input, said so that a person can fix it: a code, a Chinese and an English message.

A `Problem` is a value (for forms, CSV reports, receipts and refusals); errors carry one
(`agent.domain.errors`). Its `zh` and `en` are whole sentences in one language each, never containing a
full personal number.
"""

from __future__ import annotations

from dataclasses import dataclass
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
        return f"{self.code}: {self.en}"  # for logs and tracebacks; people are shown `text(lang)`

    def text(self, lang: str) -> str:
        """The message in one language (`zh` or `en`)."""
        return self.en if lang == "en" else self.zh

    def at(self, field_name: str) -> Problem:
        """The same problem, attached to a form field."""
        return Problem(self.code, self.zh, self.en, field_name, self.severity)

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "zh": self.zh, "en": self.en, "field": self.field,
                "severity": self.severity.value}
