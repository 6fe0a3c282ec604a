"""Resident identity card number (居民身份证号码, 公民身份号码, GB 11643-1999).

Eighteen characters: a six-digit region code (GB/T 2260, the county where the number was first
issued), the birth date as YYYYMMDD, a three-digit sequence (odd for men, even for women) and an
ISO 7064 MOD 11-2 check character (0-9 or X). Numbers issued before 1999 had 15 digits (GB 11643-1989):
the year without its century and no check digit; they are accepted and upgraded to 18.

The county code is checked against every GB/T 2260 table published since 1980, but an unknown county
is only a warning: counties are abolished and renumbered while their IDs stay valid, and no public
table is complete. An unknown province is an error.

>>> validate('11010519491231002X')
'11010519491231002X'
>>> validate('110105 19491231 002x')
'11010519491231002X'
>>> validate('110105491231002')  # the same person's legacy 15-digit number
'11010519491231002X'
>>> validate('110105194912310021')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
agent.domain.errors.InvalidChecksum: ...
>>> parse('11010519491231002X')
ResidentIdInfo(region_code='110105', birth_date=datetime.date(1949, 12, 31), sex=<Sex.FEMALE: 'F'>)
>>> mask('11010519491231002X')
'110105********002X'
"""

from __future__ import annotations

import operator
import re
from datetime import date, datetime
from typing import NamedTuple

from agent.domain import CHINA_TIME, Sex
from agent.domain.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidDocument,
    InvalidFormat,
    InvalidLength,
)
from agent.domain.problems import Problem, Severity
from agent.validation import regions
from agent.validation.normalise import compact_number, mask_middle

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2**(17-i) mod 11
_CHECK_CHARACTERS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)
# Province-level codes that are in GB/T 2260 but never head a resident ID: Taiwan (71) and the two
# SARs (81, 82) issue no mainland IDs; 81/82/83 head the residence permits of their residents.
_NOT_RESIDENT_ID_PROVINCES = {"71": "台湾", "81": "香港", "82": "澳门", "83": "台湾"}
_EIGHTEEN = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS = re.compile(r"[0-9]+")


class ResidentIdInfo(NamedTuple):
    """What a resident ID number says about its holder. (A named tuple: it is built for every
    registration checked, on the agent and on the platform, and a frozen dataclass costs 4x more.)"""

    region_code: str
    birth_date: date
    sex: Sex

    @property
    def region_name(self) -> str | None:
        """The issuing county's name ('北京市朝阳区'), for "native region" display; None when unknown."""
        return region_name(self.region_code)


def compact(number: str) -> str:
    """Strip spaces and dashes, make full-width characters half-width, upper-case the X."""
    return compact_number(number)


def calc_check_digit(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    head = body[:17]
    if len(head) == 17 and head.isascii() and head.isdigit():
        # The weights are 2**(17-i) mod 11, and 13 = 2 (mod 11): read in base 13, the digits sum
        # d_i * 2**(16-i) (mod 11) in one C call. Measured: the multiplications were 6% of a registration
        # check, on every registration on the agent and the platform.
        return _CHECK_CHARACTERS[2 * int(head, 13) % 11]
    total = sum(map(operator.mul, map(int, head), _WEIGHTS))
    return _CHECK_CHARACTERS[total % 11]


def to_18(number: str) -> str:
    """Upgrade a legacy 15-digit number: insert the century '19' and append the check digit.

    >>> to_18('110105491231002')
    '11010519491231002X'
    """
    number = compact(number)
    if len(number) == 18:
        return number
    if len(number) != 15 or not _is_digits(number):
        raise InvalidLength(_length_problem(len(number)))
    body = number[:6] + "19" + number[6:]
    return body + calc_check_digit(body)


def validate(number: str, *, today: date | None = None) -> str:
    """The 18-character form of a valid number; raises an `InvalidDocument` subclass otherwise.

    Legacy 15-digit numbers come back upgraded (see `to_18`).
    """
    return _validated(compact(number), today)


def _validated(number: str, today: date | None) -> str:
    """`validate` of a number already compacted."""
    return _checked(number, today)[0]


def _checked(number: str, today: date | None) -> tuple[str, date]:
    """`validate` of a number already compacted, and the birth date it holds."""
    if len(number) == 15:
        if not _is_digits(number):
            raise InvalidFormat(_format_problem())
        number = to_18(number)
    elif len(number) != 18:
        raise InvalidLength(_length_problem(len(number)))
    if not _EIGHTEEN.fullmatch(number):
        raise InvalidFormat(_format_problem())
    if number[17] != calc_check_digit(number):
        # The message never names the right check digit: the wrong digit is as often one of the other
        # 17, and a clerk told "the last one should be X" types X and stores a valid but wrong number.
        raise InvalidChecksum(Problem(
            "resident_id.checksum",
            "身份证号校验位错误：最后一位与前 17 位不符，说明号码中有一位输错了：请对照证件逐位核对整个号码",
            "check digit is wrong: the last character does not match the first 17 digits, so a digit is "
            "wrong somewhere: compare the whole number with the card digit by digit",
        ))
    check_province(number[:2])
    return number, check_birth_date(number[6:14], today=today)


def check_province(prefix: str) -> None:
    """Raise `InvalidComponent` unless the two digits are a mainland province-level code."""
    if prefix in _NOT_RESIDENT_ID_PROVINCES:
        place = _NOT_RESIDENT_ID_PROVINCES[prefix]
        raise InvalidComponent(Problem(
            "resident_id.province",
            f"以 {prefix} 开头的号码不是内地居民身份证，而是{place}居民的证件：请改选“港澳台居民居住证”",
            f"a number starting with {prefix} is not a mainland resident ID: choose the residence "
            "permit for Hong Kong, Macau and Taiwan residents as the document type",
        ))
    if not regions.is_province(prefix):
        raise InvalidComponent(Problem(
            "resident_id.province",
            f"身份证号前两位 {prefix} 不是任何省级行政区的代码：请核对号码开头",
            f"the first two digits {prefix} are not the code of any province: check the start of the number",
        ))


def check_birth_date(digits: str, *, today: date | None = None, code: str = "resident_id") -> date:
    """The birth date encoded as YYYYMMDD; raises `InvalidComponent` when it is impossible."""
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidComponent(Problem(
            f"{code}.birth_date",
            f"号码中的出生日期 {digits[:4]}-{digits[4:6]}-{digits[6:8]} 不存在：请核对第 7 至 14 位",
            f"the birth date in the number ({digits[:4]}-{digits[4:6]}-{digits[6:8]}) does not exist: "
            "check characters 7 to 14",
        )) from None
    today = today or datetime.now(CHINA_TIME).date()
    if born > today:
        raise InvalidComponent(Problem(
            f"{code}.birth_date",
            f"号码中的出生日期 {born.isoformat()} 在今天之后：请核对第 7 至 14 位",
            f"the birth date in the number ({born.isoformat()}) is in the future: check characters 7 to 14",
        ))
    if born < _EARLIEST_BIRTH:
        raise InvalidComponent(Problem(
            f"{code}.birth_date",
            f"号码中的出生日期 {born.isoformat()} 早于 1900 年：请核对第 7 至 14 位",
            f"the birth date in the number ({born.isoformat()}) is before 1900: check characters 7 to 14",
        ))
    return born


def is_valid(number: str) -> bool:
    """True when `validate()` accepts the number."""
    try:
        validate(number)
    except InvalidDocument:
        return False
    return True


def warnings(number: str) -> list[Problem]:
    """What the operator should know about a valid number: an unknown county, a legacy number.

    >>> [w.code for w in warnings('110105491231002')]
    ['resident_id.legacy_15_digits']
    """
    compacted = compact(number)
    return _warnings(compacted, _validated(compacted, None))


def _warnings(compacted: str, number: str) -> list[Problem]:
    """The warnings about `number`, valid and upgraded from `compacted` (the number as typed, compacted)."""
    found = []
    if len(compacted) == 15:
        found.append(Problem(
            "resident_id.legacy_15_digits",
            "这是第一代身份证的 15 位号码，已自动升级为 18 位；第一代身份证自 2013 年起停止使用，请核对本人现用证件",
            "this is a 15-digit first-generation number, upgraded to 18 digits; first-generation cards "
            "stopped being valid in 2013, so check the person's current card",
            severity=Severity.WARNING,
        ))
    if not regions.is_known(number[:6]):
        found.append(Problem(
            "resident_id.county_unknown",
            f"地址码 {number[:6]} 不在 1980 年以来的行政区划代码表中：请核对前六位（旧县撤并后号码仍然有效）",
            f"region code {number[:6]} is in no division code table since 1980: check the first six "
            "digits (numbers from abolished counties stay valid)",
            severity=Severity.WARNING,
        ))
    return found


def parse(number: str, *, today: date | None = None) -> ResidentIdInfo:
    """Region, birth date and sex from a valid number."""
    return _info(validate(number, today=today))


def _info(number: str, born: date | None = None) -> ResidentIdInfo:
    if born is None:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return ResidentIdInfo(number[:6], born, sex_of(number))


class Reading(NamedTuple):
    """A valid number read in one pass: its 18-character form, the warnings about it, what it says."""

    number: str
    warnings: list[Problem]
    info: ResidentIdInfo


def read(number: str, *, today: date | None = None) -> Reading:
    """`validate`, `warnings` and `parse` at once, checking the number once instead of three times
    (the registration check does all three for every registration, on the agent and the platform).

    >>> reading = read('110105491231002')
    >>> reading.number, [w.code for w in reading.warnings], reading.info.sex
    ('11010519491231002X', ['resident_id.legacy_15_digits'], <Sex.FEMALE: 'F'>)
    """
    compacted = compact(number)
    valid, born = _checked(compacted, today)
    return Reading(valid, _warnings(compacted, valid), _info(valid, born))


def sex_of(number: str) -> Sex:
    """Odd 17th digit for men, even for women (GB 11643)."""
    return Sex.MALE if int(number[16]) % 2 else Sex.FEMALE


def region_name(code: str) -> str | None:
    """The name of a region code ('北京市朝阳区'), None when no table knows it."""
    return regions.full_name(code)


def format(number: str) -> str:
    """The number as printed on the card: 18 characters without separators."""
    return compact(number)


def mask(number: str) -> str:
    """Region code and the last four kept, the rest hidden: `410102********1234`."""
    return mask_middle(compact(number), head=6, tail=4)


def _is_digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


def _length_problem(length: int) -> Problem:
    return Problem(
        "resident_id.length",
        f"身份证号应为 18 位（旧证 15 位），现在是 {length} 位：请检查是否漏输或多输",
        f"a resident ID number has 18 characters (15 on old cards), this one has {length}: "
        "look for a missing or extra digit",
    )


def _format_problem() -> Problem:
    return Problem(
        "resident_id.format",
        "身份证号只能由数字组成，最后一位可以是 X：请去掉字母和符号",
        "a resident ID number has only digits, and the last character may be X: remove letters and symbols",
    )
