"""Reading real CSV and XLSX files as landlords keep them: encodings, header variants, broken files."""

from __future__ import annotations

import codecs
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from agent.domain.errors import SheetError
from agent.sheets.spreadsheet import read_sheet
from tests.sheets.conftest import TENANT_HEADERS, csv_bytes, tenant_row

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize("encoding, bom, expected", [
    ("utf-8", b"", "UTF-8"),
    ("utf-8", codecs.BOM_UTF8, "UTF-8 (BOM)"),
    ("gbk", b"", "GBK/GB18030"),
    ("gb18030", b"", "GBK/GB18030"),
])
def test_csv_encodings_are_detected_and_named(tmp_path: Path, encoding: str, bom: bytes, expected: str) -> None:
    path = tmp_path / "租客.csv"
    path.write_bytes(bom + csv_bytes([tenant_row(1), tenant_row(2)], encoding))
    sheet = read_sheet(path)
    assert sheet.encoding == expected
    assert [row.number for row in sheet.rows] == [2, 3]
    assert sheet.rows[0].values["name"] == tenant_row(1)[1]
    assert sheet.headers["doc_number"] == "身份证号"
    assert sheet.ignored == ["备注"]  # 序号 is known to carry nothing and is not mentioned


def test_excel_unicode_text_is_tab_separated_utf16(tmp_path: Path) -> None:
    text = "\n".join("\t".join(row) for row in [TENANT_HEADERS, tenant_row(1)])
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))
    sheet = read_sheet(path)
    assert sheet.encoding == "UTF-16" and sheet.rows[0].values["unit"] == "101"


def test_english_and_decorated_headers(tmp_path: Path) -> None:
    path = tmp_path / "en.csv"
    headers = ("Name", "ID Number", "Room", "Check-in", "* 联系电话（手机）", "gender", "Deposit")
    path.write_bytes(csv_bytes([["Li Lei", "x", "3", "2026-11-01", "13800000000", "M", "500"]], headers=headers))
    sheet = read_sheet(path)
    assert set(sheet.headers) == {"name", "doc_number", "unit", "arrived_at", "phone", "sex"}
    assert sheet.ignored == ["Deposit"]


def test_xlsx_with_a_title_row_date_cells_and_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "租客"
    sheet.append(["幸福公寓租客登记表"])
    sheet.append(["姓名", "证件号码", "房间号", "起租日期", "联系电话"])
    sheet.append(["张三", "11010519491231002X", 301, datetime(2026, 11, 1), 13800138000])
    sheet.append([None, None, None, None, None])
    sheet.append(["李四", "110105194912310021", "302", 46327, None])  # an Excel serial date left as a number
    book.create_sheet("说明").append(["填表说明"])
    path = tmp_path / "租客.xlsx"
    book.save(path)
    read = read_sheet(path)
    assert read.encoding is None and read.sheet_name == "租客"
    assert [row.number for row in read.rows] == [3, 5]
    assert read.rows[0].values["arrived_at"] == datetime(2026, 11, 1)
    assert read.rows[0].values["unit"] == 301
    assert read.rows[1].values["arrived_at"] == datetime(2026, 11, 1)


def test_ragged_rows_are_kept_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("姓名,身份证号,房号,入住日期\n张三,1,101\n李四,2,102,2026-11-01,多出来,的\n", encoding="utf-8")
    rows = read_sheet(path).rows
    assert rows[0].values == {"name": "张三", "doc_number": "1", "unit": "101"} and rows[0].extra_cells == 0
    assert rows[1].extra_cells == 2


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b" \r\n\r\n", "is empty"),
    (PNG_HEADER + bytes(range(256)), "PNG image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old Excel .xls"),
    (bytes(range(256)) * 4, "binary data"),
    (b"\x81\x30\xff\xfe\x80\x80", "neither UTF-8 nor GBK"),
    ("姓名,身份证号,房号,入住日期\n".encode(), "no data rows"),
    ('姓名,身份证号,房号,入住日期\n张三,1,"101,2026-11-01\n李四,2,102,2026-11-02\n'.encode(), "line 2"),
    ('姓名,身份证号,房号,入住日期\n张三,1,"101"x,2026-11-01\n'.encode(), "line 2 is malformed"),
])
def test_unusable_files_are_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SheetError) as caught:
        read_sheet(path)
    assert message in caught.value.en and caught.value.zh


def test_a_zip_that_is_no_workbook(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(SheetError, match="not a valid .xlsx"):
        read_sheet(path)


def test_missing_columns_are_listed_with_what_was_found(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_bytes(csv_bytes([["张三", "101"]], headers=("姓名", "房号", "押金")))
    with pytest.raises(SheetError) as caught:
        read_sheet(path)
    assert "document number, arrival" in caught.value.en
    assert "证件号码、入住时间" in caught.value.zh and "姓名、房号、押金" in caught.value.zh


def test_a_sheet_without_headers_never_quotes_its_data(tmp_path: Path) -> None:
    row = tenant_row(1)
    path = tmp_path / "noheader.csv"
    path.write_bytes(csv_bytes([tenant_row(2)], headers=row))
    with pytest.raises(SheetError) as caught:
        read_sheet(path)
    assert row[1] not in str(caught.value) and row[2] not in str(caught.value)
    assert "no known header" in caught.value.en
