"""A wrong check digit is reported without ever naming the right one.

A clerk told "the last character should be X" types X, and the record then holds a number that passes
every check but belongs to nobody (the mistyped digit is as often one of the others). So the message
for a wrong check character must not depend on the number at all: for every document with a check
character it is the same text, in both languages, whichever wrong character was typed and whatever the
right one is. Tested here on the validators, on `check_registration` (form, import, platform), on the
venue's credit code (`dengji init`) and on the import report the CLI prints.

Documents without a published check character (passport numbers, the two Mainland Travel Permits) have
no such message.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from agent.domain import CHINA_TIME, VenueKind
from agent.cli.demo_people import resident_id_for
from agent.validation import credit_code, foreign_permanent_id, hmt_residence_permit, mrz, resident_id
from agent.domain.errors import InvalidChecksum
from agent.domain.problems import Problem
from agent.validation.registration import check_registration
from agent.validation.venue import VenueDetails, check_venue

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=CHINA_TIME)
MOD11_CHARACTERS = "0123456789X"


def texts(problems: list[Problem]) -> set[tuple[str, str, str]]:
    return {(p.code, p.zh, p.en) for p in problems}


def error_of(validate: Callable[[str], object], number: str) -> Problem:
    with pytest.raises(InvalidChecksum) as caught:
        validate(number)
    return caught.value.problem


def wrong_endings(number: str, alphabet: str = MOD11_CHARACTERS) -> Iterator[str]:
    """The number with its last character replaced by every other character of `alphabet`."""
    for char in alphabet:
        if char != number[-1]:
            yield number[:-1] + char


def with_every_check_character(make: Callable[[int], str], alphabet: str = MOD11_CHARACTERS) -> list[str]:
    """Valid numbers from `make(i)`, at least one for each possible check character."""
    found: dict[str, str] = {}
    for index in range(10_000):
        number = make(index)
        found.setdefault(number[-1], number)
        if len(found) == len(alphabet):
            break
    assert set(found) == set(alphabet)
    return list(found.values())


def resident_ids() -> list[str]:
    return with_every_check_character(lambda i: resident_id_for(i)[0])


def residence_permits() -> list[str]:
    def make(i: int) -> str:
        body = ("810000", "820000", "830000")[i % 3] + f"{1960 + i % 50}0{1 + i % 9}1{i % 10}{i % 1000:03d}"
        return body + resident_id.calc_check_digit(body)
    return with_every_check_character(make)


def permanent_residence_ids() -> list[str]:
    def make(i: int) -> str:
        body = f"911398{1960 + i % 50}0{1 + i % 9}1{i % 10}{i % 1000:03d}"
        return body + resident_id.calc_check_digit(body)
    return with_every_check_character(make)


def old_permanent_residence_ids() -> list[str]:
    def make(i: int) -> str:
        body = f"KAZ11{i % 100:02d}90{1 + i % 9:02d}1{i % 10}0"
        return body + mrz.check_digit(body)
    return with_every_check_character(make, "0123456789")


def credit_codes() -> list[str]:
    rng = random.Random(18)

    def make(_: int) -> str:
        org = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        body = "91110000" + org + credit_code.calc_org_code_check(org)
        return body + credit_code.calc_check_character(body)
    return with_every_check_character(make, credit_code.ALPHABET)


def only(found: set[tuple[str, str, str]]) -> tuple[str, str, str]:
    assert len(found) == 1, "the message changes with the number:\n" + "\n".join(map(str, sorted(found)))
    return next(iter(found))


@pytest.mark.parametrize("numbers, validate, code", [
    (resident_ids, resident_id.validate, "resident_id.checksum"),
    (residence_permits, hmt_residence_permit.validate, "hmt_residence_permit.checksum"),
    (permanent_residence_ids, foreign_permanent_id.validate, "foreign_permanent_id.checksum"),
], ids=["resident_id", "hmt_residence_permit", "foreign_permanent_id"])
def test_a_mod_11_check_character_is_never_named(numbers: Callable[[], list[str]],
                                                  validate: Callable[[str], object], code: str) -> None:
    found = set()
    for number in numbers():  # one for each right check character: 0-9 and X
        assert validate(number) == number
        found |= texts([error_of(validate, wrong) for wrong in wrong_endings(number)])
    assert only(found)[0] == code


def test_the_old_permanent_residence_ids_unconfirmed_check_digit_is_never_named() -> None:
    found = set()
    for number in old_permanent_residence_ids():
        for wrong in wrong_endings(number, "0123456789"):
            found |= texts([w for w in foreign_permanent_id.warnings(wrong)
                            if w.code == "foreign_permanent_id.checksum_unconfirmed"])
    assert only(found)[0] == "foreign_permanent_id.checksum_unconfirmed"


def test_a_credit_codes_check_characters_are_never_named() -> None:
    whole, organisation = set(), set()
    for code in credit_codes():  # one for each of the 31 check characters
        whole |= texts([error_of(credit_code.validate, wrong) for wrong in wrong_endings(code, credit_code.ALPHABET)])
        for char in "0123456789X":  # the organisation code's own check character, the whole code made right again
            if char != code[16]:
                body = code[:16] + char
                organisation |= texts([error_of(credit_code.validate, body + credit_code.calc_check_character(body))])
    assert only(whole)[0] == "credit_code.checksum"
    assert only(organisation)[0] == "credit_code.org_code_checksum"
    # `dengji init` and the setup wizard show the validator's problem at the venue's field.
    shown = {texts(check_venue(VenueDetails(VenueKind.EMPLOYER, "某某公司", credit_code=wrong))[1]).pop()
             for code in credit_codes()[:5] for wrong in wrong_endings(code, "0123456789")}
    assert shown == whole


def mrz_line2(number: str) -> str:
    """A TD3 second line for passport `number` (9 characters), every check digit right."""
    fields = number + mrz.check_digit(number) + "UTO" + "740812" + mrz.check_digit("740812") + "F"
    fields += "120415" + mrz.check_digit("120415") + "ZE184226B<<<<<" + mrz.check_digit("ZE184226B<<<<<")
    return fields + mrz.check_digit(fields[0:10] + fields[13:20] + fields[21:43])


@pytest.mark.parametrize("position, code", [(9, "number"), (19, "birth_date"), (27, "expiry_date"),
                                            (42, "optional_data"), (43, "composite")])
def test_an_mrz_check_digit_is_never_named_nor_the_digit_read(position: int, code: str) -> None:
    line1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
    found = set()
    for last in "0123456789":  # ten passports: their number's and composite check digits differ
        line2 = mrz_line2("L898902C" + last)
        mrz.parse(line1 + "\n" + line2)
        for wrong in "0123456789":
            if wrong != line2[position]:
                found |= texts([error_of(mrz.parse, line1 + "\n" + line2[:position] + wrong + line2[position + 1:])])
    assert only(found)[0] == f"mrz.checksum.{code}"


def test_a_card_readers_wrong_check_digit_is_never_named() -> None:
    """A keyboard-wedge reader typing a number into the TUI's scan box (`tui.scanner`)."""
    from tui.scanner import ScanFailed, ScanReader

    found = set()
    for number in resident_ids():
        for wrong in wrong_endings(number):
            scanned = ScanReader().feed(wrong + "\r\n")
            assert isinstance(scanned, ScanFailed)
            found |= texts([scanned.problem])
    assert only(found)[0] == "resident_id.checksum"


@pytest.mark.parametrize("doc_type, numbers, nationality", [
    ("resident_id", resident_ids, None),
    ("hmt_residence_permit", residence_permits, None),
    ("foreign_permanent_id", permanent_residence_ids, "KAZ"),
])
def test_a_registrations_wrong_check_digit_is_never_named(doc_type: str, numbers: Callable[[], list[str]],
                                                         nationality: str | None) -> None:
    found, guardians = set(), set()
    for number in numbers():
        for wrong in wrong_endings(number):
            person = {"doc_type": doc_type, "doc_number": wrong, "name": "张三", "sex": "F",
                      **({"nationality": nationality} if nationality else {})}
            payload = {"kind": "stay", "unit": "302", "arrived_at": "2025-03-01 09:30", "person": person}
            checked = check_registration(payload, now=NOW)
            assert [p.field for p in checked.errors] == ["person.doc_number"]
            found |= texts(checked.errors)
            child = {"doc_type": "none_with_guardian", "name": "小明", "sex": "M", "birth_date": "2020-01-01"}
            guardian = {key: person[key] for key in ("doc_type", "doc_number", "name", "nationality") if key in person}
            guardians |= texts(check_registration({**payload, "person": child, "guardian": guardian}, now=NOW).errors)
    assert only(found)[0].endswith(".checksum")
    assert only(guardians) == only(found)


def test_the_import_report_says_the_same_for_every_wrong_check_digit(private_home: Path, tmp_path: Path) -> None:
    """The CLI's import report (zh and en) of rows whose numbers differ in their right and typed check digits."""
    from tests.sheets.conftest import csv_bytes, run, tenant_row

    assert run("init", "--kind", "rental", "--name", "测试公寓").exit_code == 0
    rows = []
    for index in range(1, 12):  # their right check digits differ, and so do the wrong ones typed
        row = tenant_row(index)
        right = MOD11_CHARACTERS.index(row[2][-1])
        row[2] = row[2][:-1] + MOD11_CHARACTERS[(right + 1 + index % 10) % 11]
        rows.append(row)
    assert len({tenant_row(index)[2][-1] for index in range(1, 12)}) >= 5
    path = tmp_path / "租客.csv"
    path.write_bytes(csv_bytes(rows))
    for lang, refused in (("zh", "未登记 — "), ("en", "refused - ")):
        result = run("--lang", lang, "import", "--dry-run", str(path))
        reasons = {line.split(refused, 1)[1] for line in result.stdout.splitlines() if refused in line}
        assert len(reasons) == 1, reasons
        reason = reasons.pop()
        assert reason.startswith("身份证号: ") and ("校验位" in reason if lang == "zh" else "check digit" in reason)
    assert json.loads(run("status", "--json").output)["pending"] == 0

