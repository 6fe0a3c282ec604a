"""`dengji reader read` through click's runner, and its exit statuses through a real process."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cardreader.card import JSON_KEYS
from agent.cli.card_reader import reader
from agent.cardreader.frames import Command
from agent.cardreader.samples import SAMPLE_CARDS, sample_text
from agent.cardreader.simulated import Fault, SimulatedReader

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as the other engineer's `dengji` will run it."""
    return subprocess.run([sys.executable, "-c", "from agent.cli.card_reader import reader; reader()",
                           "read", *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_a_card_is_printed_with_its_number_masked(simulator: SimulatedReader) -> None:
    simulator.place_card("resident_id")
    result = CliRunner().invoke(reader, ["read", "--port", simulator.port, "--timeout", "5"])
    card = SAMPLE_CARDS["resident_id"]
    assert result.exit_code == 0, result.stderr
    assert card.masked_number in result.stdout and card.doc_number not in result.stdout
    assert "姓名：韩梅梅" in result.stdout and "居民身份证" in result.stdout
    assert "有效期限：2020-03-07 – 2040-03-07" in result.stdout
    assert "请把证件放在读卡器上" in result.stderr and "请把证件" not in result.stdout


def test_english_labels_and_long_term_validity(simulator: SimulatedReader) -> None:
    simulator.place_card("resident_id_long_term")
    result = CliRunner().invoke(reader, ["read", "--port", simulator.port, "--timeout", "5", "--lang", "en"])
    assert result.exit_code == 0
    assert "name: 欧阳修远" in result.stdout and "valid: 2010-01-01 – long-term" in result.stdout
    assert "Place the card" in result.stderr


@pytest.mark.parametrize("key", sorted(SAMPLE_CARDS))
def test_json_is_exactly_one_object_with_the_documented_keys(simulator: SimulatedReader, key: str) -> None:
    simulator.place_card(key)
    result = CliRunner().invoke(reader, ["read", "--port", simulator.port, "--timeout", "5", "--json"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1
    printed = json.loads(result.stdout)
    assert tuple(printed) == JSON_KEYS
    assert printed == SAMPLE_CARDS[key].as_dict()


def test_the_json_values_of_each_kind(simulator: SimulatedReader) -> None:
    values = {}
    for key in ("resident_id", "hmt_residence_permit", "foreign_permanent_2017", "foreign_permanent_2023"):
        simulator.place_card(key)
        result = CliRunner().invoke(reader, ["read", "--port", simulator.port, "--timeout", "5", "--json"])
        values[key] = json.loads(result.stdout)
    assert [v["doc_type"] for v in values.values()] == ["resident_id", "hmt_residence_permit",
                                                        "foreign_permanent_id", "foreign_permanent_id"]
    assert [v["nationality"] for v in values.values()] == ["CHN", "HKG", "GBR", "FRA"]
    assert values["foreign_permanent_2017"]["name"] == values["foreign_permanent_2017"]["name_en"] == "DOE, JANE"
    assert values["foreign_permanent_2017"]["issuer"] == "3100"
    assert values["foreign_permanent_2023"]["issuer"] is None and values["foreign_permanent_2023"]["address"] is None
    assert values["resident_id"]["ethnicity"] == "01" and values["hmt_residence_permit"]["ethnicity"] is None


def test_an_expired_card_is_read_with_a_warning(simulator: SimulatedReader) -> None:
    simulator.place_card("resident_id_expired")
    result = CliRunner().invoke(reader, ["read", "--port", simulator.port, "--timeout", "5", "--json",
                                         "--lang", "en"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["valid_until"] == "2015-08-15"
    assert "expired" in result.stderr


def test_a_card_lifted_mid_read_is_reported_once_and_read_when_placed_again(simulator: SimulatedReader) -> None:
    simulator.place_card("hmt_residence_permit")
    simulator.fault(Fault.CARD_LIFTED, times=1)
    placed_again = threading.Thread(target=lambda: simulator.wait_for_command(Command.READ_TEXT_AND_PHOTO)
                                    and simulator.place_card("hmt_residence_permit"))
    placed_again.start()
    result = CliRunner().invoke(reader, ["read", "--port", simulator.port, "--timeout", "10", "--json"])
    placed_again.join(5)
    assert result.exit_code == 0
    assert result.stderr.count("证件在读取过程中被拿开") == 1
    assert json.loads(result.stdout)["doc_number"] == SAMPLE_CARDS["hmt_residence_permit"].doc_number


def test_the_language_of_the_main_command_is_used() -> None:
    from agent.cli import main

    result = CliRunner().invoke(main, ["--lang", "en", "reader", "read", "--port", "/dev/ttyUSB_no_such_reader"])
    assert result.exit_code == 1 and "there is no port" in result.stderr


def test_the_library_backend_from_the_command_line(stub: ctypes.CDLL, stub_library_path: Path) -> None:
    stub.stub_place_card(sample_text("foreign_permanent_2017"))
    result = CliRunner().invoke(reader, ["read", "--backend", "library", "--library", str(stub_library_path),
                                         "--timeout", "5", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["doc_number"] == SAMPLE_CARDS["foreign_permanent_2017"].doc_number


def test_exit_0_when_a_card_was_read(simulator: SimulatedReader) -> None:
    simulator.place_card("foreign_permanent_2023")
    done = run("--port", simulator.port, "--timeout", "10", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name_en"] == "DUPONT-LEFEBVRE, JEAN-BAPTISTE MARC ANTOINE"


def test_exit_2_when_no_card_came(simulator: SimulatedReader) -> None:
    done = run("--port", simulator.port, "--timeout", "0.3")
    assert done.returncode == 2
    assert done.stdout == "" and "0.3 秒内没有读到证件" in done.stderr


@pytest.mark.parametrize(("fault", "message"), [
    (Fault.SILENT, "nothing answers at"),
    (Fault.GARBAGE, "is not an ID card reader"),
    (Fault.SAM_FAULT, "security module (SAM) failed its self-test"),
])
def test_exit_1_on_a_reader_error_with_what_to_do_and_no_traceback(simulator: SimulatedReader, fault: Fault,
                                                                    message: str) -> None:
    simulator.fault(fault)
    done = run("--port", simulator.port, "--timeout", "5", "--lang", "en")
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_exit_1_when_the_port_does_not_exist() -> None:
    done = run("--port", "/dev/ttyUSB_no_such_reader", "--lang", "en")
    assert done.returncode == 1
    assert "there is no port /dev/ttyUSB_no_such_reader" in done.stderr and "Traceback" not in done.stderr


def test_registering_the_command_loads_neither_pyserial_nor_the_parser() -> None:
    # `dengji --help` imports the command at start-up: it should cost click and the error values only.
    probe = ("import sys\nimport agent.cli.card_reader\n"
             "print(sorted({'serial', 'agent.cardreader.layouts', 'agent.validation.documents'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_the_port_and_baud_come_from_config_toml_when_not_given(simulator: SimulatedReader, private_home: Path) -> None:
    """`dengji reader read` without --port reads the home's reader_port (and reader_baud)."""
    from tests.uploader.processes import dengji

    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / "config.toml").write_text(f'reader_port = "{simulator.port}"\nreader_baud = "9600"\n',
                                              encoding="utf-8")
    simulator.place_card("resident_id")
    out = dengji("reader", "read", "--timeout", "5", "--json", check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["doc_number"] == SAMPLE_CARDS["resident_id"].doc_number
    assert f"{simulator.port} @ 9600" in out.stderr
    given = dengji("reader", "read", "--port", "/dev/nonexistent", "--timeout", "1", check=False)
    assert given.returncode == 1 and "there is no port /dev/nonexistent" in given.stderr  # the option wins


def test_a_baud_rate_that_is_not_a_number_is_refused_when_the_config_is_read(private_home: Path) -> None:
    from tests.uploader.processes import dengji

    private_home.mkdir(parents=True, exist_ok=True)
    (private_home / "config.toml").write_text('reader_baud = "fast"\n', encoding="utf-8")
    out = dengji("reader", "read", "--timeout", "0", check=False)
    assert out.returncode == 2 and "reader_baud is a positive whole number" in out.stderr
    assert "Traceback" not in out.stderr
