"""The PyInstaller binary, built once per test session by `packaging/build`, run as a venue runs it.

A frozen app loses data files and entry points, so each of them is exercised in the binary itself:
forms and code tables (`register`), the migrations and the SQLite dialect (`init`), the PostgreSQL
dialect and driver, Textual's widgets and styles (the TUI in a real terminal), apscheduler's
triggers (the daemon's scheduled `watch` is what sends), keyring's backends (in the archive with their
entry points). The one-file build serves the operator; the one-folder build runs the service.

Marked `binary` and kept on one xdist worker (`xdist_group`), so the build happens once per run:
`pytest -m "not binary"` skips it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent import __version__
from tests.tui.test_pty_smoke import Terminal
from tests.uploader.processes import Receiver, daemon_sends_a_registration_made_while_idle, dengji, register_guests
from tests.uploader.test_delivery import assert_delivered_exactly_once

pytestmark = [pytest.mark.binary, pytest.mark.xdist_group("binary")]

ROOT = Path(__file__).resolve().parent.parent.parent
EXE = "dengji.exe" if os.name == "nt" else "dengji"


@dataclass(frozen=True)
class Build:
    one_file: Path
    folder: Path  # the one-folder build's program, beside its _internal/


@pytest.fixture(scope="session")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`packaging/build` into a temporary dist/, once per session."""
    dist = tmp_path_factory.mktemp("dist")
    work = tmp_path_factory.mktemp("pyinstaller-work")
    done = subprocess.run([sys.executable, str(ROOT / "packaging" / "build"), "--dist", str(dist), "--work", str(work)],
                          capture_output=True, text=True, cwd=ROOT, timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    build = Build(dist / EXE, dist / "dengji-folder" / EXE)
    assert build.one_file.is_file() and build.folder.is_file()
    return build


def test_both_builds_say_the_package_version(frozen: Build) -> None:
    for program in (frozen.one_file, frozen.folder):
        out = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stdout.strip() == f"dengji, version {__version__}", out.stderr


def test_the_archive_holds_what_frozen_apps_lose_and_not_the_reference_platform(frozen: Build) -> None:
    listing = subprocess.run([str(Path(sys.executable).with_name("pyi-archive_viewer")), "-r", "-b", str(frozen.folder)],
                             capture_output=True, text=True, check=True).stdout
    modules = {line.strip() for line in listing.splitlines()}
    for needed in ["keyring.backends.SecretService", "keyring.backends.Windows", "keyring.backends.macOS",
                   "keyring.backends.chainer", "apscheduler.triggers.interval", "apscheduler.executors.asyncio",
                   "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.postgresql.psycopg",
                   "textual.widgets._tab_pane", "textual.widgets._data_table", "templates.codes",
                   "agent.store.migrations.env", "tui.screens.home_screen", "uploader.daemon",
                   "agent.cardreader.serial_reader", "agent.cardreader.vendor_library", "serial.tools.list_ports"]:
        assert needed in modules, needed
    assert not [m for m in modules if m == "receiver" or m.startswith("receiver.")], "the platform is not shipped"
    inside = frozen.folder.parent / "_internal"
    for data in ["templates/hotel.toml", "templates/codes/ethnic_groups.toml", "agent/validation/data/regions.txt",
                 "tui/styles/app.tcss", "tui/styles/forms.tcss", "agent/store/migrations/env.py",
                 "agent/store/migrations/versions/0001_initial_schema.py"]:
        assert (inside / data).is_file(), data
    for name in ("apscheduler", "keyring"):  # their entry points: triggers and executors, backends
        assert [p for p in inside.glob(f"{name}-*.dist-info/entry_points.txt")], name


def test_one_file_binary_registers_and_uploads(frozen: Build, private_home: Path, receiver: Receiver) -> None:
    program = frozen.one_file
    dengji("init", "--kind", "hotel", "--name", "测试宾馆", program=program)
    dengji("enroll", receiver.issue_code(), "--platform", receiver.url, program=program)
    register_guests(3, program=program)
    out = dengji("send", program=program)
    assert "sent 3" in out.stdout
    assert json.loads(dengji("status", "--json", program=program).stdout)["sent"] == 3
    assert_delivered_exactly_once(private_home, receiver)
    # doctor from the binary: every check runs (the platform and its clock included), all OK
    report = json.loads(dengji("doctor", "--json", program=program).stdout)
    assert report["exit_status"] == 0, report
    assert {c["check"] for c in report["checks"]} >= {"integrity", "platform", "clock", "backlog"}


def test_the_service_build_sends_from_its_scheduler_and_stops_on_sigterm(frozen: Build, private_home: Path,
                                                                          receiver: Receiver, tmp_path: Path) -> None:
    program = frozen.folder
    dengji("init", "--kind", "hotel", "--name", "测试宾馆", program=program)
    dengji("enroll", receiver.issue_code(), "--platform", receiver.url, program=program)
    errors = daemon_sends_a_registration_made_while_idle(private_home, tmp_path / "daemon.log", program=program)
    assert "uploader started" in errors
    assert "Traceback" not in errors and "LookupError" not in errors, errors
    assert_delivered_exactly_once(private_home, receiver)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_terminal_ui_paints_from_the_binary(frozen: Build, private_home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "TMUX_TMPDIR": str(tmp_path)}
    env.pop("TMUX", None)
    dengji("init", "--kind", "hotel", "--name", "二进制宾馆", program=frozen.one_file)
    term = Terminal(f"dengji-binary-{os.getpid()}", env)
    try:
        term.start([str(frozen.one_file), "--home", str(private_home), "tui"])
        screen = term.wait_for("现在在住 0 人")  # styles, widgets, the store opened, the form loaded
        assert "二进制宾馆" in screen
        term.keys("F2")
        term.wait_for("刷卡/扫描")  # the registration form, built from the hotel template
        term.keys("C-q")
    finally:
        term.close()


def test_the_postgresql_dialect_and_driver_are_inside(frozen: Build, private_home: Path) -> None:
    private_home.mkdir(parents=True)
    (private_home / "config.toml").write_text('database_url = "postgresql+psycopg://dengji@127.0.0.1:9/none"\n',
                                              encoding="utf-8")
    out = dengji("status", program=frozen.one_file, check=False)
    # Loaded, and it tried to connect: refused by the closed port, not by a missing module.
    assert out.returncode == 2 and "Connection refused" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_the_demo_says_the_platform_is_not_in_the_venue_binary(frozen: Build) -> None:
    out = dengji("demo", "--no-tui", program=frozen.one_file, check=False)
    assert out.returncode == 2 and "python3 dev.py start" in out.stderr


def test_the_card_reader_driver_is_inside(frozen: Build) -> None:
    """The driver and pyserial load lazily, when a card is to be read: a missing module would show only
    here, as a traceback instead of the driver's own message."""
    out = subprocess.run([str(frozen.one_file), "reader", "read", "--port", "/dev/nonexistent", "--lang", "en"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "there is no port /dev/nonexistent: plug the reader in" in out.stderr
    assert "Traceback" not in out.stderr


def test_service_install_runs_the_folder_build_and_refuses_the_one_file(frozen: Build) -> None:
    shown = dengji("service", "install", "--scope", "user", "--platform", "linux", "--print", program=frozen.folder)
    assert f"ExecStart={frozen.folder.resolve()} --home " in shown.stdout
    refused = dengji("service", "install", "--scope", "system", "--platform", "linux", "--print",
                     program=frozen.one_file, check=False)
    assert refused.returncode == 2 and "one-folder build" in refused.stderr
