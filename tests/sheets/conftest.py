"""Venues set up through the real CLI, and real spreadsheet files written the way Excel and WPS write them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agent.cli import main
from agent.cli.demo_people import resident_id_for, sample_person

TENANT_HEADERS = ("序号", "姓名", "身份证号", "性别", "民族", "房号", "入住日期", "租约到期", "联系电话", "备注")


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def days_ago(days: int) -> date:
    return date.today() - timedelta(days=days)


def tenant_row(index: int, unit: str | None = None, arrived: str | None = None) -> list[str]:
    """One row under TENANT_HEADERS for a fictional person with a valid ID."""
    person = sample_person(index)
    number, _born, sex = resident_id_for(index)
    return [str(index), person["name"], number, "男" if sex == "M" else "女", "汉", unit or f"{100 + index}",
            arrived or days_ago(5).strftime("%Y/%m/%d"), days_ago(-360).isoformat(), person["phone"], "押一付三"]


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "utf-8", headers: Sequence[str] = TENANT_HEADERS) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


@pytest.fixture
def rental(private_home: Path) -> Path:
    result = run("init", "--kind", "rental", "--name", "测试公寓")
    assert result.exit_code == 0, result.output
    return private_home


@pytest.fixture
def employer(private_home: Path) -> Path:
    result = run("init", "--kind", "employer", "--name", "测试餐馆")
    assert result.exit_code == 0, result.output
    return private_home
