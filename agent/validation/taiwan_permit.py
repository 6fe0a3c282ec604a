"""Mainland Travel Permit for Taiwan Residents (台湾居民来往大陆通行证, 台胞证).

The card issued since 2015 has an 8-digit number that stays the same for life. The older booklets
had 10 digits followed by a letter in brackets (how many times it had been issued): `1234567890(B)`,
stored compact as `1234567890B`. No check digit is published for either form, so only the format is
checked.

>>> validate('12345678')
'12345678'
>>> validate('1234567890（b）')
'1234567890B'
>>> format('1234567890B')
'1234567890(B)'
>>> mask('12345678')
'12***678'
"""

from __future__ import annotations

import re

from agent.domain.errors import InvalidDocument, InvalidFormat, InvalidLength
from agent.domain.problems import Problem
from agent.validation.normalise import compact_number, mask_middle


def compact(number: str) -> str:
    """Strip spaces, dashes and the brackets around the letter; half-width and upper-case."""
    return compact_number(number).replace("(", "").replace(")", "")


def validate(number: str) -> str:
    """The compact number when well-formed; raises `InvalidLength` or `InvalidFormat` otherwise."""
    number = compact(number)
    if len(number) not in (8, 11):
        raise InvalidLength(Problem(
            "taiwan_permit.length",
            f"台湾居民来往大陆通行证号码为 8 位数字（旧证为 10 位数字加括号内的字母），现在是 {len(number)} 位：请核对",
            f"the permit number has 8 digits (old permits: 10 digits and a letter in brackets), "
            f"this one has {len(number)} characters: check it",
        ))
    if not re.fullmatch(r"[0-9]{8}|[0-9]{10}[A-Z]", number):
        raise InvalidFormat(Problem(
            "taiwan_permit.format",
            "台湾居民来往大陆通行证号码只有数字，旧证最后是括号内的一个字母：请去掉其他字母和符号",
            "the permit number has only digits, old permits end with one letter in brackets: "
            "remove other letters and symbols",
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
    """The number as printed: the old booklet's letter in brackets."""
    number = compact(number)
    if len(number) == 11:
        return f"{number[:10]}({number[10]})"
    return number


def mask(number: str) -> str:
    """The first two and the last four kept."""
    return mask_middle(compact(number), head=2, tail=4)
