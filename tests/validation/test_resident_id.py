"""Resident ID numbers: published examples, computed numbers, each kind of error, historic regions."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain import Sex
from agent.domain.errors import InvalidChecksum, InvalidComponent, InvalidDocument, InvalidFormat, InvalidLength
from agent.domain.problems import Severity
from agent.validation import regions, resident_id


def make(region: str, born: str, sequence: str) -> str:
    body = region + born + sequence
    return body + resident_id.calc_check_digit(body)


@pytest.mark.parametrize("number", [
    "11010519491231002X",  # GB 11643-1999's own example
    "360426199101010071",  # python-stdnum's documented example
])
def test_published_examples_are_valid(number: str) -> None:
    assert resident_id.validate(number) == number
    assert resident_id.is_valid(number)


def test_typed_forms_compact_to_the_card_number() -> None:
    assert resident_id.validate(" 110105-19491231-002x ") == "11010519491231002X"
    assert resident_id.validate("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"  # full-width IME input


def test_legacy_15_digit_number_is_upgraded_with_a_warning() -> None:
    assert resident_id.to_18("110105491231002") == "11010519491231002X"
    assert resident_id.validate("110105491231002") == "11010519491231002X"
    codes = [w.code for w in resident_id.warnings("110105491231002")]
    assert codes == ["resident_id.legacy_15_digits"]


def test_parse_reads_region_birth_date_and_sex() -> None:
    info = resident_id.parse("11010519491231002X")
    assert info.region_code == "110105"
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex is Sex.FEMALE
    assert info.region_name == "北京市朝阳区"
    assert resident_id.parse(make("410102", "19900101", "123")).sex is Sex.MALE


@pytest.mark.parametrize("region", [
    "132101",  # 邯郸市 under 邯郸地区, a code used only 1980-1983
    "110221",  # 昌平县, 1982-1999
    "510202",  # 渝中区 while Chongqing was in Sichuan, until 1997
    "433001",  # 怀化市 of 怀化地区, abolished 1997
    "330113",  # 临平区, created 2021
    "500157",  # 两江新区, created 2025
])
def test_codes_of_every_era_are_known(region: str) -> None:
    number = make(region, "19850615", "031")
    assert resident_id.validate(number) == number
    assert resident_id.warnings(number) == []
    assert resident_id.region_name(region)


def test_an_unknown_county_only_warns() -> None:
    number = make("110199", "19850615", "031")
    assert resident_id.validate(number) == number
    [warning] = resident_id.warnings(number)
    assert warning.code == "resident_id.county_unknown"
    assert warning.severity is Severity.WARNING


@pytest.mark.parametrize("county", ["230834", "370719", "370819"])
def test_the_codes_issue_18_found_missing_are_in_no_table_and_only_warn(county: str) -> None:
    # No yearly table since 1980 lists them (see the note at the top of data/regions.txt): a holder is
    # still registered, and the clerk is asked to look at the first six digits.
    assert not regions.is_known(county) and regions.full_name(county) is None
    number = make(county, "19850615", "031")
    assert resident_id.validate(number) == number
    assert [w.code for w in resident_id.warnings(number)] == ["resident_id.county_unknown"]


def test_wrong_check_digit_is_a_checksum_error() -> None:
    # What its message may say, for every document, is in test_check_digits.py.
    with pytest.raises(InvalidChecksum) as caught:
        resident_id.validate("110105194912310021")
    assert caught.value.problem.code == "resident_id.checksum"


@pytest.mark.parametrize("number, error, code", [
    ("1101051949123100", InvalidLength, "resident_id.length"),
    ("11010519491231002X1", InvalidLength, "resident_id.length"),
    ("11010519491231A02X", InvalidFormat, "resident_id.format"),
    ("11010549123100X", InvalidFormat, "resident_id.format"),
    ("X10105194912310021", InvalidFormat, "resident_id.format"),
])
def test_length_and_format_errors(number: str, error: type[InvalidDocument], code: str) -> None:
    with pytest.raises(error) as caught:
        resident_id.validate(number)
    assert caught.value.problem.code == code


@pytest.mark.parametrize("born", ["19900230", "19901301", "18991231"])
def test_impossible_birth_dates(born: str) -> None:
    with pytest.raises(InvalidComponent) as caught:
        resident_id.validate(make("110105", born, "001"))
    assert caught.value.problem.code == "resident_id.birth_date"


def test_birth_date_in_the_future_is_refused() -> None:
    number = make("110105", "20300101", "001")
    with pytest.raises(InvalidComponent):
        resident_id.validate(number)
    assert resident_id.validate(number, today=date(2031, 1, 1)) == number


@pytest.mark.parametrize("prefix", ["99", "20", "00"])
def test_unknown_province_is_an_error(prefix: str) -> None:
    with pytest.raises(InvalidComponent) as caught:
        resident_id.validate(make(prefix + "0101", "19850615", "031"))
    assert caught.value.problem.code == "resident_id.province"


def test_a_residence_permit_entered_as_resident_id_says_which_type_to_choose() -> None:
    with pytest.raises(InvalidComponent) as caught:
        resident_id.validate(make("810000", "19940823", "002"))
    assert "港澳台居民居住证" in caught.value.problem.zh


def test_messages_never_repeat_the_number() -> None:
    number = "110105194912310021"
    with pytest.raises(InvalidDocument) as caught:
        resident_id.validate(number)
    assert number not in str(caught.value)
    assert number[:17] not in str(caught.value)


def test_mask_keeps_region_and_last_four() -> None:
    assert resident_id.mask("410102199001011234") == "410102********1234"
    assert resident_id.format(" 11010519491231002x") == "11010519491231002X"
