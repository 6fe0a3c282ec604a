"""Our mobile blocks against China's numbering plan as Google's libphonenumber records it.

libphonenumber (the `phonenumbers` package, a test dependency only) tracks MIIT's allocations for CN;
the agent does not ship it, so `agent.validation.phone` keeps its own table, and these tests say when
the two part. Deliberate differences: none today. libphonenumber also accepts fixed lines and reads
`+86 (0)` and a trunk 0 as we do; only its mobile numbers are compared here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from agent.domain import CHINA_TIME
from agent.validation import phone
from agent.domain.errors import InvalidFormat
from agent.validation.registration import check_registration

NOW = datetime(2024, 5, 1, 15, 0, tzinfo=CHINA_TIME)

# Prefixes where we mean to differ from libphonenumber, with the reason; empty while we follow it.
DELIBERATE_DIFFERENCES: dict[str, str] = {}
# Completions of a 4-digit prefix: 5th digit 0, 5 and 9 tell the satellite block 17400-17405 from 17406-17409.
TAILS = ("0000000", "5123456", "9876543")
# The blocks the outside check of issue 18 found accepted: closed to mobile service.
CLOSED = ("140", "141", "142", "143", "144", "146", "148", "149", "154", "160", "161", "163", "164", "168",
          "169", "174", "179", "194")


def stay(phone_number: str) -> dict[str, Any]:
    return {"kind": "stay", "unit": "302", "arrived_at": "2024-05-01 14:30",
            "person": {"doc_type": "resident_id", "doc_number": "11010519491231002X", "name": "张三",
                       "phone": phone_number}}


def libphonenumber_mobile(number: str) -> bool:
    parsed = phonenumbers.parse("+86" + number)
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
        PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def test_every_three_and_four_digit_prefix_is_judged_as_libphonenumber_judges_it() -> None:
    differences = {}
    for prefix in range(1000, 2000):  # every 4-digit start of an 11-digit number, so every 3-digit one too
        for tail in TAILS:
            number = f"{prefix}{tail}"
            ours, theirs = phone.is_valid(number), libphonenumber_mobile(number)
            if ours != theirs and str(prefix)[:3] not in DELIBERATE_DIFFERENCES:
                differences[number] = f"ours {ours}, libphonenumber {theirs}"
    assert differences == {}


def test_the_satellite_block_is_exactly_17400_to_17405() -> None:
    for fifth in range(10):
        number = f"1740{fifth}123456"
        assert phone.is_valid(number) is (fifth <= 5) is libphonenumber_mobile(number)


@pytest.mark.parametrize("block", CLOSED)
def test_a_number_in_a_closed_block_is_refused_naming_the_block_and_nothing_more(block: str) -> None:
    number = block + "12345678"  # 161 and 174: '1611...' and '1741...', outside their narrow open blocks
    with pytest.raises(InvalidFormat) as caught:
        phone.validate(number)
    problem = caught.value.problem
    assert problem.code == "phone.unallocated"
    shown = number[:4] if block in ("161", "174") else block
    assert f"以 {shown} 开头" in problem.zh and f"starts with {shown} " in problem.en
    # Only the block is named: no more of the person's digits, and no number offered in its place.
    for text in (problem.zh, problem.en):
        assert not any(number[:k] in text for k in range(len(shown) + 1, 12))
        assert not any(char.isdigit() for char in text.replace(shown, ""))
    # The registration check says the same, at the phone field.
    checked = check_registration(stay("+86 " + number), now=NOW)
    assert [(p.field, p.code) for p in checked.errors] == [("person.phone", "phone.unallocated")]


@pytest.mark.parametrize("typed", ["+86 (0) 138 1234 5678", "+86(0)13812345678", "0086 (0) 138-1234-5678",
                                   "86 (0) 13812345678", "+86 0138 1234 5678", "013812345678"])
def test_the_trunk_zero_after_the_country_code_is_dropped(typed: str) -> None:
    assert phone.validate(typed) == "13812345678"
    assert phonenumbers.parse(typed, "CN").national_number == 13812345678  # libphonenumber reads it alike
    checked = check_registration(stay(typed), now=NOW)
    assert checked.ok and checked.data["person"]["phone"] == "13812345678"


@pytest.mark.parametrize("typed", ["0013812345678", "+86 00 138 1234 5678", "01012345678", "0101234567890"])
def test_only_one_trunk_zero_before_a_mobile_number_is_dropped(typed: str) -> None:
    assert not phone.is_valid(typed)
