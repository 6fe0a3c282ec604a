"""`dengji service install|uninstall|status`: the uploader (`dengji agent run`) as a service that looks after itself.

A front-desk PC that nobody logs into must keep reporting for months. On Linux that is a systemd unit;
on Windows a Task Scheduler task. This module writes both, and nothing else does: the reference files
in `packaging/systemd/` are its output, and a test keeps them equal.

Linux, `system` scope (a mini-PC, a server): the unit runs as the dedicated user `dengji` (created by a
sysusers.d entry), keeps its home in `StateDirectory=` (/var/lib/dengji), gets the key file's passphrase
through `LoadCredential=` from /etc/dengji/passphrase (root-only; never in the unit, never in the
environment), restarts on failure and is hardened (`NoNewPrivileges`, `ProtectSystem=strict`,
`PrivateTmp`, ...). A system service never has an OS keyring, so its key always lives in `keys.enc`.
Linux, `user` scope (a desktop): a user unit in ~/.config/systemd/user, with the operator's own home.

Windows: a task in the Task Scheduler 1.2 schema, built with ElementTree. `user` scope starts at the
operator's logon with their interactive token, so the Windows Credential Manager (the key's home) is
open; `system` scope starts at boot as the same user with a stored password (asked by schtasks once),
which also opens the Credential Manager. A task under LocalSystem could not read the user's secrets.

Everything is first a `Plan`: steps that write files, make links, remove files and run commands.
`--print` shows the plan; `--root DIR` carries it out under DIR and runs no command, which is how the
tests install into a temporary directory and how an image is prepared.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePath, PurePosixPath

from agent import __version__
from agent.domain.errors import ServiceError
from agent.domain.language import Say

NAME = "dengji"
UNIT = "dengji.service"
TASK = "dengji"
TASK_FILE = "dengji-task.xml"
SERVICE_USER = "dengji"
SYSTEM_HOME = PurePosixPath("/var/lib/dengji")  # StateDirectory=dengji
SYSTEM_UNIT_DIR = PurePosixPath("/etc/systemd/system")
SYSUSERS_FILE = PurePosixPath("/etc/sysusers.d/dengji.conf")
PASSPHRASE_FILE = PurePosixPath("/etc/dengji/passphrase")  # LoadCredential= source, root-only
CREDENTIAL = "dengji-passphrase"  # the name agent.secrets.keystore looks for in $CREDENTIALS_DIRECTORY
RESTART_SECONDS = 30
TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
# Directories a hardened system unit cannot reach (ProtectHome=yes, PrivateTmp=yes): no program there.
_HIDDEN_FROM_SYSTEM_UNITS = ("/home", "/root", "/run/user", "/tmp", "/var/tmp")


class OperatingSystem(StrEnum):
    LINUX = "linux"
    WINDOWS = "windows"


class Scope(StrEnum):
    SYSTEM = "system"  # Linux: a system unit as user `dengji`; Windows: a task at boot
    USER = "user"  # Linux: a user unit; Windows: a task at the operator's logon


def this_system() -> OperatingSystem:
    return OperatingSystem.WINDOWS if sys.platform == "win32" else OperatingSystem.LINUX


def default_scope(system: OperatingSystem) -> Scope:
    """Root on Linux means a system service; everyone else gets one of their own."""
    if system is OperatingSystem.LINUX and hasattr(os, "geteuid") and os.geteuid() == 0:
        return Scope.SYSTEM
    return Scope.USER


# --- the program the service runs ---------------------------------------------------------------------------

def is_one_file_build() -> bool:
    """True in a PyInstaller one-file binary, which unpacks itself to the temp directory at every start."""
    if not getattr(sys, "frozen", False):
        return False
    exe_dir = Path(sys.executable).resolve().parent
    return Path(getattr(sys, "_MEIPASS", exe_dir)).resolve() not in (exe_dir, exe_dir / "_internal")


def current_program() -> Path:
    """The `dengji` program to put in the unit or task: this binary, or the installed console script."""
    if getattr(sys, "frozen", False):
        if is_one_file_build():
            raise ServiceError(
                "服务请使用单目录版本 (dengji-folder)：单文件版每次启动都要解压到临时目录，临时目录被清理时会出错。"
                "把 dengji-folder 复制到 /opt/dengji（Windows: C:\\Program Files\\dengji），再运行其中的 "
                "dengji service install，或用 --exe 指定",
                "the service needs the one-folder build: a one-file binary unpacks itself to the temp directory at "
                "every start and breaks when it is cleaned or mounted noexec. Copy dengji-folder to /opt/dengji "
                "and run its `dengji service install`, or pass --exe", code="service.one_file_build")
        return Path(sys.executable).resolve()
    script = Path(sys.executable).with_name("dengji.exe" if os.name == "nt" else "dengji")
    if script.exists():
        return script
    found = shutil.which("dengji")
    if found:
        return Path(found)
    raise ServiceError("找不到 dengji 程序，请用 --exe 指定", "cannot find the dengji program: pass --exe",
                       code="service.no_program")


# --- the text written ---------------------------------------------------------------------------------------

def systemd_quote(arg: str) -> str:
    """One ExecStart= word: `%` and `$` escaped (specifiers, variables), quoted if it has blanks or quotes."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if escaped and not any(c.isspace() or c in "\"'\\;" for c in escaped):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(scope: Scope, program: str, home: str | None, *, credential: bool) -> str:
    """The unit file. `home` None: the default home (user scope only); `credential`: LoadCredential= line."""
    system = scope is Scope.SYSTEM
    args = [program, "--home", str(SYSTEM_HOME)] if system else [program, *(["--home", home] if home else [])]
    exec_start = " ".join(systemd_quote(a) for a in [*args, "agent", "run"])
    lines = [
        "# dengji: the unattended uploader (登记上报服务). Written by `dengji service install`;",
        "# `dengji service uninstall` removes it and keeps the register and its key.",
        "[Unit]",
        "Description=dengji uploader: reports registrations to the public-security platform",
    ]
    if system:
        lines += ["After=network-online.target", "Wants=network-online.target"]
    lines += [
        "# Never give up: an unattended box must recover by itself once the network or the config is back.",
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=exec",
        f"ExecStart={exec_start}",
        "Restart=on-failure",
        f"RestartSec={RESTART_SECONDS}",
        "# SIGTERM: the uploader finishes or abandons its request (the batch is kept) and exits 0 within 5 s.",
        "TimeoutStopSec=30",
        "UMask=0077",
        "NoNewPrivileges=yes",
    ]
    if system:
        lines += [
            f"User={SERVICE_USER}",
            f"Group={SERVICE_USER}",
            f"StateDirectory={NAME}",
            "StateDirectoryMode=0700",
        ]
    if credential:
        source = str(PASSPHRASE_FILE) if system else f"%E/{NAME}/passphrase"
        lines.append(f"LoadCredential={CREDENTIAL}:{source}")
    if system:
        lines += [
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "PrivateDevices=yes",
            "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes",
            "ProtectKernelLogs=yes",
            "ProtectControlGroups=yes",
            "ProtectClock=yes",
            "ProtectHostname=yes",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",  # netlink: getaddrinfo(AI_ADDRCONFIG)
            "RestrictNamespaces=yes",
            "RestrictRealtime=yes",
            "RestrictSUIDSGID=yes",
            "LockPersonality=yes",
            "SystemCallArchitectures=native",
            "CapabilityBoundingSet=",
        ]
    lines += ["", "[Install]", f"WantedBy={'multi-user.target' if system else 'default.target'}", ""]
    return "\n".join(lines)


def sysusers_conf() -> str:
    """The sysusers.d(5) entry that makes the service's own user, with no login shell."""
    return (f"# dengji: the user the uploader service runs as. Written by `dengji service install`.\n"
            f'u {SERVICE_USER} - "dengji uploader" {SYSTEM_HOME} /usr/sbin/nologin\n')


def windows_command_line(args: Sequence[str]) -> str:
    """Arguments quoted the way Windows programs split them (the MS C runtime rules)."""
    return subprocess.list2cmdline(list(args))


def task_xml(program: str, home: str, scope: Scope, user: str) -> str:
    """The Task Scheduler 1.2 task that runs `dengji agent run` at logon (user) or at boot (system)."""
    ET.register_namespace("", TASK_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{TASK_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    task = ET.Element(f"{{{TASK_NS}}}Task", {"version": "1.2"})
    info = sub(task, "RegistrationInfo")
    sub(info, "Description", "dengji uploader (登记上报): reports registrations to the public-security platform. "
                             "Written by `dengji service install`.")
    sub(info, "URI", f"\\{TASK}")
    sub(info, "Version", __version__)
    triggers = sub(task, "Triggers")
    if scope is Scope.SYSTEM:
        boot = sub(triggers, "BootTrigger")
        sub(boot, "Enabled", "true")
        sub(boot, "Delay", "PT30S")  # let the network come up
    else:
        logon = sub(triggers, "LogonTrigger")
        sub(logon, "Enabled", "true")
        sub(logon, "UserId", user)
    principal = sub(sub(task, "Principals"), "Principal", id="Author")
    sub(principal, "UserId", user)
    sub(principal, "LogonType", "Password" if scope is Scope.SYSTEM else "InteractiveToken")
    sub(principal, "RunLevel", "LeastPrivilege")
    settings = sub(task, "Settings")
    for tag, value in [
        ("MultipleInstancesPolicy", "IgnoreNew"),  # one sender; the lease in the database says so too
        ("DisallowStartIfOnBatteries", "false"),
        ("StopIfGoingOnBatteries", "false"),
        ("AllowHardTerminate", "true"),
        ("StartWhenAvailable", "true"),
        ("RunOnlyIfNetworkAvailable", "false"),  # offline days are normal: the outbox waits
        ("AllowStartOnDemand", "true"),
        ("Enabled", "true"),
        ("Hidden", "false"),
        ("RunOnlyIfIdle", "false"),
        ("WakeToRun", "false"),
        ("ExecutionTimeLimit", "PT0S"),  # no limit: the default (72 hours) would stop the uploader
        ("Priority", "7"),
    ]:
        sub(settings, tag, value)
    idle = sub(settings, "IdleSettings")
    sub(idle, "StopOnIdleEnd", "false")
    sub(idle, "RestartOnIdle", "false")
    restart = sub(settings, "RestartOnFailure")
    sub(restart, "Interval", "PT1M")  # the schema's shortest
    sub(restart, "Count", "255")  # the schema's largest (unsignedByte)
    execute = sub(sub(task, "Actions", Context="Author"), "Exec")
    sub(execute, "Command", windows_command_line([program]))  # quoted when it has blanks, as schtasks writes it
    sub(execute, "Arguments", windows_command_line(["--home", home, "agent", "run"]))
    sub(execute, "WorkingDirectory", home)
    ET.indent(task, space="  ")
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + ET.tostring(task, encoding="unicode") + "\n"


# --- plans --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WriteFile:
    path: Path
    content: bytes
    mode: int = 0o644
    secret: bool = False  # never shown by --print


@dataclass(frozen=True)
class Link:
    path: Path
    target: str


@dataclass(frozen=True)
class Remove:
    path: Path


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    may_fail: bool = False  # e.g. stopping a service that is not running


Step = WriteFile | Link | Remove | Run


@dataclass
class Plan:
    """What install or uninstall will do, in order, and what the operator should know afterwards."""

    steps: list[Step] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def describe(self, say: Say) -> str:
        lines = []
        for step in self.steps:
            if isinstance(step, WriteFile):
                if step.secret:
                    lines.append(say(f"写入 {step.path}（权限 {step.mode:o}，口令，不显示）",
                                     f"write {step.path} (mode {step.mode:o}, the passphrase, not shown)"))
                    continue
                lines.append(say(f"写入 {step.path}（权限 {step.mode:o}）:", f"write {step.path} (mode {step.mode:o}):"))
                text = step.content.decode("utf-16" if step.path.suffix == ".xml" else "utf-8")
                lines += ["    " + line for line in text.rstrip("\n").splitlines()]
            elif isinstance(step, Link):
                lines.append(say(f"链接 {step.path} -> {step.target}", f"link {step.path} -> {step.target}"))
            elif isinstance(step, Remove):
                lines.append(say(f"删除 {step.path}", f"remove {step.path}"))
            else:
                lines.append(say("运行: ", "run: ") + " ".join(step.argv))
        lines += [say(zh, en) for zh, en in self.notes]
        return "\n".join(lines)


def _rooted(root: Path | None, path: PurePath) -> Path:
    """`path` on the target system, under `root` when preparing an image or a test directory."""
    if root is None:
        return Path(path)
    return root / Path(path).relative_to(Path(path).anchor)


def user_unit_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def user_passphrase_file() -> Path:
    """Where a user unit's LoadCredential= reads the passphrase (%E/dengji/passphrase)."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / NAME / "passphrase"


def check_passphrase(key_file: Path, passphrase: str) -> None:
    """Refuse a passphrase that does not open an existing key file: the service would never start."""
    from agent.domain.errors import KeystoreError
    from agent.secrets.keystore import PassphraseFile

    if key_file.exists():
        try:
            PassphraseFile(key_file, passphrase)
        except KeystoreError as exc:
            raise ServiceError.from_problem(exc.problem) from None


@dataclass(frozen=True)
class Target:
    """Where and how: the operating system, the scope, the program, the home and an optional root."""

    system: OperatingSystem
    scope: Scope
    program: str
    home: Path
    root: Path | None = None

    def unit_path(self) -> Path:
        folder = SYSTEM_UNIT_DIR if self.scope is Scope.SYSTEM else user_unit_dir()
        return _rooted(self.root, folder / UNIT)

    def wants_link(self) -> Path:
        target = "multi-user.target" if self.scope is Scope.SYSTEM else "default.target"
        return self.unit_path().parent / f"{target}.wants" / UNIT

    def passphrase_path(self) -> Path:
        return _rooted(self.root, PASSPHRASE_FILE if self.scope is Scope.SYSTEM else user_passphrase_file())

    def service_home(self) -> Path:
        return _rooted(self.root, SYSTEM_HOME) if self.scope is Scope.SYSTEM else self.home

    def task_path(self) -> Path:
        return (self.root if self.root is not None else self.home) / TASK_FILE

    def systemctl(self, *args: str) -> Run:
        user = ("--user",) if self.scope is Scope.USER else ()
        return Run(("systemctl", *user, *args))


def needs_passphrase(target: Target) -> bool:
    """Does the service's home keep its key in a passphrase file (rather than the OS keyring)?"""
    if target.system is OperatingSystem.WINDOWS:
        return False  # the task runs as the operator, whose Credential Manager holds the key
    if target.scope is Scope.SYSTEM:
        return True  # a system user has no keyring
    from agent.domain.errors import ConfigError
    from agent.home.config import load_config
    from agent.secrets.keystore import KEY_FILE, os_keyring_usable

    try:
        choice = load_config(target.home).keystore
    except ConfigError as exc:
        raise ServiceError.from_problem(exc.problem) from None
    if choice == "auto":
        return (target.home / KEY_FILE).exists() or not os_keyring_usable()
    return choice == "file"


def install_plan(target: Target, passphrase: str | None) -> Plan:
    """The steps that write and enable the service. `passphrase` None with a credential needed: --print only."""
    if target.system is OperatingSystem.WINDOWS:
        return _windows_install(target)
    plan = Plan()
    system = target.scope is Scope.SYSTEM
    if system and any(PurePosixPath(target.program).is_relative_to(hidden) for hidden in _HIDDEN_FROM_SYSTEM_UNITS):
        problem = (f"系统服务看不到 {target.program}（ProtectHome/PrivateTmp），请把程序放到 /opt/dengji",
                   f"a system service cannot see {target.program} (ProtectHome/PrivateTmp): put the program "
                   "in /opt/dengji")
        if target.root is None:
            raise ServiceError(*problem, code="service.program_hidden")
        plan.notes.append(problem)
    credential = needs_passphrase(target)
    home = None if system else str(target.home)
    unit = systemd_unit(target.scope, target.program, home, credential=credential)
    if credential:
        secret = target.passphrase_path()
        if secret.exists():
            plan.notes.append((f"口令文件 {secret} 已存在，保留不变", f"the passphrase file {secret} exists and is kept"))
        else:
            if passphrase is not None:
                check_passphrase(target.service_home() / "keys.enc", passphrase)
            plan.steps.append(WriteFile(secret, (passphrase or "").encode("utf-8"), 0o600, secret=True))
    plan.steps.append(WriteFile(target.unit_path(), unit.encode("utf-8")))
    if system:
        plan.steps.append(WriteFile(_rooted(target.root, SYSUSERS_FILE), sysusers_conf().encode("utf-8")))
    if target.root is not None:
        plan.steps.append(Link(target.wants_link(), f"../{UNIT}" if not system else str(SYSTEM_UNIT_DIR / UNIT)))
    else:
        if system:
            plan.steps.append(Run(("systemd-sysusers", str(SYSUSERS_FILE))))
        plan.steps += [target.systemctl("daemon-reload"), target.systemctl("enable", "--now", UNIT)]
    if system:
        plan.notes.append((
            f"登记库在 {SYSTEM_HOME}。以服务用户设置并登记设备: sudo -u {SERVICE_USER} {target.program} --home "
            f"{SYSTEM_HOME} init ...，然后 ... enroll ...；在此之前服务每 {RESTART_SECONDS} 秒重试一次",
            f"the register lives in {SYSTEM_HOME}. Set it up as the service user: sudo -u {SERVICE_USER} "
            f"{target.program} --home {SYSTEM_HOME} init ..., then ... enroll ...; until then the service retries "
            f"every {RESTART_SECONDS} s"))
    else:
        plan.notes.append((
            "用户服务只在登录后运行；无人登录的电脑请用 loginctl enable-linger 或系统服务 (--scope system)",
            "a user service runs while you are logged in; on a PC nobody logs into, run `loginctl enable-linger` "
            "or use the system service (--scope system)"))
    return plan


def _windows_install(target: Target) -> Plan:
    user = windows_user()
    xml = task_xml(target.program, str(target.home), target.scope, user)
    path = target.task_path()
    plan = Plan([WriteFile(path, xml.encode("utf-16"))])
    if target.root is None:
        create = ["schtasks", "/Create", "/TN", TASK, "/XML", str(path), "/F"]
        if target.scope is Scope.SYSTEM:
            create += ["/RU", user, "/RP", "*"]  # schtasks asks the password once, to run at boot
        plan.steps.append(Run(tuple(create)))
        plan.steps.append(Run(("schtasks", "/Run", "/TN", TASK), may_fail=True))
    return plan


def windows_user() -> str:
    domain = os.environ.get("USERDOMAIN")
    return f"{domain}\\{getpass.getuser()}" if domain else getpass.getuser()


def uninstall_plan(target: Target) -> Plan:
    """Stop, disable and remove the service. The register, its key and the passphrase stay."""
    keep = (f"登记库 {target.service_home()} 和密钥保留不变（数据须按规定保存）",
            f"the register in {target.service_home()} and its key are kept (the records must be retained)")
    if target.system is OperatingSystem.WINDOWS:
        steps: list[Step] = []
        if target.root is None:
            steps += [Run(("schtasks", "/End", "/TN", TASK), may_fail=True),
                      Run(("schtasks", "/Delete", "/TN", TASK, "/F"))]
        return Plan([*steps, Remove(target.task_path())], [keep])
    plan = Plan(notes=[keep])
    if target.root is None:
        plan.steps.append(target.systemctl("disable", "--now", UNIT))
    else:
        plan.steps.append(Remove(target.wants_link()))
    plan.steps.append(Remove(target.unit_path()))
    if target.scope is Scope.SYSTEM:
        plan.steps.append(Remove(_rooted(target.root, SYSUSERS_FILE)))
        plan.notes.append((f"用户 {SERVICE_USER} 和口令文件 {target.passphrase_path()} 保留",
                           f"the user {SERVICE_USER} and the passphrase file {target.passphrase_path()} are kept"))
    if target.root is None:
        plan.steps.append(target.systemctl("daemon-reload"))
    return plan


def apply(plan: Plan) -> None:
    """Carry out the plan; a failed step stops it with what failed and why."""
    for step in plan.steps:
        if isinstance(step, Run):
            _run(step)
            continue
        try:
            _change_files(step)
        except OSError as exc:
            where = getattr(step, "path", "")
            raise ServiceError(f"无法修改 {where}: {exc.strerror}（系统服务需要 root 权限）",
                               f"cannot change {where}: {exc.strerror}; a system service needs root",
                               code="service.not_root") from None


def _change_files(step: WriteFile | Link | Remove) -> None:
    if isinstance(step, WriteFile):
        step.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if step.secret else 0o755)
        tmp = step.path.with_name(step.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, step.mode)  # never readable by others
        with os.fdopen(fd, "wb") as f:
            f.write(step.content)
        os.chmod(tmp, step.mode)
        os.replace(tmp, step.path)
    elif isinstance(step, Link):
        step.path.parent.mkdir(parents=True, exist_ok=True)
        if step.path.is_symlink() or step.path.exists():
            step.path.unlink()
        step.path.symlink_to(step.target)
    elif step.path.is_symlink() or step.path.exists():
        step.path.unlink()


def _run(step: Run) -> None:
    try:
        done = subprocess.run(step.argv, capture_output=True, text=True)
    except OSError as exc:
        if step.may_fail:
            return
        raise ServiceError(f"无法运行 {step.argv[0]}: {exc.strerror}", f"cannot run {step.argv[0]}: {exc.strerror}",
                           code="service.cannot_run") from None
    if done.returncode != 0 and not step.may_fail:
        said = (done.stderr or done.stdout).strip()
        command = " ".join(step.argv)
        raise ServiceError(f"命令失败（{command}，退出码 {done.returncode}）: {said}",
                           f"{command} failed (exit {done.returncode}): {said}", code="service.command_failed")


# --- status -------------------------------------------------------------------------------------------------

@dataclass
class ServiceState:
    installed: bool
    enabled: bool
    running: str  # active / inactive / failed / ...; "unknown" when the service manager cannot be asked
    where: Path


def service_state(target: Target) -> ServiceState:
    """What is installed under the target, and, on a live system, what the service manager says."""
    if target.system is OperatingSystem.WINDOWS:
        path = target.task_path()
        if target.root is not None:
            return ServiceState(path.exists(), path.exists(), "unknown", path)
        # PowerShell names the state in English on every Windows (schtasks translates it): Ready, Running, ...
        answer = _ask(["powershell", "-NoProfile", "-NonInteractive", "-Command",
                       f"(Get-ScheduledTask -TaskName {TASK} -ErrorAction Stop).State"])
        state = answer[1].strip().lower() if answer is not None and answer[0] == 0 else ""
        return ServiceState(bool(state), state not in ("", "disabled"), state or "unknown", path)
    unit = target.unit_path()
    state = ServiceState(unit.exists(), target.wants_link().is_symlink(), "unknown", unit)
    if target.root is None:
        user = ["--user"] if target.scope is Scope.USER else []
        answer = _ask(["systemctl", *user, "is-active", UNIT])  # prints nothing when systemd is not running
        if answer is not None and answer[1].strip():
            state.running = answer[1].strip().splitlines()[0]
    return state


def _ask(argv: list[str]) -> tuple[int, str] | None:
    """A command's exit status and standard output, or None when it cannot be run."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode, done.stdout
