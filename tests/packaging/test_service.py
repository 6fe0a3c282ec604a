"""`dengji service install|uninstall|status`, installed into a temporary root (no running systemd here).

systemd's own tools check what is written wherever they work offline: `systemd-analyze verify` parses the
units, `systemctl --root` says whether the unit is enabled, `systemd-sysusers --root` makes the user.
The Windows task is parsed back and checked against the Task Scheduler 1.2 schema's rules.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agent import __version__
from agent.ops import os_service as service
from agent.cli import main
from tests.conftest import TEST_PASSPHRASE
from tests.uploader.processes import BIN

ROOT = Path(__file__).resolve().parent.parent.parent
PROGRAM = str(BIN / "dengji")  # a real file: systemd-analyze checks that ExecStart= can run
NS = {"t": service.TASK_NS}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--lang", "en", *args], catch_exceptions=False)


def unit_settings(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values]}} (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def analyze(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, env=env, timeout=60)


needs_systemd_tools = pytest.mark.skipif(shutil.which("systemd-analyze") is None or shutil.which("systemctl") is None,
                                         reason="systemd's tools are not installed")


def test_system_service_is_written_hardened_and_enabled(tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = run("service", "install", "--scope", "system", "--platform", "linux", "--root", str(root),
                 "--exe", PROGRAM)
    assert result.exit_code == 0, result.output
    assert TEST_PASSPHRASE not in result.output

    unit = root / "etc/systemd/system/dengji.service"
    settings = unit_settings(unit.read_text(encoding="utf-8"))
    svc = settings["Service"]
    assert svc["ExecStart"] == [f"{PROGRAM} --home /var/lib/dengji agent run"]
    assert svc["User"] == ["dengji"] and svc["StateDirectory"] == ["dengji"]
    assert svc["Restart"] == ["on-failure"]
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert svc[key] == ["yes"], key
    assert svc["ProtectSystem"] == ["strict"]
    assert svc["LoadCredential"] == ["dengji-passphrase:/etc/dengji/passphrase"]
    assert "Environment" not in svc, "the passphrase never goes into the environment"
    assert settings["Install"]["WantedBy"] == ["multi-user.target"]

    secret = root / "etc/dengji/passphrase"
    assert secret.read_text(encoding="utf-8") == TEST_PASSPHRASE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    assert (root / "etc/systemd/system/multi-user.target.wants/dengji.service").is_symlink()
    assert "u dengji -" in (root / "etc/sysusers.d/dengji.conf").read_text(encoding="utf-8")

    status = run("service", "status", "--scope", "system", "--root", str(root), "--json")
    assert status.exit_code == 0 and '"installed": true, "enabled": true' in status.output


@needs_systemd_tools
def test_systemd_accepts_the_system_unit_enables_it_and_makes_the_user(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert run("service", "install", "--scope", "system", "--root", str(root), "--exe", PROGRAM).exit_code == 0
    unit = root / "etc/systemd/system/dengji.service"
    checked = analyze("verify", str(unit))
    assert checked.returncode == 0 and "dengji.service" not in checked.stderr, checked.stderr
    enabled = subprocess.run(["systemctl", f"--root={root}", "is-enabled", "dengji.service"], capture_output=True,
                             text=True)
    assert enabled.stdout.strip() == "enabled", enabled.stdout + enabled.stderr
    if shutil.which("systemd-sysusers"):
        made = subprocess.run(["systemd-sysusers", f"--root={root}", str(root / "etc/sysusers.d/dengji.conf")],
                              capture_output=True, text=True)
        if made.returncode == 0:  # needs the rights to write passwd files; enough that it parses otherwise
            assert any(line.startswith("dengji:") for line in (root / "etc/passwd").read_text().splitlines())


@needs_systemd_tools
def test_user_service_quotes_its_home_and_systemd_accepts_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    home = tmp_path / "登记 数据 100%"
    root = tmp_path / "root"
    result = run("--home", str(home), "service", "install", "--scope", "user", "--root", str(root), "--exe", PROGRAM)
    assert result.exit_code == 0, result.output
    unit = root / str(tmp_path / "config/systemd/user/dengji.service").lstrip("/")
    settings = unit_settings(unit.read_text(encoding="utf-8"))
    quoted_home = '"' + str(home).replace("%", "%%") + '"'
    assert settings["Service"]["ExecStart"] == [f"{PROGRAM} --home {quoted_home} agent run"]
    assert "User" not in settings["Service"]
    assert settings["Install"]["WantedBy"] == ["default.target"]
    # No OS keyring on a test machine: the key file's passphrase comes as a credential.
    assert settings["Service"]["LoadCredential"] == ["dengji-passphrase:%E/dengji/passphrase"]
    link = unit.parent / "default.target.wants/dengji.service"
    assert link.is_symlink() and link.resolve() == unit.resolve()

    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    checked = analyze("--user", "verify", str(unit), env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    assert checked.returncode == 0 and "dengji.service" not in checked.stderr, checked.stderr


def test_uninstall_removes_the_service_and_keeps_the_register_and_the_passphrase(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert run("service", "install", "--scope", "system", "--root", str(root), "--exe", PROGRAM).exit_code == 0
    register = root / "var/lib/dengji/dengji.sqlite3"
    register.parent.mkdir(parents=True)
    register.write_bytes(b"the register")
    result = run("service", "uninstall", "--scope", "system", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert not (root / "etc/systemd/system/dengji.service").exists()
    assert not (root / "etc/systemd/system/multi-user.target.wants/dengji.service").is_symlink()
    assert not (root / "etc/sysusers.d/dengji.conf").exists()
    assert (root / "etc/dengji/passphrase").exists() and register.read_bytes() == b"the register"
    assert "kept" in result.output
    status = run("service", "status", "--scope", "system", "--root", str(root))
    assert status.exit_code == 1 and "installed no" in status.output


def test_print_changes_nothing_and_never_shows_the_passphrase(tmp_path: Path) -> None:
    root = tmp_path / "root"
    result = run("service", "install", "--scope", "system", "--root", str(root), "--exe", PROGRAM, "--print")
    assert result.exit_code == 0, result.output
    assert not root.exists()
    assert "ExecStart=" in result.output and "not shown" in result.output and TEST_PASSPHRASE not in result.output
    live = run("service", "install", "--scope", "system", "--platform", "linux", "--exe", "/opt/dengji/dengji",
               "--print")
    assert "run: systemctl enable --now dengji.service" in live.output


def test_a_passphrase_that_does_not_open_the_key_file_is_refused(private_home: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert run("init", "--kind", "hotel", "--name", "测试宾馆").exit_code == 0  # keys.enc, with TEST_PASSPHRASE
    monkeypatch.setenv("DENGJI_PASSPHRASE", "not the passphrase")
    result = CliRunner().invoke(main, ["--lang", "en", "service", "install", "--scope", "user", "--root",
                                       str(tmp_path / "root"), "--exe", PROGRAM])
    assert result.exit_code == 2 and "wrong passphrase" in result.output
    assert not (tmp_path / "root").exists()


def test_a_live_system_install_refuses_a_program_the_hardened_unit_cannot_see(private_home: Path) -> None:
    target = service.Target(service.OperatingSystem.LINUX, service.Scope.SYSTEM, "/home/landlord/dengji/dengji", private_home)
    with pytest.raises(service.ServiceError, match="/opt/dengji"):
        service.install_plan(target, TEST_PASSPHRASE)


@pytest.mark.parametrize(("word", "written"), [
    ("/opt/dengji/dengji", "/opt/dengji/dengji"),
    ("/srv/登记 数据", '"/srv/登记 数据"'),
    ("/srv/100%", "/srv/100%%"),
    ("/srv/$HOME", "/srv/$$HOME"),
    ('/srv/a "b"', '"/srv/a \\"b\\""'),
])
def test_exec_start_words_are_escaped_for_systemd(word: str, written: str) -> None:
    assert service.systemd_quote(word) == written


def test_the_reference_units_in_packaging_are_what_install_writes() -> None:
    folder = ROOT / "packaging" / "systemd"
    program = "/opt/dengji/dengji"
    assert (folder / "system/dengji.service").read_text(encoding="utf-8") == service.systemd_unit(
        service.Scope.SYSTEM, program, None, credential=True)
    assert (folder / "user/dengji.service").read_text(encoding="utf-8") == service.systemd_unit(
        service.Scope.USER, program, None, credential=False)
    assert (folder / "sysusers.d/dengji.conf").read_text(encoding="utf-8") == service.sysusers_conf()


# --- Windows ------------------------------------------------------------------------------------------------

def windows_argv(command_line: str) -> list[str]:
    """Split a command line as Windows programs do (CommandLineToArgvW / the MS C runtime)."""
    args: list[str] = []
    word: list[str] = []
    in_word = quoted = False
    i = 0
    while i < len(command_line):
        c = command_line[i]
        if c == "\\":
            n = 0
            while i < len(command_line) and command_line[i] == "\\":
                n += 1
                i += 1
            if i < len(command_line) and command_line[i] == '"':
                word.append("\\" * (n // 2))
                if n % 2:
                    word.append('"')
                    i += 1
            else:
                word.append("\\" * n)
            in_word = True
            continue
        if c == '"':
            quoted = not quoted
            in_word = True
        elif c in " \t" and not quoted:
            if in_word:
                args.append("".join(word))
                word, in_word = [], False
        else:
            word.append(c)
            in_word = True
        i += 1
    if in_word:
        args.append("".join(word))
    return args


def parse_task(xml: str) -> ET.Element:
    task = ET.fromstring(xml.split("\n", 1)[1])  # ElementTree refuses a UTF-16 declaration on a str
    assert task.tag == f"{{{service.TASK_NS}}}Task" and task.get("version") == "1.2"
    return task


@pytest.mark.parametrize(("program", "home"), [
    (r"C:\Program Files\dengji\dengji.exe", r"C:\Users\张 三\AppData\Local\dengji"),
    (r"D:\登记\dengji.exe", "D:\\data dir\\"),  # a trailing backslash before the closing quote
    (r"C:\dengji\dengji.exe", r"C:\ProgramData\dengji"),
])
def test_task_xml_runs_the_uploader_with_arguments_quoted_for_windows(program: str, home: str) -> None:
    task = parse_task(service.task_xml(program, home, service.Scope.USER, r"FRONTDESK\clerk"))
    execute = task.find("t:Actions/t:Exec", NS)
    assert execute is not None
    assert windows_argv(execute.findtext("t:Command", namespaces=NS) or "") == [program]
    assert windows_argv(execute.findtext("t:Arguments", namespaces=NS) or "") == ["--home", home, "agent", "run"]
    assert execute.findtext("t:WorkingDirectory", namespaces=NS) == home


def test_task_xml_has_what_task_scheduler_requires_and_never_stops_the_uploader() -> None:
    task = parse_task(service.task_xml(r"C:\dengji\dengji.exe", r"C:\dengji-data", service.Scope.USER,
                                       r"FRONTDESK\clerk"))
    children = [child.tag.split("}")[1] for child in task]
    assert children == ["RegistrationInfo", "Triggers", "Principals", "Settings", "Actions"]
    assert task.findtext("t:RegistrationInfo/t:URI", namespaces=NS) == "\\dengji"
    assert task.findtext("t:RegistrationInfo/t:Version", namespaces=NS) == __version__
    logon = task.find("t:Triggers/t:LogonTrigger", NS)
    assert logon is not None and logon.findtext("t:UserId", namespaces=NS) == r"FRONTDESK\clerk"
    principal = task.find("t:Principals/t:Principal", NS)
    assert principal is not None
    assert task.find("t:Actions", NS).get("Context") == principal.get("id")  # type: ignore[union-attr]
    assert principal.findtext("t:LogonType", namespaces=NS) == "InteractiveToken"
    assert principal.findtext("t:RunLevel", namespaces=NS) == "LeastPrivilege"
    settings = task.find("t:Settings", NS)
    assert settings is not None
    assert settings.findtext("t:ExecutionTimeLimit", namespaces=NS) == "PT0S"
    assert settings.findtext("t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    assert settings.findtext("t:DisallowStartIfOnBatteries", namespaces=NS) == "false"
    # restartType: Interval within PT1M..P31D, Count an unsignedByte of at least 1, both present.
    assert settings.findtext("t:RestartOnFailure/t:Interval", namespaces=NS) == "PT1M"
    assert 1 <= int(settings.findtext("t:RestartOnFailure/t:Count", namespaces=NS) or 0) <= 255
    assert not [e.tag for e in settings.iter() if e.text in ("True", "False")], "booleans are lower case"


def test_boot_task_runs_as_the_operator_with_a_stored_password() -> None:
    task = parse_task(service.task_xml(r"C:\dengji\dengji.exe", r"C:\dengji-data", service.Scope.SYSTEM,
                                       r"FRONTDESK\clerk"))
    assert task.find("t:Triggers/t:BootTrigger", NS) is not None and task.find("t:Triggers/t:LogonTrigger", NS) is None
    assert task.findtext("t:Principals/t:Principal/t:LogonType", namespaces=NS) == "Password"
    assert task.findtext("t:Principals/t:Principal/t:UserId", namespaces=NS) == r"FRONTDESK\clerk"


def test_install_for_windows_writes_the_task_as_utf16_and_registers_nothing(tmp_path: Path) -> None:
    root = tmp_path / "task"
    program = r"C:\Program Files\dengji\dengji.exe"
    result = run("service", "install", "--platform", "windows", "--root", str(root), "--exe", program)
    assert result.exit_code == 0, result.output
    raw = (root / "dengji-task.xml").read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff"), "schtasks /XML wants UTF-16 with a byte order mark"
    text = raw.decode("utf-16")
    assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>')
    assert parse_task(text).find("t:Actions/t:Exec", NS) is not None
    assert "schtasks" not in result.output
    live = run("service", "install", "--platform", "windows", "--scope", "system", "--exe", program, "--print")
    assert "run: schtasks /Create /TN dengji /XML" in live.output and "/RP *" in live.output
    refused = run("service", "install", "--platform", "windows" if os.name != "nt" else "linux", "--exe", program)
    assert refused.exit_code == 2 and "--print or --root" in refused.output
