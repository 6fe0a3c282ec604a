"""`dengji doctor` through real parts: the real command, a real home, a real receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.ops.doctor import EXIT_FAIL, EXIT_OK, EXIT_WARN, Status, diagnose
from agent.store.opening import open_store
from tests.uploader.processes import Receiver, dengji, register_guests
from uploader.device import load_device
from uploader.probe import look_at_platform
from uploader.sender import Sender
from uploader.transport import Transport


def doctor(*args: str) -> tuple[int, dict[str, dict[str, str]]]:
    """Run `dengji doctor --json`; its exit status and its findings by check name."""
    out = dengji("doctor", "--json", *args, check=False)
    assert "Traceback" not in out.stderr, out.stderr
    report = json.loads(out.stdout)
    assert report["exit_status"] == out.returncode
    return out.returncode, {c["check"]: c for c in report["checks"]}


def test_a_healthy_enrolled_hotel_is_all_ok(enrolled_hotel: Receiver) -> None:
    register_guests(3)
    dengji("send")
    code, checks = doctor()
    assert list(checks) == ["config", "disk", "reader", "store", "integrity", "schema", "keystore", "enrollment", "platform",
                            "clock", "backlog", "rejected"]
    not_ok = {name: c for name, c in checks.items() if c["status"] != "OK"}
    # The disk check depends on the machine running the tests; everything else must be OK.
    assert set(not_ok) <= {"disk"}, not_ok
    assert code == (EXIT_OK if not not_ok else EXIT_WARN if not_ok["disk"]["status"] == "WARN" else EXIT_FAIL)
    assert enrolled_hotel.url in checks["platform"]["found"] and "agrees" in checks["clock"]["found"]


def test_the_text_report_says_each_check_and_what_to_do(private_home: Path) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    out = dengji("doctor", check=False)
    assert out.returncode == EXIT_WARN and "Traceback" not in out.stderr
    assert "WARN  enrollment: this device is not enrolled" in out.stdout
    assert "to do: get a code from the police station and run `dengji enroll CODE --platform URL`" in out.stdout
    chinese = dengji("--lang", "zh", "doctor", check=False)  # the last --lang wins
    assert "设备登记: 本设备还没有在平台登记" in chinese.stdout and "怎么办:" in chinese.stdout


def test_a_home_not_set_up_fails_and_says_run_init(private_home: Path) -> None:
    code, checks = doctor()
    assert code == EXIT_FAIL
    assert checks["store"]["status"] == "FAIL" and "dengji init" in checks["store"]["todo"]
    assert "integrity" not in checks  # nothing to look at
    assert not private_home.exists() or not any(private_home.iterdir())  # doctor created nothing


def test_an_unenrolled_device_warns_and_exits_3(private_home: Path) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    code, checks = doctor()
    assert checks["enrollment"]["status"] == "WARN" and "dengji enroll" in checks["enrollment"]["todo"]
    assert "platform" not in checks and "clock" not in checks
    assert code == (EXIT_WARN if checks["disk"]["status"] != "FAIL" else EXIT_FAIL)


def test_an_unreachable_platform_fails(enrolled_hotel: Receiver) -> None:
    enrolled_hotel.kill()
    code, checks = doctor()
    assert code == EXIT_FAIL
    assert checks["platform"]["status"] == "FAIL" and "cannot reach the platform" in checks["platform"]["found"]
    assert "wait safely" in checks["platform"]["todo"] and "clock" not in checks


def test_a_locked_key_file_warns_and_a_wrong_passphrase_fails(private_home: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    monkeypatch.delenv("DENGJI_PASSPHRASE")
    code, checks = doctor()
    assert checks["keystore"]["status"] == "WARN" and "locked" in checks["keystore"]["found"]
    assert "DENGJI_PASSPHRASE" in checks["keystore"]["todo"]
    assert checks["integrity"]["status"] == "OK"  # what needs no key is still checked
    monkeypatch.setenv("DENGJI_PASSPHRASE", "not the passphrase")
    code, checks = doctor()
    assert code == EXIT_FAIL and checks["keystore"]["status"] == "FAIL"
    assert "wrong passphrase" in checks["keystore"]["found"]


def test_a_missing_key_fails_and_says_restore(private_home: Path) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    (private_home / "keys.enc").unlink()
    code, checks = doctor()
    assert code == EXIT_FAIL and checks["keystore"]["status"] == "FAIL"
    assert "dengji restore" in checks["keystore"]["todo"]


def test_an_unreadable_config_fails_but_the_rest_is_still_checked(private_home: Path) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    with open(private_home / "config.toml", "a", encoding="utf-8") as f:
        f.write("this is not toml\n")
    assert dengji("list", check=False).returncode == 2  # every other command stops at the config
    code, checks = doctor()
    assert code == EXIT_FAIL and checks["config"]["status"] == "FAIL" and "config.toml" in checks["config"]["found"]
    assert checks["integrity"]["status"] == "OK"


def _damage_an_index(database: Path) -> None:
    """Overwrite one index page of a real store with garbage, as a failing disk would."""
    conn = sqlite3.connect(database)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_registration_person'").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open(database, "r+b") as f:
        f.seek((root - 1) * page_size + 8)
        f.write(bytes(range(256)) * 4)


def test_a_damaged_database_fails_integrity_and_is_not_backed_up(private_home: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    register_guests(30)
    _damage_an_index(private_home / "dengji.sqlite3")
    code, checks = doctor()
    assert code == EXIT_FAIL
    assert checks["integrity"]["status"] == "FAIL" and "damaged" in checks["integrity"]["found"]
    assert "dengji restore --force" in checks["integrity"]["todo"]
    # A backup of it would look good and restore a damaged register: none is written.
    monkeypatch.setenv("DENGJI_BACKUP_PASSPHRASE", "a backup passphrase")
    out = dengji("backup", str(tmp_path / "b.dengji-backup"), check=False)
    assert out.returncode == 2 and "the store itself is damaged" in out.stderr
    assert not list(tmp_path.glob("b.dengji-backup*"))


def test_a_file_that_is_not_a_database_fails_without_a_traceback(private_home: Path) -> None:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    (private_home / "dengji.sqlite3").write_bytes(b"this is not a database" * 500)
    code, checks = doctor()
    assert code == EXIT_FAIL and "not a database" in checks["integrity"]["found"]
    out = dengji("list", check=False)  # and the ordinary commands say so plainly too
    assert out.returncode == 2 and "Traceback" not in out.stderr and "dengji doctor" in out.stderr


def test_an_old_backlog_without_an_uploader_warns(private_home: Path) -> None:
    from agent.cli.demo_people import sample_registration
    from agent.register.registry import Registry

    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    store = open_store(private_home)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    outcome = Registry(store, clock=lambda: two_hours_ago).register(sample_registration(1, "stay", "2026-11-20 10:00"))
    store.dispose()
    assert outcome.ok
    _code, checks = doctor()
    assert checks["backlog"]["status"] == "WARN" and "the oldest for 2 h" in checks["backlog"]["found"]
    assert 7200 <= checks["backlog"]["figure"] < 7200 + 120
    assert "no uploader is running" in checks["backlog"]["todo"]


def test_clock_ten_minutes_off_is_refused_and_doctor_reports_the_skew(enrolled_hotel: Receiver,
                                                                      private_home: Path) -> None:
    """Issue #5: the agent's clock 10 minutes off -> the platform refuses the date, and doctor says by how much.

    The clock is offset the way tests/uploader/test_delivery.py does it: the agent's clock function.
    """
    register_guests(1)

    def ahead() -> datetime:
        return datetime.now(UTC) + timedelta(minutes=10)

    store = open_store(private_home)
    device = load_device(store)

    async def send_once() -> object:
        async with Transport(device.platform_url) as transport:
            return await Sender(store, device, transport, clock=ahead).step()

    step = asyncio.run(send_once())
    store.dispose()
    assert step.kind == "blocked" and step.problem.code == "signature.stale"  # type: ignore[attr-defined]

    checks = {c.name: c for c in diagnose(private_home, look_at_platform=look_at_platform, clock=ahead)}
    clock = checks["clock"]
    assert clock.status is Status.FAIL and checks["platform"].status is Status.OK
    assert clock.figure is not None and abs(clock.figure - 600) < 2
    assert clock.found("en").startswith("this machine's clock is ") and "ahead of the platform's" in clock.en
    assert "beyond the 5 minutes" in clock.en and "NTP" in clock.todo_en
    assert clock.zh.startswith("本机时钟比平台快 ")

    behind = {c.name: c for c in diagnose(private_home, look_at_platform=look_at_platform,
                                          clock=lambda: datetime.now(UTC) - timedelta(minutes=2))}["clock"]
    assert behind.status is Status.WARN and "behind the platform's" in behind.en
    assert behind.figure is not None and abs(behind.figure + 120) < 2


# -- the ID card reader: the real simulated reader on a pty, at the port config.toml names ---------------


def _reader_config(home: Path, **keys: str) -> None:
    from agent.home.config import load_config, save_config

    config = load_config(home)
    for key, value in keys.items():
        setattr(config, key, value)
    save_config(home, config)


def test_the_configured_reader_is_found_with_its_sam_id(private_home: Path) -> None:
    from agent.cardreader.simulated import SimulatedReader

    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    with SimulatedReader(baud=None).start() as simulator:
        _reader_config(private_home, reader_port=simulator.port)
        code, checks = doctor()
    reader = checks["reader"]
    assert reader["status"] == "OK", reader
    assert reader["found"] == f"ID card reader found at {simulator.port} @ 115200, SAM id 05.01-20240607-0000001234-0000005678"
    assert code == (EXIT_WARN if checks["disk"]["status"] != "FAIL" else EXIT_FAIL)  # only enrollment warns


def test_a_configured_port_where_nothing_answers_warns_and_says_what_to_do(private_home: Path) -> None:
    from agent.cardreader.simulated import Fault, SimulatedReader

    with SimulatedReader(baud=None).start() as simulator:
        simulator.fault(Fault.SILENT)  # a port that exists, with nothing answering on it
        _reader_config(private_home, reader_port=simulator.port)
        code, checks = doctor()
    reader = checks["reader"]
    assert reader["status"] == "WARN", reader
    assert f"the reader in config.toml (reader_backend = serial, reader_port = {simulator.port}) does not answer" \
        in reader["found"]
    assert "remove reader_port to let it be found" in reader["todo"]
    _reader_config(private_home, reader_port="/dev/nonexistent")
    code, checks = doctor()
    assert checks["reader"]["status"] == "WARN" and "there is no port /dev/nonexistent" in checks["reader"]["found"]


def test_no_reader_configured_and_none_found_is_an_ok_note(private_home: Path) -> None:
    code, checks = doctor()
    reader = checks["reader"]
    # The machine running the tests has no reader: typing the numbers is how many venues work.
    assert reader["status"] == "OK" and reader["found"].startswith("no ID card reader found: numbers are typed by hand")
    assert reader["todo"] == ""
    assert list(checks)[:4] == ["config", "disk", "reader", "store"]
