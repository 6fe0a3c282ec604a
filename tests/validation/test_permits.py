"""Residence permits for HK/Macau/Taiwan residents and the two Mainland Travel Permits."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain import Sex
from agent.domain.errors import InvalidChecksum, InvalidComponent, InvalidDocument, InvalidFormat, InvalidLength
from agent.validation import hk_macau_permit, hmt_residence_permit, resident_id, taiwan_permit


def permit(prefix: str, born: str, sequence: str) -> str:
    body = prefix + born + sequence
    return body + resident_id.calc_check_digit(body)


@pytest.mark.parametrize("prefix, region", [("810000", "HK"), ("820000", "MO"), ("830000", "TW")])
def test_residence_permits_of_each_region(prefix: str, region: str) -> None:
    number = permit(prefix, "19900101", "003")
    assert hmt_residence_permit.validate(number) == number
    info = hmt_residence_permit.parse(number)
    assert (info.region, info.birth_date, info.sex) == (region, date(1990, 1, 1), Sex.MALE)


@pytest.mark.parametrize("number, error, code", [
    ("81000019900101003", InvalidLength, "hmt_residence_permit.length"),
    ("8100001990010100AX", InvalidFormat, "hmt_residence_permit.format"),
    (permit("110105", "19900101", "003"), InvalidComponent, "hmt_residence_permit.prefix"),
    (permit("810000", "19900230", "003"), InvalidComponent, "hmt_residence_permit.birth_date"),
])
def test_residence_permit_errors(number: str, error: type[InvalidDocument], code: str) -> None:
    with pytest.raises(error) as caught:
        hmt_residence_permit.validate(number)
    assert caught.value.problem.code == code


def test_residence_permit_check_digit_is_the_resident_id_one() -> None:
    good = permit("820000", "19851130", "044")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(InvalidChecksum) as caught:
        hmt_residence_permit.validate(bad)
    assert caught.value.problem.code == "hmt_residence_permit.checksum"  # never naming it: test_check_digits.py
    assert hmt_residence_permit.validate(good) == good
    assert hmt_residence_permit.mask(good) == good[:6] + "********" + good[-4:]


@pytest.mark.parametrize("typed, stored, region", [
    ("H12345678", "H12345678", "HK"),
    ("m 8765 4321", "M87654321", "MO"),
    ("H1234567801", "H1234567801", "HK"),  # the older booklet: two more digits
])
def test_hk_macau_travel_permits(typed: str, stored: str, region: str) -> None:
    assert hk_macau_permit.validate(typed) == stored
    assert hk_macau_permit.region(typed) == region


@pytest.mark.parametrize("number, error, code", [
    ("H1234567", InvalidLength, "hk_macau_permit.length"),
    ("123456789", InvalidFormat, "hk_macau_permit.prefix"),
    ("K12345678", InvalidFormat, "hk_macau_permit.prefix"),
    ("H1234A678", InvalidFormat, "hk_macau_permit.format"),
])
def test_hk_macau_permit_errors(number: str, error: type[InvalidDocument], code: str) -> None:
    with pytest.raises(error) as caught:
        hk_macau_permit.validate(number)
    assert caught.value.problem.code == code


@pytest.mark.parametrize("typed, stored, printed", [
    ("12345678", "12345678", "12345678"),
    ("1234567890(B)", "1234567890B", "1234567890(B)"),
    ("1234567890 （b）", "1234567890B", "1234567890(B)"),
])
def test_taiwan_travel_permits(typed: str, stored: str, printed: str) -> None:
    assert taiwan_permit.validate(typed) == stored
    assert taiwan_permit.format(typed) == printed


@pytest.mark.parametrize("number, error", [
    ("1234567", InvalidLength),
    ("1234567890", InvalidLength),
    ("1234567A", InvalidFormat),
    ("12345678901", InvalidFormat),  # the old form ends with a letter
])
def test_taiwan_permit_errors(number: str, error: type[InvalidDocument]) -> None:
    with pytest.raises(error):
        taiwan_permit.validate(number)
    assert not taiwan_permit.is_valid(number)
