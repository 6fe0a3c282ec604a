"""Mainland China mobile numbers (11 digits: 1, then 3-9, then nine digits).

People give their number with the country code (+86, 0086, 86), with spaces or dashes in any
grouping; the stored form is always the bare 11 digits. Fixed-line numbers are not accepted: the
platform wants a number that reaches the person.

>>> validate('+86 138-1234-5678')
'13812345678'
>>> validate('0086 13812345678')
'13812345678'
>>> format('13812345678')
'138 1234 5678'
>>> mask('13812345678')
'138****5678'
"""

from __future__ import annotations

import re

from agent.domain.errors import InvalidDocument, InvalidFormat, InvalidLength
from agent.domain.problems import Problem
from agent.validation.normalise import compact_number, mask_middle

_DIGITS = re.compile(r"[0-9]*")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def compact(number: str) -> str:
    """The bare digits: separators, brackets and the +86 / 0086 / 86 country code removed."""
    number = compact_number(number).replace("(", "").replace(")", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            return number[len(prefix):]
    if len(number) == 13 and number.startswith("86"):
        return number[2:]
    return number


def is_plain_mobile(text: str) -> bool:
    """True for exactly 11 digits of a mainland mobile number, nothing around them: what most people
    type, and what `validate` returns unchanged."""
    return _MOBILE.fullmatch(text) is not None


def validate(number: str) -> str:
    """The 11-digit number when it is a mainland mobile number; raises otherwise."""
    number = compact(number)
    if not _DIGITS.fullmatch(number):
        raise InvalidFormat(Problem(
            "phone.format",
            "手机号只能由数字组成（可带 +86）：请去掉字母和符号",
            "a mobile number has only digits (optionally +86): remove letters and symbols",
        ))
    if len(number) != 11:
        raise InvalidLength(Problem(
            "phone.length",
            f"手机号应为 11 位，现在是 {len(number)} 位：请检查是否漏输或多输",
            f"a mobile number has 11 digits, this one has {len(number)}: look for a missing or extra digit",
        ))
    if not _MOBILE.fullmatch(number):
        raise InvalidFormat(Problem(
            "phone.prefix",
            "手机号以 13 至 19 开头：请填写本人手机号，而不是座机号",
            "a mobile number starts with 13 to 19: give the person's mobile, not a fixed-line number",
        ))
    return number


def is_valid(number: str) -> bool:
    """True when `validate()` accepts the number."""
    try:
        validate(number)
    except InvalidDocument:
        return False
    return True


def format(number: str) -> str:
    """Grouped 3-4-4, the way people read mobile numbers aloud."""
    number = compact(number)
    return f"{number[:3]} {number[3:7]} {number[7:]}"


def mask(number: str) -> str:
    """The first three and the last four kept: `138****5678`."""
    return mask_middle(compact(number), head=3, tail=4)
