"""`dengji init --kind overnight --subtype ...` and `--jurisdiction`, and the people rules through
`dengji register` (the real CLI, a real store in a private home)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from agent.cli import main
from agent.domain import CHINA_TIME
from agent.validation import resident_id


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def id_number(born: date, sequence: int) -> str:
    body = f"110105{born:%Y%m%d}{sequence:03d}"
    return body + resident_id.calc_check_digit(body)


def test_an_internet_cafe_is_set_up_with_its_subtype_and_refuses_a_minor(private_home: Path) -> None:
    result = run("--lang", "en", "init", "--kind", "overnight", "--subtype", "internet_cafe", "--name", "星空网吧",
                 "--address", "郑州市金水区花园路 1 号")
    assert result.exit_code == 0, result.output
    assert "overnight/internet_cafe" in result.output and "rules: zhengzhou" in result.output
    now = datetime.now(CHINA_TIME)
    child = id_number((now - timedelta(days=365 * 15)).date(), 18)
    minor = {"kind": "stay", "unit": "A12", "arrived_at": now.isoformat(timespec="minutes"),
             "person": {"doc_type": "resident_id", "doc_number": child, "name": "李小明"},
             "guardian_contact": {"name": "李强", "phone": "13812345678"}, "guardian_contacted": True}
    result = run("--lang", "en", "register", "--json", "-", input=json.dumps(minor))
    assert result.exit_code == 1
    assert "internet café may not admit a minor" in result.output
    assert child not in result.output


def test_a_subtype_is_for_overnight_venues_and_a_jurisdiction_must_have_a_file(private_home: Path) -> None:
    result = run("--lang", "en", "init", "--kind", "hotel", "--subtype", "club", "--name", "宾馆")
    assert result.exit_code != 0 and "only an overnight venue has a subtype" in result.output
    result = run("--lang", "en", "init", "--kind", "rental", "--jurisdiction", "atlantis", "--name", "出租屋")
    assert result.exit_code != 0 and "no policy file for the jurisdiction atlantis" in result.output
    result = run("--lang", "en", "init", "--kind", "rental", "--jurisdiction", "zhengzhou", "--name", "出租屋",
                 "--address", "北京市朝阳区")
    assert result.exit_code == 0 and "rules: zhengzhou" in result.output


def test_a_late_tenancy_is_refused_without_a_reason_and_registered_with_one(private_home: Path) -> None:
    assert run("init", "--kind", "rental", "--name", "出租屋").exit_code == 0
    arrived = datetime.now(CHINA_TIME) - timedelta(days=5)
    tenancy = {"kind": "tenancy", "unit": "1-101", "arrived_at": arrived.isoformat(timespec="minutes"),
               "expected_departure": (arrived + timedelta(days=365)).isoformat(timespec="minutes"),
               "person": {"doc_type": "resident_id", "doc_number": id_number(date(1990, 1, 1), 22), "name": "张三",
                          "phone": "13912345678"}}
    result = run("--lang", "en", "register", "--json", "-", input=json.dumps(tenancy))
    assert result.exit_code == 1 and "late_reason" in result.output
    result = run("--lang", "en", "register", "--json", "-",
                 input=json.dumps({**tenancy, "late_reason": "landlord away"}))
    assert result.exit_code == 0, result.output
    assert "registered as" in result.output
