"""Foreign permanent resident ID card (外国人永久居留身份证), in its two numbering forms.

Since 1 December 2023 the National Immigration Administration issues 18-character numbers built like
a resident ID: '9' (a foreigner), the two-digit province code of the issuing office, the nationality as
a three-digit ISO 3166-1 numeric code, the birth date as YYYYMMDD, a three-digit sequence and an ISO
7064 MOD 11-2 check character. All of that is checked; a numeric nationality code missing from the
shipped ISO table (`data/iso3166_numeric.txt`) is only a warning, since the issuer may use codes the
standard lacks. The sex is not read from the sequence: no published text says the parity rule of the
resident ID applies.

Cards of the 2017 (and 2004) series keep their 15 characters: the nationality as three letters
(ISO 3166-1 alpha-3, published) and 12 digits. The layout of those digits (issuing region, YYMMDD
birth date, a sex digit, and an ICAO 9303 7-3-1 check digit) is NOT published by the issuing
authority; it comes from public implementations and their examples. So for 15-character numbers only
the form is an error; an impossible birth date or a check digit that does not match is a warning.

>>> validate('911398199012310021')
'911398199012310021'
>>> validate('kaz 1100 9012 3105')
'KAZ110090123105'
>>> parse('KAZ110090123105').nationality
'KAZ'
>>> parse('911398199012310021').nationality  # 398 is Kazakhstan's numeric code
'KAZ'
>>> mask('911398199012310021')
'91************0021'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from agent.domain.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidDocument,
    InvalidFormat,
    InvalidLength,
)
from agent.domain.problems import Problem, Severity
from agent.validation import mrz, regions, resident_id
from agent.validation.normalise import compact_number, mask_middle


@dataclass(frozen=True)
class ForeignPermanentIdInfo:
    """What the number says. Fields a form of the number does not carry reliably are None."""

    nationality: str | None  # ISO alpha-3; None when an 18-character number's numeric code is unknown
    nationality_numeric: str | None  # from 18-character numbers
    birth_date: date | None  # only from 18-character numbers, where the layout is published


def compact(number: str) -> str:
    """Strip spaces and dashes, make full-width characters half-width, upper-case."""
    return compact_number(number)


def validate(number: str, *, today: date | None = None) -> str:
    """The compact number when valid; raises an `InvalidDocument` subclass otherwise."""
    number = compact(number)
    if len(number) == 18:
        return _validate_2023(number, today)
    if len(number) == 15:
        if not re.fullmatch(r"[A-Z]{3}[0-9]{12}", number):
            raise InvalidFormat(Problem(
                "foreign_permanent_id.format",
                "15 位的外国人永久居留身份证号码由 3 个英文字母（国籍）和 12 位数字组成：请核对",
                "a 15-character permanent residence ID is 3 letters (the nationality) and 12 digits: check it",
            ))
        return number
    raise InvalidLength(Problem(
        "foreign_permanent_id.length",
        f"外国人永久居留身份证号码为 18 位（2023 年起）或 15 位（旧版），现在是 {len(number)} 位：请核对",
        f"a permanent residence ID number has 18 characters (since 2023) or 15 (older cards), "
        f"this one has {len(number)}: check it",
    ))


def _validate_2023(number: str, today: date | None) -> str:
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise InvalidFormat(Problem(
            "foreign_permanent_id.format",
            "18 位的外国人永久居留身份证号码只由数字组成，最后一位可以是 X：请去掉字母和符号",
            "an 18-character permanent residence ID has only digits, the last may be X: "
            "remove letters and symbols",
        ))
    if number[0] != "9":
        raise InvalidFormat(Problem(
            "foreign_permanent_id.prefix",
            "18 位的外国人永久居留身份证号码以 9 开头：如果这是中国居民身份证，请改选“居民身份证”",
            "an 18-character permanent residence ID starts with 9; if this is a Chinese resident ID, "
            "choose that document type",
        ))
    if number[17] != resident_id.calc_check_digit(number):  # never naming the right one: see resident_id
        raise InvalidChecksum(Problem(
            "foreign_permanent_id.checksum",
            "永居证号码校验位错误：最后一位与前 17 位不符，说明号码中有一位输错了：请对照证件逐位核对整个号码",
            "check digit is wrong: the last character does not match the first 17 digits, so a digit is "
            "wrong somewhere: compare the whole number with the card digit by digit",
        ))
    if not regions.is_province(number[1:3]):
        raise InvalidComponent(Problem(
            "foreign_permanent_id.province",
            f"永居证号码第 2、3 位 {number[1:3]} 不是省级行政区代码：请核对",
            f"characters 2-3 ({number[1:3]}) are not a province code: check the number",
        ))
    resident_id.check_birth_date(number[6:14], today=today, code="foreign_permanent_id")
    return number


def warnings(number: str, *, today: date | None = None) -> list[Problem]:
    """Doubts about a valid 15-character number, whose inner layout is not published (see above)."""
    number = validate(number, today=today)
    if len(number) == 18:
        if number[3:6] in numeric_countries():
            return []
        return [Problem(
            "foreign_permanent_id.nationality_unknown",
            f"号码第 4 至 6 位的国籍代码 {number[3:6]} 不在 ISO 3166-1 数字代码表中：请核对号码",
            f"characters 4 to 6 ({number[3:6]}) are not an ISO 3166-1 numeric country code: check the number",
            severity=Severity.WARNING,
        )]
    found = []
    if number[14] != mrz.check_digit(number[:14]):  # never naming the right one: see resident_id
        found.append(Problem(
            "foreign_permanent_id.checksum_unconfirmed",
            "按公开实现的规则，最后一位与前 14 位不符：请逐位核对整个号码（该规则未经官方公布，仅作提醒）",
            "by the rule public implementations use, the last digit does not match the first 14: check the "
            "whole number (the rule is not officially published, so this is only a warning)",
            severity=Severity.WARNING,
        ))
    if _yymmdd(number[7:13]) is None:
        found.append(Problem(
            "foreign_permanent_id.birth_date_unconfirmed",
            "号码第 8 至 13 位不是有效的出生日期（YYMMDD）：请核对号码",
            "characters 8 to 13 are not a valid birth date (YYMMDD): check the number",
            severity=Severity.WARNING,
        ))
    return found


def parse(number: str) -> ForeignPermanentIdInfo:
    """Nationality and birth date where the number's form carries them reliably."""
    number = validate(number)
    if len(number) == 15:
        return ForeignPermanentIdInfo(number[:3], None, None)
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return ForeignPermanentIdInfo(numeric_countries().get(number[3:6]), number[3:6], born)


@cache
def numeric_countries() -> dict[str, str]:
    """ISO 3166-1 numeric code -> alpha-3 code."""
    text = resources.files("agent.validation.data").joinpath("iso3166_numeric.txt").read_text(encoding="utf-8")
    return dict(line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))


def is_valid(number: str) -> bool:
    """True when `validate()` accepts the number."""
    try:
        validate(number)
    except InvalidDocument:
        return False
    return True


def format(number: str) -> str:
    """The number as printed on the card."""
    return compact(number)


def mask(number: str) -> str:
    """The first two and the last four kept."""
    return mask_middle(compact(number), head=2, tail=4)


def _yymmdd(digits: str) -> date | None:
    for century in (1900, 2000):
        try:
            return date(century + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
        except ValueError:
            continue
    return None
