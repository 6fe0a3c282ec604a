"""Mainland China mobile numbers: 11 digits in a block the numbering plan gives to mobile service.

People give their number with the country code (+86, 0086, 86), with spaces or dashes in any
grouping, sometimes with the trunk 0 that international formats write as `+86 (0)`; the stored form is
always the bare 11 digits. Fixed-line numbers are not accepted: the platform wants a number that
reaches the person.

Only the blocks that China's numbering plan (MIIT) has opened to mobile service are accepted, as
Google's libphonenumber lists them for CN: 13x, 145, 147, 15x but 154, 1610, 162, 165-167, 170-173,
17400-17405, 175-178, 18x, 19x but 194. The other 1[3-9] blocks (140-144, 146, 148, 149, 154, 160, 161
but 1610, 163, 164, 168, 169, 174 but 17400-17405, 179, 194) are unallocated or hold IoT and data-only
numbers, at which no person is reached: a number there is mistyped, and the message names the block.
tests/validation/test_phone_plan.py compares every prefix with libphonenumber's metadata.

>>> validate('+86 138-1234-5678')
'13812345678'
>>> validate('0086 13812345678')
'13812345678'
>>> validate('+86 (0) 138 1234 5678')
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

# The blocks open to mobile service, by prefix (libphonenumber 9.0's metadata for CN, which follows MIIT's
# allocations). A prefix of 3 digits opens 10**8 numbers; 1610 (China Broadnet) and 17400-17405 (satellite
# mobile service) are narrower blocks inside otherwise closed ones.
ALLOCATED_PREFIXES: tuple[str, ...] = (
    *(f"13{d}" for d in range(10)),
    "145", "147",
    *(f"15{d}" for d in range(10) if d != 4),
    "1610", "162", "165", "166", "167",
    "170", "171", "172", "173", *(f"1740{d}" for d in range(6)), "175", "176", "177", "178",
    *(f"18{d}" for d in range(10)),
    *(f"19{d}" for d in range(10) if d != 4),
)
_DIGITS = re.compile(r"[0-9]*")
# Digits, length and block in one C call: this runs on every registration, on the agent and the platform.
_MOBILE = re.compile("|".join(
    f"(?:{'|'.join(p for p in ALLOCATED_PREFIXES if len(p) == length)})[0-9]{{{11 - length}}}"
    for length in sorted({len(p) for p in ALLOCATED_PREFIXES})))
_MOBILE_SHAPE = re.compile(r"1[3-9][0-9]{9}")
_TRUNK_ZERO = re.compile(r"01[3-9][0-9]{9}")  # a mobile number after the trunk 0: '+86 (0) 138...', '0138...'
# Every prefix that some allocated number starts with: the rest are the blocks a message can name.
_OPEN_PREFIXES = frozenset(p[:length] for p in ALLOCATED_PREFIXES for length in range(1, len(p) + 1))


def compact(number: str) -> str:
    """The bare digits: separators, brackets, the +86 / 0086 / 86 country code and a trunk 0 removed."""
    number = compact_number(number).replace("(", "").replace(")", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix):]
            break
    else:
        if number.startswith("86") and (len(number) == 13 or (len(number) == 14 and number[2] == "0")):
            number = number[2:]
    if len(number) == 12 and _TRUNK_ZERO.fullmatch(number):
        return number[1:]
    return number


def is_plain_mobile(text: str) -> bool:
    """True for exactly 11 digits of a mainland mobile number, nothing around them: what most people
    type, and what `validate` returns unchanged."""
    return _MOBILE.fullmatch(text) is not None


def validate(number: str) -> str:
    """The 11-digit number when it is a mainland mobile number; raises otherwise."""
    number = compact(number)
    if _MOBILE.fullmatch(number):
        return number
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
    if not _MOBILE_SHAPE.fullmatch(number):
        raise InvalidFormat(Problem(
            "phone.prefix",
            "手机号以 13 至 19 开头：请填写本人手机号，而不是座机号",
            "a mobile number starts with 13 to 19: give the person's mobile, not a fixed-line number",
        ))
    block = _closed_block(number)
    raise InvalidFormat(Problem(
        "phone.unallocated",
        f"没有以 {block} 开头的手机号（这个号段未分配给手机用户）：请核对前几位，或填写本人正在使用的手机号",
        f"no mobile number starts with {block} (the block is not allocated to mobile service): check the "
        "first digits, or give the number the person uses",
    ))


def _closed_block(number: str) -> str:
    """The shortest start of `number` that no allocated block begins with ('140', '1611', '17406'):
    a block of the numbering plan, never more of the person's number than that."""
    length = 3
    while number[:length] in _OPEN_PREFIXES:
        length += 1
    return number[:length]


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
