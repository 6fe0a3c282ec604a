"""What a hostile or careless command line gives `dengji` (issue 16, finding 8): each gets a message in the
user's language and an exit status, never a traceback, and memory stays bounded.

Every test runs the real CLI on a real store in a private home.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agent.cli import main
from agent.cli.demo_people import sample_registration
from agent.sheets.spreadsheet import MAX_UNPACKED_BYTES


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def hotel(private_home: Path) -> Path:
    result = invoke("init", "--kind", "hotel", "--name", "郑州测试宾馆")
    assert result.exit_code == 0, result.output
    return private_home


def assert_refused_cleanly(result: Result, status: int, *expected: str) -> None:
    assert result.exit_code == status, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output


def test_json_nested_100000_deep_is_refused_in_each_language(hotel: Path) -> None:
    deep = "[" * 100_000
    assert_refused_cleanly(invoke("--lang", "en", "register", "--json", "-", input=deep), 2, "nests its JSON too deep")
    assert_refused_cleanly(invoke("--lang", "zh", "register", "--json", "-", input=deep), 2, "嵌套太深")


def test_an_integer_of_5001_digits_is_refused(hotel: Path) -> None:
    record = json.dumps(sample_registration(1, "stay", "2026-11-20 10:00"), ensure_ascii=False)
    hostile = record[:-1] + ', "n": ' + "9" * 5001 + "}"
    result = invoke("--lang", "en", "register", "--json", "-", input=hostile)
    assert_refused_cleanly(result, 2, "longer than 20 digits", "quoted strings")
    assert json.loads(invoke("list", "--json").output) == []


def test_a_json_file_larger_than_the_cap_is_not_read_whole(hotel: Path) -> None:
    result = invoke("--lang", "en", "register", "--json", "/dev/zero")
    assert_refused_cleanly(result, 2, "larger than 50 MB")


def test_malformed_json_is_said_in_one_language(hotel: Path) -> None:
    result = invoke("--lang", "zh", "register", "--json", "-", input="{not json")
    assert_refused_cleanly(result, 2, "不是有效的 JSON")
    assert "not valid JSON" not in result.output


@pytest.mark.parametrize("number", ["99999999999999999999999", "9223372036854775808", "0", "-1"])
def test_depart_a_number_no_row_can_have(hotel: Path, number: str) -> None:
    result = invoke("--lang", "en", "depart", "--", number)
    assert_refused_cleanly(result, 2, "expected a positive whole number")


def test_depart_the_largest_row_number_finds_nothing(hotel: Path) -> None:
    result = invoke("--lang", "en", "depart", "9223372036854775807")
    assert_refused_cleanly(result, 1, "9223372036854775807")


@pytest.mark.parametrize("args", [("correct", "99999999999999999999999", "--departed-at", "2026-11-21 09:00"),
                                  ("resend", "99999999999999999999999"),
                                  ("audit", "list", "--registration", "99999999999999999999999"),
                                  ("audit", "list", "--last", "99999999999999999999999")])
def test_other_commands_that_name_a_row(hotel: Path, args: tuple[str, ...]) -> None:
    assert_refused_cleanly(invoke("--lang", "en", *args), 2, "expected a positive whole number")


def test_import_dev_zero_is_refused_before_it_is_read(hotel: Path) -> None:
    result = invoke("--lang", "en", "import", "/dev/zero")
    assert_refused_cleanly(result, 2, "not a regular file")
    assert_refused_cleanly(invoke("--lang", "zh", "import", "/dev/zero"), 2, "不是普通文件")


def test_an_xlsx_whose_sheet_unpacks_to_a_gigabyte_is_not_opened(hotel: Path, tmp_path: Path) -> None:
    """A real zip bomb: a 1 MB workbook whose one cell's text unpacks to 1 GiB (openpyxl took 1.1 GB)."""
    bomb = tmp_path / "租客.xlsx"
    chunk = b"A" * (1 << 20)
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/content-types"/>')
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
            for _ in range(1024):
                sheet.write(chunk)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    assert bomb.stat().st_size < 5 * 1024 * 1024
    with zipfile.ZipFile(bomb) as book:
        assert sum(m.file_size for m in book.infolist()) > MAX_UNPACKED_BYTES
    result = invoke("--lang", "en", "import", str(bomb))
    assert_refused_cleanly(result, 2, "would unpack to more than 256 MB")
