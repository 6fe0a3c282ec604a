"""Passport numbers, with the holder's nationality (ISO 3166-1 alpha-3).

Each state numbers its passports its own way and publishes no common check digit outside the machine
readable zone (see `mrz`), so a typed number is checked for what all of them share: letters and
digits only, 5 to 20 of them (most are 8 or 9). The nationality is checked for its form here; whether
the code is a real country is the country table's job (see `registration`). For Chinese passports
(E or G and 8 more characters) an unusual shape is a warning, not an error: official passports and
older series differ.

>>> validate('e 1234 5678', 'chn')
'E12345678'
>>> validate_nationality('deu')
'DEU'
>>> mask('E12345678')
'E1***5678'
"""

from __future__ import annotations

import re

from agent.domain.errors import InvalidDocument, InvalidFormat, InvalidLength
from agent.domain.problems import Problem, Severity
from agent.validation.normalise import compact_number, mask_middle

MIN_LENGTH = 5
MAX_LENGTH = 20
_NATIONALITY = re.compile(r"[A-Z]{3}")  # checked for every registration's nationality: compiled once


def compact(number: str) -> str:
    """Strip spaces, dashes and MRZ fillers ('<'); half-width and upper-case."""
    return compact_number(number).replace("<", "")


def validate(number: str, nationality: str | None = None) -> str:
    """The compact number when well-formed (and the nationality, when given, too); raises otherwise."""
    if nationality is not None:
        validate_nationality(nationality)
    number = compact(number)
    if not re.fullmatch(r"[A-Z0-9]*", number):
        raise InvalidFormat(Problem(
            "passport.format",
            "护照号码只含英文字母和数字：请去掉汉字和符号",
            "a passport number has only letters and digits: remove other characters and symbols",
        ))
    if not MIN_LENGTH <= len(number) <= MAX_LENGTH:
        raise InvalidLength(Problem(
            "passport.length",
            f"护照号码应为 {MIN_LENGTH} 至 {MAX_LENGTH} 个字符，现在是 {len(number)} 个：请核对护照资料页",
            f"a passport number has {MIN_LENGTH} to {MAX_LENGTH} characters, this one has {len(number)}: "
            "check the passport's data page",
        ))
    return number


def validate_nationality(code: str) -> str:
    """The upper-case three-letter code; raises `InvalidFormat` for anything else."""
    compacted = compact_number(code)
    if not _NATIONALITY.fullmatch(compacted):
        raise InvalidFormat(Problem(
            "passport.nationality",
            "国籍应为三位英文字母代码（ISO 3166-1，例如 USA、DEU、JPN）：请按护照上的国籍代码填写",
            "nationality is a three-letter code (ISO 3166-1, such as USA, DEU, JPN): use the code "
            "printed in the passport",
        ))
    return compacted


def warnings(number: str, nationality: str | None = None) -> list[Problem]:
    """What the operator should know about a valid number: an unusual Chinese passport number."""
    number = validate(number, nationality)
    if nationality is not None and validate_nationality(nationality) == "CHN":
        if not re.fullmatch(r"[EG][0-9A-Z][0-9]{7}|[DSP][0-9A-Z]{7,8}", number):
            return [Problem(
                "passport.chn_unusual",
                "中国护照号码通常为 E 或 G 加 8 位：请核对号码",
                "a Chinese passport number is usually E or G and 8 more characters: check the number",
                severity=Severity.WARNING,
            )]
    return []


def is_valid(number: str, nationality: str | None = None) -> bool:
    """True when `validate()` accepts the number."""
    try:
        validate(number, nationality)
    except InvalidDocument:
        return False
    return True


def format(number: str) -> str:
    """The number as printed in the passport."""
    return compact(number)


def mask(number: str) -> str:
    """The first two and the last four kept."""
    return mask_middle(compact(number), head=2, tail=4)
