"""Issue #5: on a full disk new registrations are refused with a clear message, never half-written.

Two real ways to run out of room: a small real filesystem (a tmpfs of a few MiB, when this machine lets us
mount one), and SQLite's own size cap (`PRAGMA max_page_count`), which makes the real engine answer
SQLITE_FULL anywhere. After each: every registration has its event and its outbox entry, the database
passes `integrity_check`, and once there is room again registering works.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.pool import Pool

from agent.cli import main
from agent.cli.demo_people import sample_registration
from tests.uploader.processes import dengji, register_guests

FULL = "the disk is full: nothing was saved; free some space and try again"


def assert_whole(database: Path) -> int:
    """The store is sound and nothing is half-written; returns the number of registrations."""
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        orphans = conn.execute(
            "SELECT (SELECT count(*) FROM registration r WHERE NOT EXISTS "
            "        (SELECT 1 FROM event e WHERE e.registration_id = r.id AND e.type = 'registration')),"
            "       (SELECT count(*) FROM event e WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_seq = e.seq)),"
            "       (SELECT count(*) FROM person p WHERE NOT EXISTS "
            "        (SELECT 1 FROM registration r WHERE r.person_id = p.id))").fetchone()
        assert orphans == (0, 0, 0), "a registration without its event, an event without its outbox entry, or a lone person"
        registrations, events = conn.execute("SELECT (SELECT count(*) FROM registration), (SELECT count(*) FROM event)").fetchone()
        assert registrations == events
        return registrations
    finally:
        conn.close()


def guests(*indexes: int) -> str:
    return json.dumps([sample_registration(i, "stay", "2026-11-20 10:00") for i in indexes], ensure_ascii=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MiB filesystem (tmpfs), or a skip where this machine does not let us mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small filesystem needs root on Linux; the max_page_count test covers the rest")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.strip()}); the max_page_count test covers the rest")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem says it is full; returns it (delete it to make room again)."""
    filler = disk / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError:
            pass
        try:  # the last few bytes
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def test_a_full_disk_refuses_registrations_plainly_and_writes_nothing(small_disk: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    home = small_disk / "home"
    monkeypatch.setenv("DENGJI_HOME", str(home))
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    register_guests(3)
    database = home / "dengji.sqlite3"

    # Nothing has the store open when the disk is full: it cannot even be opened (SQLite cannot make its
    # WAL index, and says "disk I/O error"), and the command says the disk is full.
    filler = fill(small_disk)
    out = dengji("register", "--json", "-", input=guests(10), check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr and FULL in out.stderr, out.stderr
    doctor = dengji("doctor", "--json", check=False)
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    assert {c["check"]: c["status"] for c in json.loads(doctor.stdout)["checks"]}["disk"] == "FAIL"
    filler.unlink()

    # The daemon (or the TUI) has the store open when the disk fills: the registration's own write fails.
    daemon = sqlite3.connect(database)
    daemon.execute("SELECT count(*) FROM registration").fetchone()
    filler = fill(small_disk)
    out = dengji("register", "--json", "-", input=guests(10, 11), check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stdout.count(f"refused - {FULL}") == 2, out.stdout
    chinese = dengji("--lang", "zh", "register", "--json", "-", input=guests(10), check=False)
    assert chinese.returncode == 1 and "磁盘已满，本次操作没有保存" in chinese.stdout
    daemon.close()

    filler.unlink()
    out = dengji("register", "--json", "-", input=guests(10, 11))
    assert out.stdout.count("registered as") == 2
    assert assert_whole(database) == 5


def test_a_database_that_cannot_grow_refuses_what_does_not_fit(private_home: Path) -> None:
    """SQLite's own cap: the real engine answers SQLITE_FULL, whatever the disk under the test."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(main, ["--lang", "en", *args], input=input, catch_exceptions=False)

    assert run("init", "--kind", "hotel", "--name", "测试宾馆").exit_code == 0
    assert run("register", "--json", "-", input=guests(0, 1, 2)).exit_code == 0

    def cap(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # room for a record or two, not forty

    event.listen(Pool, "connect", cap)
    try:
        result = run("register", "--json", "-", input=guests(*range(10, 50)))
    finally:
        event.remove(Pool, "connect", cap)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    refused = [n for n, line in enumerate(lines, start=10) if line.endswith(f"refused - {FULL}")]
    registered = [n for n, line in enumerate(lines, start=10) if "registered as" in line]
    assert refused and len(refused) + len(registered) == 40, result.output
    assert assert_whole(private_home / "dengji.sqlite3") == 3 + len(registered)

    # Room again: what was refused goes in, and the store is whole.
    result = run("register", "--json", "-", input=guests(*refused))
    assert result.exit_code == 0 and result.output.count("registered as") == len(refused)
    assert assert_whole(private_home / "dengji.sqlite3") == 43
