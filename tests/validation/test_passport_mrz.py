"""Passport numbers, the ICAO 9303 TD3 machine readable zone, and what scanners type."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain import Sex
from agent.domain.errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from agent.domain.problems import Severity
from agent.validation import mrz, passport

# The specimen of ICAO Doc 9303 Part 4 (TD3), as printed in the standard.
LINE1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


def test_specimen_parses_to_its_fields() -> None:
    doc = mrz.parse(LINE1 + "\n" + LINE2)
    assert doc.document_code == "P"
    assert doc.issuing_state == "UTO"
    assert (doc.surname, doc.given_names, doc.name) == ("ERIKSSON", "ANNA MARIA", "ERIKSSON ANNA MARIA")
    assert doc.number == "L898902C3"
    assert doc.nationality == "UTO"
    assert doc.birth_date == date(1974, 8, 12)
    assert doc.sex is Sex.FEMALE
    assert doc.expiry_date == date(2012, 4, 15)
    assert doc.optional_data == "ZE184226B"


@pytest.mark.parametrize("typed", [
    LINE1 + "\r\n" + LINE2 + "\r\n",  # a scanner pressing Enter after each line
    LINE1 + LINE2,  # one that sends no line break
    " " + LINE1.lower() + " \n " + LINE2 + " ",
])
def test_scanner_variants_are_read(typed: str) -> None:
    assert mrz.parse(typed).number == "L898902C3"


@pytest.mark.parametrize("position, code", [
    (9, "mrz.checksum.number"),
    (19, "mrz.checksum.birth_date"),
    (27, "mrz.checksum.expiry_date"),
    (42, "mrz.checksum.optional_data"),
    (43, "mrz.checksum.composite"),
])
def test_each_corrupted_check_digit_is_named(position: int, code: str) -> None:
    wrong = str((int(LINE2[position]) + 1) % 10)
    corrupted = LINE2[:position] + wrong + LINE2[position + 1:]
    with pytest.raises(InvalidChecksum) as caught:
        mrz.parse(LINE1 + "\n" + corrupted)
    assert caught.value.problem.code == code


def test_a_misread_data_character_fails_its_check_digit() -> None:
    misread = LINE2.replace("L898902C3", "L898902G3")
    with pytest.raises(InvalidChecksum) as caught:
        mrz.parse(LINE1 + "\n" + misread)
    assert caught.value.problem.code == "mrz.checksum.number"


def test_wrong_length_foreign_characters_and_non_passports() -> None:
    with pytest.raises(InvalidLength):
        mrz.parse(LINE1 + "\n" + LINE2[:-1])
    with pytest.raises(InvalidFormat) as caught:
        mrz.parse(LINE1 + "\n" + LINE2[:-2] + "é0")
    assert caught.value.problem.code == "mrz.format"
    with pytest.raises(InvalidFormat) as caught:
        mrz.parse("I" + LINE1[1:] + "\n" + LINE2)
    assert caught.value.problem.code == "mrz.document_code"


def test_impossible_birth_date_with_matching_check_digit() -> None:
    field = "741312"  # month 13
    line2 = LINE2[:13] + field + mrz.check_digit(field) + LINE2[20:43]
    line2 += mrz.check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    with pytest.raises(InvalidComponent) as caught:
        mrz.parse(LINE1 + "\n" + line2)
    assert caught.value.problem.code == "mrz.birth_date"


def test_two_digit_birth_year_is_never_in_the_future() -> None:
    field = "150101"
    line2 = LINE2[:13] + field + mrz.check_digit(field) + LINE2[20:43]
    line2 += mrz.check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    assert mrz.parse(LINE1 + "\n" + line2, today=date(2024, 1, 1)).birth_date == date(2015, 1, 1)
    assert mrz.parse(LINE1 + "\n" + line2, today=date(2014, 1, 1)).birth_date == date(1915, 1, 1)


@pytest.mark.parametrize("typed, nationality, stored", [
    ("E12345678", "CHN", "E12345678"),
    ("c01x00t47", "deu", "C01X00T47"),
    ("L898902C3", None, "L898902C3"),
    ("12345", "USA", "12345"),
])
def test_passport_numbers(typed: str, nationality: str | None, stored: str) -> None:
    assert passport.validate(typed, nationality) == stored


def test_passport_errors() -> None:
    with pytest.raises(InvalidLength):
        passport.validate("1234")
    with pytest.raises(InvalidLength):
        passport.validate("A" * 21)
    with pytest.raises(InvalidFormat) as caught:
        passport.validate("E1234567#")
    assert caught.value.problem.code == "passport.format"
    with pytest.raises(InvalidFormat) as caught:
        passport.validate("E12345678", "US")
    assert caught.value.problem.code == "passport.nationality"


def test_unusual_chinese_passport_number_only_warns() -> None:
    [warning] = passport.warnings("12345678", "CHN")
    assert warning.code == "passport.chn_unusual"
    assert warning.severity is Severity.WARNING
    assert passport.warnings("E12345678", "CHN") == []
    assert passport.warnings("12345678", "USA") == []
