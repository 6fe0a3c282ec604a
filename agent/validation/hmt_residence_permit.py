"""Residence permit for Hong Kong, Macau and Taiwan residents (港澳台居民居住证, issued since 2018).

The number is built like a resident ID number (GB 11643): 18 characters, the same ISO 7064 MOD 11-2
check character, the birth date as YYYYMMDD in characters 7-14 and the sex in the parity of the 17th.
Only the first six differ: 810000 for Hong Kong, 820000 for Macau, 830000 for Taiwan residents.

>>> validate('810000199408230021')
'810000199408230021'
>>> parse('830000 19900101 001 2')
HmtPermitInfo(region='TW', birth_date=datetime.date(1990, 1, 1), sex=<Sex.MALE: 'M'>)
>>> mask('810000199408230021')
'810000********0021'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from agent.domain import Sex
from agent.domain.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidDocument,
    InvalidFormat,
    InvalidLength,
)
from agent.domain.problems import Problem
from agent.validation import resident_id
from agent.validation.normalise import compact_number, mask_middle

PREFIXES = {"810000": "HK", "820000": "MO", "830000": "TW"}


@dataclass(frozen=True)
class HmtPermitInfo:
    """What the permit number says: where the holder lives (HK, MO or TW), birth date and sex."""

    region: str
    birth_date: date
    sex: Sex


def compact(number: str) -> str:
    """Strip spaces and dashes, make full-width characters half-width, upper-case the X."""
    return compact_number(number)


def validate(number: str, *, today: date | None = None) -> str:
    """The compact number when valid; raises an `InvalidDocument` subclass otherwise."""
    number = compact(number)
    if len(number) != 18:
        raise InvalidLength(Problem(
            "hmt_residence_permit.length",
            f"港澳台居民居住证号码应为 18 位，现在是 {len(number)} 位：请检查是否漏输或多输",
            f"the permit number has 18 characters, this one has {len(number)}: look for a missing or extra digit",
        ))
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise InvalidFormat(Problem(
            "hmt_residence_permit.format",
            "港澳台居民居住证号码只能由数字组成，最后一位可以是 X：请去掉字母和符号",
            "the permit number has only digits, and the last character may be X: remove letters and symbols",
        ))
    if number[:6] not in PREFIXES:
        raise InvalidComponent(Problem(
            "hmt_residence_permit.prefix",
            "港澳台居民居住证号码以 810000（香港）、820000（澳门）或 830000（台湾）开头："
            "如果这是内地居民身份证，请改选“居民身份证”",
            "the permit number starts with 810000 (Hong Kong), 820000 (Macau) or 830000 (Taiwan); "
            "if this is a mainland resident ID, choose that document type",
        ))
    if number[17] != resident_id.calc_check_digit(number):  # never naming the right one: see resident_id
        raise InvalidChecksum(Problem(
            "hmt_residence_permit.checksum",
            "居住证号码校验位错误：最后一位与前 17 位不符，说明号码中有一位输错了：请对照证件逐位核对整个号码",
            "check digit is wrong: the last character does not match the first 17 digits, so a digit is "
            "wrong somewhere: compare the whole number with the card digit by digit",
        ))
    resident_id.check_birth_date(number[6:14], today=today, code="hmt_residence_permit")
    return number


def is_valid(number: str) -> bool:
    """True when `validate()` accepts the number."""
    try:
        validate(number)
    except InvalidDocument:
        return False
    return True


def parse(number: str) -> HmtPermitInfo:
    """Region, birth date and sex from a valid number."""
    number = validate(number)
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return HmtPermitInfo(PREFIXES[number[:6]], born, resident_id.sex_of(number))


def format(number: str) -> str:
    """The number as printed on the card."""
    return compact(number)


def mask(number: str) -> str:
    """Prefix and the last four kept: `810000********0021`."""
    return mask_middle(compact(number), head=6, tail=4)
