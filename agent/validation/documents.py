"""One entry point for every identity document a person may be registered with.

The form, the CSV import and the platform all hold a (document type, number) pair; this module picks
the right validator, adds what the number itself says (birth date, sex, nationality) and checks the
nationality the operator entered against the document. A child with no document of its own
(`none_with_guardian`) has no number at all.

>>> validate_document(DocType.RESIDENT_ID, '11010519491231002X')
('11010519491231002X', [])
>>> validate_document('passport', 'e1234567 8', nationality='CHN')
('E12345678', [])
>>> mask_document(DocType.HK_MACAU_PERMIT, 'H12345678')
'H1***5678'
>>> document_facts(DocType.RESIDENT_ID, '11010519491231002X')
DocumentFacts(birth_date=datetime.date(1949, 12, 31), sex=<Sex.FEMALE: 'F'>, nationality='CHN')
"""

from __future__ import annotations

from datetime import date
from types import ModuleType
from typing import NamedTuple

from agent.domain import DocType, Sex
from agent.domain.errors import InvalidComponent, InvalidFormat
from agent.domain.problems import Problem
from agent.validation import (
    foreign_permanent_id,
    hk_macau_permit,
    hmt_residence_permit,
    passport,
    resident_id,
    taiwan_permit,
)
from agent.validation.normalise import compact_number

VALIDATORS: dict[DocType, ModuleType] = {
    DocType.RESIDENT_ID: resident_id,
    DocType.HK_MACAU_PERMIT: hk_macau_permit,
    DocType.TAIWAN_PERMIT: taiwan_permit,
    DocType.HMT_RESIDENCE_PERMIT: hmt_residence_permit,
    DocType.PASSPORT: passport,
    DocType.FOREIGN_PERMANENT_ID: foreign_permanent_id,
}

# Holders of these documents are Chinese nationals; forms variously record them as CHN or by region.
_HMT_NATIONALITIES = frozenset({"CHN", "HKG", "MAC", "TWN"})
_DOC_NAMES = {
    DocType.RESIDENT_ID: ("居民身份证", "a resident ID card"),
    DocType.HK_MACAU_PERMIT: ("港澳居民来往内地通行证", "a travel permit for Hong Kong and Macau residents"),
    DocType.TAIWAN_PERMIT: ("台湾居民来往大陆通行证", "a travel permit for Taiwan residents"),
    DocType.HMT_RESIDENCE_PERMIT: ("港澳台居民居住证", "a residence permit for Hong Kong, Macau and Taiwan residents"),
}


class DocumentFacts(NamedTuple):
    """What a valid number says about its holder; None where the document does not say."""

    birth_date: date | None = None
    sex: Sex | None = None
    nationality: str | None = None


def parse_doc_type(value: DocType | str) -> DocType:
    """The DocType for a stored or typed value; raises `InvalidFormat` naming the accepted values."""
    if isinstance(value, DocType):  # already parsed: every call below passes its member on
        return value
    try:
        return DocType(value)
    except ValueError:
        accepted = ", ".join(member.value for member in DocType)
        raise InvalidFormat(Problem(
            "document.type",
            f"不认识的证件类型：请选择 {accepted} 之一",
            f"unknown document type: choose one of {accepted}",
        )) from None


def validate_document(doc_type: DocType | str, number: str,
                      nationality: str | None = None) -> tuple[str, list[Problem]]:
    """The compact (upgraded) number and the warnings about it; raises `InvalidDocument` when invalid.

    `nationality`, when given, is checked against what the document implies (a resident ID holder is
    CHN; a 15-character permanent residence ID starts with the holder's nationality).
    """
    doc_type = parse_doc_type(doc_type)
    if doc_type is DocType.NONE_WITH_GUARDIAN:
        if compact_number(number):
            raise InvalidFormat(Problem(
                "document.number_not_expected",
                "随监护人登记的儿童没有证件号码：请清空号码，或改选儿童本人的证件类型",
                "a child registered under a guardian has no document number: clear the number or choose "
                "the child's own document type",
            ))
        return "", []
    if doc_type is DocType.PASSPORT:
        compacted = passport.validate(number, nationality)
        return compacted, passport.warnings(compacted, nationality)
    module = VALIDATORS[doc_type]
    compacted = module.validate(number)
    found = list(module.warnings(number)) if hasattr(module, "warnings") else []
    if nationality is not None:
        check_nationality(doc_type, compacted, nationality)
    return compacted, found


class CheckedDocument(NamedTuple):
    """A valid document number, the warnings about it and what it says about its holder."""

    number: str
    warnings: list[Problem]
    facts: DocumentFacts


def check_document(doc_type: DocType | str, number: str, nationality: str | None = None, *,
                   today: date | None = None) -> CheckedDocument:
    """`validate_document` then `document_facts`, with the same results and errors, but reading a
    resident ID once: the registration check needs both for every registration, on the agent and on
    the platform, and validating the number three times was a third of its cost. A birth date in a
    resident ID is checked against `today` (default: today in China).

    >>> check_document(DocType.RESIDENT_ID, '110105491231002').facts
    DocumentFacts(birth_date=datetime.date(1949, 12, 31), sex=<Sex.FEMALE: 'F'>, nationality='CHN')
    """
    doc_type = parse_doc_type(doc_type)
    if doc_type is DocType.RESIDENT_ID:
        reading = resident_id.read(number, today=today)
        if nationality is not None:
            check_nationality(doc_type, reading.number, nationality)
        info = reading.info
        return CheckedDocument(reading.number, reading.warnings, DocumentFacts(info.birth_date, info.sex, "CHN"))
    compacted, found = validate_document(doc_type, number, nationality)
    return CheckedDocument(compacted, found, document_facts(doc_type, compacted))


def document_facts(doc_type: DocType | str, number: str) -> DocumentFacts:
    """Birth date, sex and nationality read from a valid number, where its document carries them."""
    doc_type = parse_doc_type(doc_type)
    if doc_type is DocType.RESIDENT_ID:
        info = resident_id.parse(number)
        return DocumentFacts(info.birth_date, info.sex, "CHN")
    if doc_type is DocType.HMT_RESIDENCE_PERMIT:
        permit = hmt_residence_permit.parse(number)
        return DocumentFacts(permit.birth_date, permit.sex)
    if doc_type is DocType.FOREIGN_PERMANENT_ID:
        card = foreign_permanent_id.parse(number)
        return DocumentFacts(card.birth_date, None, card.nationality)
    return DocumentFacts()


def mask_document(doc_type: DocType | str, number: str) -> str:
    """The number as lists show it (`410102********1234`); '' for a child without a document."""
    doc_type = parse_doc_type(doc_type)
    if doc_type is DocType.NONE_WITH_GUARDIAN:
        return ""
    return VALIDATORS[doc_type].mask(number)


def check_nationality(doc_type: DocType | str, number: str, nationality: str) -> None:
    """Raise `InvalidComponent` when the nationality contradicts a valid document number."""
    doc_type = parse_doc_type(doc_type)
    if doc_type is DocType.RESIDENT_ID and nationality == "CHN":
        return  # what nearly every registration states: settled before the general checks
    nationality = passport.validate_nationality(nationality)
    if doc_type in (DocType.PASSPORT, DocType.NONE_WITH_GUARDIAN):
        return
    if doc_type is DocType.FOREIGN_PERMANENT_ID:
        implied = foreign_permanent_id.parse(number).nationality
        if nationality == "CHN":
            raise InvalidComponent(Problem(
                "document.nationality_mismatch",
                "外国人永久居留身份证的持有人不是中国国籍：请填写持证人的国籍",
                "the holder of a foreign permanent resident ID is not a Chinese national: enter the "
                "holder's nationality",
            ))
        if implied is not None and implied != nationality:
            raise InvalidComponent(Problem(
                "document.nationality_mismatch",
                f"证件号码显示国籍为 {implied}，填写的是 {nationality}：请核对国籍或号码",
                f"the number says the nationality is {implied}, {nationality} was entered: check the "
                "nationality or the number",
            ))
        return
    allowed = {"CHN"} if doc_type is DocType.RESIDENT_ID else _HMT_NATIONALITIES
    if nationality not in allowed:
        zh_doc, en_doc = _DOC_NAMES[doc_type]
        raise InvalidComponent(Problem(
            "document.nationality_mismatch",
            f"{zh_doc}的持有人是中国公民，国籍应为 {'、'.join(sorted(allowed))}：请核对国籍或证件类型",
            f"the holder of {en_doc} is a Chinese national, so nationality is {', '.join(sorted(allowed))}: "
            "check the nationality or the document type",
        ))
