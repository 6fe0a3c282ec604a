"""`dengji import` as a landlord or an employer uses it: real files, the real CLI, a real encrypted store."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl

from agent.cli.demo_people import resident_id_for, sample_person
from agent.domain import RegistrationKind
from agent.register.registry import Registry
from agent.sheets.importer import import_file, payload_of_row
from agent.sheets.spreadsheet import read_sheet
from agent.store.opening import open_store
from agent.validation.registration import check_registration
from tests.sheets.conftest import csv_bytes, days_ago, run, tenant_row


def listed() -> list[dict]:
    return json.loads(run("list", "--json").output)


def test_gbk_csv_from_chinese_excel_is_registered(rental: Path, tmp_path: Path) -> None:
    path = tmp_path / "租客.csv"
    path.write_bytes(csv_bytes([tenant_row(i) for i in range(1, 4)], "gbk"))
    result = run("import", str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert "GBK/GB18030" in lines[0] and "3 行数据" in lines[0]
    assert any(line.startswith("忽略的列") and "备注" in line for line in lines)
    assert sum("已登记，登记号" in line for line in lines) == 3
    assert lines[-1] == "共 3 行: 已登记 3 行，未登记 0 行"
    rows = listed()
    assert sorted(r["name"] for r in rows) == sorted(tenant_row(i)[1] for i in range(1, 4))
    assert all(r["kind"] == "tenancy" and "*" in r["doc_number"] for r in rows)
    assert tenant_row(1)[2] not in result.output  # document numbers are never echoed


def test_dry_run_checks_everything_and_writes_nothing(rental: Path, tmp_path: Path) -> None:
    path = tmp_path / "租客.csv"
    path.write_bytes(codecs.BOM_UTF8 + csv_bytes([tenant_row(1), tenant_row(2)]))
    result = run("--lang", "en", "import", "--dry-run", str(path))
    assert result.exit_code == 0, result.output
    assert "row 2: can be registered" in result.output and "row 3: can be registered" in result.output
    assert result.stdout.strip().endswith("dry run, nothing written: 2 rows, 2 can be registered, 0 refused")
    assert listed() == []
    assert json.loads(run("status", "--json").output)["pending"] == 0


def test_bad_rows_are_refused_alone_and_named_by_their_column(rental: Path, tmp_path: Path) -> None:
    good = tenant_row(1)
    wrong_check = tenant_row(2)
    wrong_check[2] = wrong_check[2][:-1] + ("0" if wrong_check[2][-1] != "0" else "1")
    absurd_date = tenant_row(3, arrived="2026-02-30")
    far_future = tenant_row(4, arrived="9999-12-31")
    long_name = tenant_row(5)
    long_name[1] = "名" * 10_000
    control = tenant_row(6)
    control[1] = "张\x07三"
    duplicate = tenant_row(1, unit="999")
    rounded = tenant_row(7)
    rounded[2] = "4.10102E+17"
    empty_unit = tenant_row(8, unit=" ")
    empty_unit[5] = ""
    path = tmp_path / "坏数据.csv"
    rows = [good, wrong_check, absurd_date, far_future, long_name, control, duplicate, rounded, empty_unit]
    path.write_bytes(csv_bytes(rows))
    with path.open("a", encoding="utf-8", newline="") as out:
        out.write(",,,,,,,,,\r\n" + ",".join(tenant_row(9)) + ",多余的单元格\r\n")

    result = run("--lang", "en", "import", str(path))
    assert result.exit_code == 1
    report = {line.split(":")[0]: line for line in result.stdout.splitlines() if line.startswith("row ")}
    assert report["row 2"].startswith("row 2: registered as")
    assert "refused - 身份证号:" in report["row 3"]
    assert "refused - 入住日期: not a real date" in report["row 4"]
    assert "refused - 入住日期:" in report["row 5"]
    assert "refused - 姓名 has at most 100 characters" in report["row 6"]
    assert "refused - 姓名 contains invisible control characters (U+0007)" in report["row 7"]
    assert report["row 8"] == "row 8: refused - duplicate of row 2"
    assert "refused - 身份证号: Excel stored this number" in report["row 9"]
    assert "refused - 房号: must not be empty" in report["row 10"]
    assert "row 11" not in report  # the empty row is skipped
    assert "more cells than the header" in report["row 12"]
    assert result.stdout.strip().endswith("10 rows: 1 registered, 9 refused")
    for row in rows:
        assert row[2] not in result.output
    assert "名名名" not in result.output
    assert [r["name"] for r in listed()] == [good[1]]


def test_importing_the_same_file_twice_registers_nobody_twice(rental: Path, tmp_path: Path) -> None:
    path = tmp_path / "租客.csv"
    path.write_bytes(csv_bytes([tenant_row(1), tenant_row(2)]))
    assert run("import", str(path)).exit_code == 0
    again = run("--lang", "en", "import", str(path))
    assert again.exit_code == 1
    assert again.stdout.count("this person is already registered here") == 2
    assert len(listed()) == 2


def test_employer_xlsx_with_date_cells(employer: Path, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["员工花名册"])
    sheet.append(["姓名", "证件类型", "证件号码", "性别", "民族", "出生日期", "宿舍", "入职日期", "岗位", "是否住宿",
                  "事由", "租约到期"])
    for i in (11, 12):
        person = sample_person(i)
        number, born, sex = resident_id_for(i)
        sheet.append([person["name"], "身份证", number, "男" if sex == "M" else "女", "01",
                      datetime.combine(born, datetime.min.time()), "A-1", datetime.combine(days_ago(30),
                      datetime.min.time()).replace(hour=9), "厨师", "是", "务工", "2027-01-01"])
    path = tmp_path / "员工.xlsx"
    book.save(path)
    result = run("--lang", "en", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "columns an employer does not report, ignored: 租约到期" in result.output
    rows = listed()
    assert len(rows) == 2 and all(r["kind"] == "employment" and r["unit"] == "A-1" for r in rows)
    assert rows[0]["arrived_at"] == f"{days_ago(30).isoformat()}T09:00+08:00"


def test_hotel_xlsx_with_a_foreign_guest_and_a_room_excel_made_a_date(private_home: Path, tmp_path: Path) -> None:
    assert run("init", "--kind", "hotel", "--name", "二七宾馆").exit_code == 0
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Document type", "Doc number", "Nationality", "Sex", "Room", "Check-in", "预计离店时间",
                  "护照有效期至", "签证种类", "签证号码", "停留有效期至", "入境日期", "入境口岸"])
    arrived = datetime.combine(days_ago(1), datetime.min.time()).replace(hour=21, minute=15)
    visa = [days_ago(-900), "L字签证", "01234567", days_ago(-20), days_ago(2), "首都机场"]
    sheet.append(["John Smith", "护照", "E12345678", "美国", "M", 306, arrived, days_ago(-1).isoformat() + " 12:00",
                  *visa])
    sheet.append(["Jane Smith", "414", "E12345679", "USA", "F", datetime(2026, 3, 1), arrived, None, *visa])
    sheet.append(["王芳", "居民身份证", 4.10102199001011e17, "中国", "女", "308", arrived, None])  # as Excel saves it
    path = tmp_path / "guests.xlsx"
    book.save(path)
    result = run("--lang", "en", "import", str(path))
    assert result.exit_code == 1
    assert "row 2: registered as" in result.stdout
    assert "row 3: refused - Room: Excel turned this cell into a date" in result.stdout
    assert "row 4: refused - Doc number: Excel stored this number as a number" in result.stdout
    (guest,) = listed()
    assert guest["kind"] == "stay" and guest["unit"] == "306" and guest["doc_type"] == "passport"
    assert guest["expected_departure"] == f"{days_ago(-1).isoformat()}T12:00+08:00"


def test_unusable_file_exits_2_and_registers_nothing(rental: Path, tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    result = run("import", str(path))
    assert result.exit_code == 2 and "PNG" in result.output
    quote = tmp_path / "quote.csv"
    quote.write_bytes(csv_bytes([tenant_row(1)]) + b'x,"y,101,2026-11-01\n')
    result = run("--lang", "en", "import", str(quote))
    assert result.exit_code == 2 and "line 3" in result.output
    assert listed() == []


def test_two_thousand_rows_are_read_and_each_passes_the_real_check(tmp_path: Path) -> None:
    """The sheet's part at scale; registering costs the register's time per row, measured in bench/."""
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes([tenant_row(i, unit=f"{i}") for i in range(1, 2001)], "gbk"))
    sheet = read_sheet(path)
    assert len(sheet.rows) == 2000 and sheet.rows[-1].number == 2001
    for row in sheet.rows:
        payload, problems = payload_of_row(row, RegistrationKind.TENANCY)
        assert payload is not None and not problems
        assert check_registration(payload).ok


def test_a_long_import_reports_progress_every_row(rental: Path, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(csv_bytes([tenant_row(i, unit=f"{i}") for i in range(1, 201)]))
    store = open_store(rental)
    seen: list[tuple[int, int]] = []
    try:
        report = import_file(Registry(store), path, progress=lambda done, total: seen.append((done, total)))
    finally:
        store.dispose()
    assert report.refused == 0 and report.registered == 200
    assert seen == [(done, 200) for done in range(201)]
    assert len(report.lines("zh")) == 203


def test_the_console_script_imports(rental: Path, tmp_path: Path) -> None:
    path = tmp_path / "租客.csv"
    path.write_bytes(csv_bytes([tenant_row(1)], "gbk"))
    exe = Path(sys.executable).with_name("dengji")
    out = subprocess.run([str(exe), "--lang", "en", "import", str(path)], capture_output=True, text=True, check=True)
    assert "row 2: registered as" in out.stdout and out.stdout.strip().endswith("1 row: 1 registered, 0 refused")
