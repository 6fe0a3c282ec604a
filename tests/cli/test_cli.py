"""The `dengji` command line as an operator uses it (the real CLI, a real store in a private home)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agent.cli import main
from agent.cli.demo_people import sample_registration


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def hotel(private_home: Path) -> Path:
    result = run("init", "--kind", "hotel", "--name", "郑州测试宾馆", "--address", "郑州市中原区")
    assert result.exit_code == 0, result.output
    return private_home


def test_every_command_has_help() -> None:
    assert run("--help").exit_code == 0
    for command in main.commands:
        for lang, usage in (("en", "Usage:"), ("zh", "用法:")):
            result = run("--lang", lang, command, "--help")
            assert result.exit_code == 0 and usage in result.output, (lang, command)


def test_init_register_list_depart_status(hotel: Path, tmp_path: Path) -> None:
    records = [sample_registration(i, "stay", "2026-11-20 10:00", unit=f"30{i}") for i in range(1, 4)]
    source = tmp_path / "guests.json"
    source.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = run("register", "--json", str(source))
    assert result.exit_code == 0, result.output
    assert result.output.count("已登记") == 3

    listed = json.loads(run("list", "--present", "--json").output)
    assert len(listed) == 3 and all("*" in row["doc_number"] for row in listed)
    first = listed[-1]["id"]
    assert run("depart", str(first), "--at", "2026-11-21 09:00", "--late-reason", "补录").exit_code == 0
    assert len(json.loads(run("list", "--present", "--json").output)) == 2
    status = json.loads(run("status", "--json").output)
    assert status["pending"] == 4 and status["sent"] == 0 and status["rejected"] == 0


def test_register_from_stdin_reports_each_record_and_exits_1_on_refusal(hotel: Path) -> None:
    good = sample_registration(5, "stay", "2026-11-20 10:00")
    bad = sample_registration(6, "stay", "2026-11-20 10:00")
    bad["person"]["name"] = "名" * 10_000
    result = run("--lang", "en", "register", "--json", "-", input=json.dumps([good, bad, 42]))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("record 1: registered as")
    assert lines[1].startswith("record 2: refused") and "person.name" in lines[1]
    assert "名名名" not in result.output
    assert lines[2].startswith("record 3: refused")
    assert len(json.loads(run("list", "--json").output)) == 1


@pytest.mark.parametrize("content, expected", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00\x00garbage\x80", "neither UTF-8 nor GBK"),
    (b"", "not valid JSON"),
])
def test_malformed_input_gets_a_clear_message(hotel: Path, tmp_path: Path, content: bytes, expected: str) -> None:
    source = tmp_path / "bad.json"
    source.write_bytes(content)
    result = CliRunner().invoke(main, ["--lang", "en", "register", "--json", str(source)])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_gbk_encoded_json_is_read(hotel: Path, tmp_path: Path) -> None:
    source = tmp_path / "gbk.json"
    source.write_bytes(json.dumps(sample_registration(9, "stay", "2026-11-20 10:00"), ensure_ascii=False).encode("gbk"))
    assert run("register", "--json", str(source)).exit_code == 0


def test_commands_before_init_say_to_run_init(private_home: Path) -> None:
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == 2 and "dengji init" in result.output


def test_init_refuses_a_bad_credit_code_and_control_characters(private_home: Path) -> None:
    result = CliRunner().invoke(main, ["init", "--kind", "employer", "--name", "某某\x07公司",
                                       "--credit-code", "91350100M000100Y4A"])
    assert result.exit_code == 2
    assert "venue.name" in result.output and "venue.credit_code" in result.output
    assert not (private_home / "dengji.sqlite3").exists()


def test_depart_rejects_bad_time_and_unknown_id(hotel: Path) -> None:
    assert CliRunner().invoke(main, ["depart", "1", "--at", "yesterday"]).exit_code == 2
    result = CliRunner().invoke(main, ["depart", "77"])
    assert result.exit_code == 1 and "77" in result.output


def test_console_script_runs(hotel: Path) -> None:
    exe = Path(sys.executable).with_name("dengji")
    out = subprocess.run([str(exe), "--lang", "en", "status"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("pending 0")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert "0.1.0" in version.stdout
