"""`dengji export`: the register read back with the csv module and openpyxl, as an inspector's Excel sees it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from agent.cli.demo_people import resident_id_for, sample_registration
from agent.domain.errors import ExportError
from agent.register.registry import Registry
from agent.sheets.export import COLUMNS, write_register
from agent.store.opening import open_store
from tests.sheets.conftest import days_ago, run


@pytest.fixture
def registry(rental: Path) -> Iterator[Registry]:
    store = open_store(rental)
    registry = Registry(store)
    for i, (unit, days) in enumerate([("101", 20), ("=1+2", 10), ("-1层", 3)], start=1):
        payload = sample_registration(i, "tenancy", f"{days_ago(days).isoformat()} 09:30", unit=unit)
        if i == 3:
            payload["person"]["name"] = "@张三"
        payload["late_reason"] = "补录"  # registered days after the arrival (agent/domain/policies.py)
        outcome = registry.register(payload)
        assert outcome.ok, outcome.problems
    yield registry
    store.dispose()


def test_csv_is_utf8_with_bom_newest_first_masked_and_inert(registry: Registry, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "register.csv"
    assert write_register(registry, path, "csv", None, None) == 3
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == COLUMNS and rows[0][3] == "姓名 name"
    assert [row[2] for row in rows[1:]] == ["'-1层", "'=1+2", "101"]
    assert rows[1][3] == "'@张三"
    assert rows[3][8] == f"{days_ago(20).isoformat()} 09:30"
    assert all("*" in row[6] for row in rows[1:])
    for i in (1, 2, 3):
        assert resident_id_for(i)[0] not in raw.decode("utf-8-sig")
    assert [p.name for p in path.parent.iterdir()] == ["register.csv"]  # no temporary file left behind


def test_xlsx_has_a_title_row_headers_and_real_dates(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    assert write_register(registry, path, "xlsx", days_ago(15), None) == 2
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value == "测试公寓 登记簿 register"
    assert sheet["A2"].value.startswith("导出时间 exported ") and f"arrivals {days_ago(15).isoformat()}" in sheet["A2"].value
    assert tuple(c.value for c in sheet[3]) == COLUMNS
    assert sheet["C4"].value == "'-1层" and sheet["C5"].value == "'=1+2" and sheet["C5"].data_type == "s"
    assert sheet["I5"].value == datetime.combine(days_ago(10), datetime.min.time()).replace(hour=9, minute=30)
    assert sheet.max_row == 5


def test_export_replaces_a_file_whole_and_refuses_a_missing_directory(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("old content that is much longer than nothing\n" * 1000, encoding="utf-8")
    assert write_register(registry, path, "csv", days_ago(1), days_ago(0)) == 0
    assert path.read_text(encoding="utf-8-sig").splitlines() == [",".join(COLUMNS)]
    with pytest.raises(ExportError, match="no such directory"):
        write_register(registry, tmp_path / "nowhere" / "register.csv", "csv", None, None)


def test_export_through_the_cli(registry: Registry, tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    result = run("--lang", "en", "export", "--format", "xlsx", "--from", days_ago(12).isoformat(),
                 "--to", days_ago(8).isoformat(), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"exported 1 registrations to {target}"
    values = list(openpyxl.load_workbook(target, read_only=True).active.iter_rows(values_only=True))
    assert len(values) == 4 and values[3][2] == "'=1+2"
