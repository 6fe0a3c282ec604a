"""Mainland Travel Permit for Hong Kong and Macau Residents (港澳居民来往内地通行证, 回乡证).

The card issued since 2013 carries H (Hong Kong) or M (Macau) and 8 digits; the older booklet had
two more digits (how many times a permit had been issued), so H/M + 10 digits is still accepted. The
authority publishes no check digit for either form, so only the format is checked.

>>> validate('h1234 5678')
'H12345678'
>>> validate('M1234567801')
'M1234567801'
>>> region('H12345678')
'HK'
>>> mask('H12345678')
'H1***5678'
"""

from __future__ import annotations

import re

from agent.domain.errors import InvalidDocument, InvalidFormat, InvalidLength
from agent.domain.problems import Problem
from agent.validation.normalise import compact_number, mask_middle


def compact(number: str) -> str:
    """Strip spaces and dashes, make full-width characters half-width, upper-case the letter."""
    return compact_number(number)


def validate(number: str) -> str:
    """The compact number when well-formed; raises `InvalidLength` or `InvalidFormat` otherwise."""
    number = compact(number)
    if len(number) not in (9, 11):
        raise InvalidLength(Problem(
            "hk_macau_permit.length",
            f"港澳居民来往内地通行证号码为 H 或 M 加 8 位数字（旧证 10 位），现在共 {len(number)} 位：请核对",
            f"the permit number is H or M followed by 8 digits (10 on old permits), this one has "
            f"{len(number)} characters: check it",
        ))
    if number[0] not in "HM":
        raise InvalidFormat(Problem(
            "hk_macau_permit.prefix",
            "港澳居民来往内地通行证号码以 H（香港）或 M（澳门）开头：请补上首字母",
            "the permit number starts with H (Hong Kong) or M (Macau): add the letter",
        ))
    if not re.fullmatch(r"[0-9]+", number[1:]):
        raise InvalidFormat(Problem(
            "hk_macau_permit.format",
            "港澳居民来往内地通行证号码首字母之后只有数字：请去掉其他字母和符号",
            "after its first letter the permit number has only digits: remove other letters and symbols",
        ))
    return number


def is_valid(number: str) -> bool:
    """True when `validate()` accepts the number."""
    try:
        validate(number)
    except InvalidDocument:
        return False
    return True


def region(number: str) -> str:
    """'HK' or 'MO', from the first letter of a valid number."""
    return "HK" if validate(number)[0] == "H" else "MO"


def format(number: str) -> str:
    """The number as printed on the card."""
    return compact(number)


def mask(number: str) -> str:
    """The first two and the last four kept."""
    return mask_middle(compact(number), head=2, tail=4)
