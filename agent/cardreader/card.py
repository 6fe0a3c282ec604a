"""What a reader hands over: the fields of one identity card, ready for a registration's person.

The field names are those of a registration's person (`doc_type`, `doc_number`, `name`, `sex`,
`ethnicity`, `birth_date`, `address`, `nationality`) plus what only the card says (`name_en`, `issuer`,
`valid_from`, `valid_until`). The value's repr masks the number and leaves the name out, so a card that
ends up in a log line, a traceback or a failed assertion discloses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from agent.domain import CHINA_TIME, DocType, Sex
from agent.domain.problems import Problem
from agent.validation.documents import mask_document


class CardLayout(StrEnum):
    """Which of the four 256-byte text layouts the card uses (the type flag at bytes 248-249)."""

    RESIDENT_ID = "resident_id"  # 居民身份证: flag space (or zero bytes)
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证: flag J
    FOREIGN_PERMANENT_2017 = "foreign_permanent_2017"  # 外国人永久居留身份证 (2017): flag I
    FOREIGN_PERMANENT_2023 = "foreign_permanent_2023"  # 外国人永久居留身份证 (2023): flag Y


DOC_TYPE_OF_LAYOUT: dict[CardLayout, DocType] = {
    CardLayout.RESIDENT_ID: DocType.RESIDENT_ID,
    CardLayout.HMT_RESIDENCE_PERMIT: DocType.HMT_RESIDENCE_PERMIT,
    CardLayout.FOREIGN_PERMANENT_2017: DocType.FOREIGN_PERMANENT_ID,
    CardLayout.FOREIGN_PERMANENT_2023: DocType.FOREIGN_PERMANENT_ID,
}

JSON_KEYS = ("doc_type", "doc_number", "name", "name_en", "sex", "ethnicity", "nationality", "birth_date",
             "address", "issuer", "valid_from", "valid_until")


@dataclass(frozen=True, repr=False)
class IdentityCard:
    """The fields read from one card. `valid_until` is None for a long-term (长期) card.

    `name` is the Chinese name, or the English name when the card has no Chinese one; `issuer` is the
    issuing authority's name (the issuing office's code as written on a 2017 foreigner's card), None
    where the card has none. `warnings` are the validators' doubts and the parser's, never errors.
    """

    layout: CardLayout
    doc_number: str
    name: str
    name_en: str | None
    sex: Sex
    ethnicity: str | None
    nationality: str
    birth_date: date
    address: str | None
    issuer: str | None
    valid_from: date
    valid_until: date | None
    warnings: tuple[Problem, ...] = field(default=())

    @property
    def doc_type(self) -> DocType:
        return DOC_TYPE_OF_LAYOUT[self.layout]

    @property
    def expired(self) -> bool:
        """True when the card's validity ended before today in China. Reading it is not refused here:
        the registration form refuses it for a hotel stay."""
        return self.expired_on(datetime.now(CHINA_TIME).date())

    def expired_on(self, day: date) -> bool:
        """True when the card was no longer valid on `day` (its last valid day is `valid_until`)."""
        return self.valid_until is not None and day > self.valid_until

    @property
    def masked_number(self) -> str:
        """The number as lists show it (`110105********002X`)."""
        return mask_document(self.doc_type, self.doc_number)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of `dengji reader read --json`: exactly `JSON_KEYS`, dates as YYYY-MM-DD."""
        return {
            "doc_type": self.doc_type.value,
            "doc_number": self.doc_number,
            "name": self.name,
            "name_en": self.name_en,
            "sex": self.sex.value,
            "ethnicity": self.ethnicity,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat(),
            "address": self.address,
            "issuer": self.issuer,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }

    def person_fields(self) -> dict[str, str]:
        """The registration's `person` fields the card fills, in the payload's keys and forms (what
        `check_registration` takes); the form adds the rest (phone, ...). The English name and the
        card's issuer and validity are not person fields: the form reads them off the card itself."""
        fields = {
            "doc_type": self.doc_type.value,
            "doc_number": self.doc_number,
            "name": self.name,
            "sex": self.sex.value,
            "birth_date": self.birth_date.isoformat(),
            "nationality": self.nationality,
        }
        if self.ethnicity:
            fields["ethnicity"] = self.ethnicity
        if self.address:
            fields["address"] = self.address
        return fields

    def __repr__(self) -> str:
        return f"IdentityCard({self.layout.value}, {self.masked_number})"

    __str__ = __repr__
