"""Running the agent on a machine: `doctor`, `backup`, `restore`, `service` (install the uploader as an
operating-system service).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from agent.cli.context import (
    EXIT_REFUSED,
    Context,
    ask_new_passphrase,
    local_time,
    prompt_passphrase,
)
from agent.domain.language import Say


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_obj
def doctor(obj: Context, as_json: bool) -> None:
    """Check this installation and say what to do: config, disk, card reader, keys, database, platform, clock,
    backlog.

    Each check is OK, WARN or FAIL. Nothing is changed and nothing is sent. Exit status: 0 all OK,
    3 warnings only, 1 at least one check failed.
    """
    from agent.ops.doctor import TITLES, Status, diagnose, exit_status
    from uploader.probe import look_at_platform

    checks = diagnose(obj.home, look_at_platform=look_at_platform,
                      keystore_prompt=prompt_passphrase if sys.stdin.isatty() else None)
    code = exit_status(checks)
    lang, say = obj.say.lang, obj.say
    if as_json:
        click.echo(json.dumps({"home": str(obj.home), "exit_status": code,
                               "checks": [c.as_dict(lang) for c in checks]}, ensure_ascii=False, indent=2))
        sys.exit(code)
    click.echo(say(f"dengji 自检: {obj.home}", f"dengji doctor: {obj.home}"))
    colours = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "red"}
    for check in checks:
        title = say(*TITLES.get(check.name, (check.name, check.name)))
        mark = click.style(f"{check.status.value:<4}", fg=colours[check.status], bold=True)
        click.echo(f"  {mark}  {title}: {check.found(lang)}")
        if check.todo(lang):
            click.echo(f"        {say('怎么办', 'to do')}: {check.todo(lang)}")
    fails = sum(c.status is Status.FAIL for c in checks)
    warns = sum(c.status is Status.WARN for c in checks)
    click.echo(say(f"结果: {fails} 项失败 (FAIL)，{warns} 项警告 (WARN)", f"result: {fails} FAIL, {warns} WARN"))
    sys.exit(code)


class _StageBar:
    """One progress bar per stage of a backup or restore, on standard error (stays quiet off a terminal)."""

    def __init__(self, say: Say) -> None:
        self._labels = {"copy": say("复制数据库", "copying the database"), "seal": say("加密写入", "encrypting"),
                        "verify": say("解密校验", "decrypting to verify"),
                        "check": say("检查数据库完整性", "checking the database")}
        self._stage: str | None = None
        self._bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = click.progressbar(length=max(total, 1), label=self._labels.get(stage, stage), file=sys.stderr)
            self._bar.__enter__()
        self._bar.length = max(total, 1)
        self._bar.update(min(done, self._bar.length) - self._bar.pos)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _backup_passphrase(say: Say, *, confirm: bool) -> str:
    """The backup passphrase from the environment or the terminal: twice and with the rule when a backup
    is being made (`confirm`), once to restore one."""
    from agent.ops.backup import read_passphrase

    def ask() -> str:
        label = say("备份口令", "Backup passphrase")
        if confirm:
            return ask_new_passphrase(label)
        return click.prompt(label, hide_input=True, err=True)

    return read_passphrase(ask if sys.stdin.isatty() else None)


@click.command()
@click.argument("target", required=False, type=click.Path(path_type=Path))
@click.pass_obj
def backup(obj: Context, target: Path | None) -> None:
    """Write an encrypted, verified backup of the register and its keys to TARGET (a file or a folder).

    The backup passphrase comes from $DENGJI_BACKUP_PASSPHRASE or is asked for (never on the command
    line). Keep the file and the passphrase apart: with both, anyone can read the register.
    Default TARGET: dengji-<date>-<time>.dengji-backup in the current folder.
    """
    import hashlib

    from agent.domain.errors import BackupError
    from agent.ops.backup import default_name, describe, make_backup
    from agent.store import audit

    say = obj.say
    registry = obj.registry()  # who takes the whole register away: logged in, and entered in the trail
    target = target or Path.cwd()
    if target.is_dir():
        target = target / default_name()
    progress = _StageBar(say)
    try:
        passphrase = _backup_passphrase(say, confirm=True)
        report = make_backup(obj.home, target, passphrase,
                             keystore_prompt=prompt_passphrase if sys.stdin.isatty() else None, progress=progress)
    except BackupError as exc:
        progress.close()
        obj.fail(exc)
    progress.close()
    with report.path.open("rb") as written:
        registry.record_action(audit.BACKUP, digest=hashlib.file_digest(written, "sha256").hexdigest())
    figures = describe(report.inspection)
    click.echo(say(f"备份已写入并校验: {report.path} ({report.size} 字节，{report.seconds:.1f} 秒)",
                   f"backup written and verified: {report.path} ({report.size} bytes, {report.seconds:.1f} s)"))
    click.echo(say(f"登记 {figures['registrations']}，人员 {figures['people']}，事件 {figures['events']}"
                   f"（待上报 {figures['waiting']}），数据结构 {figures['schema']}",
                   f"registrations {figures['registrations']}, people {figures['people']}, events "
                   f"{figures['events']} ({figures['waiting']} waiting), schema {figures['schema']}"))


@click.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing store (it is kept in HOME/backups/ first).")
@click.pass_obj
def restore(obj: Context, source: Path, force: bool) -> None:
    """Restore a backup made by `dengji backup` into this home: the register and its keys.

    Verifies the whole file before changing anything. Refuses to replace an existing store without
    --force. The backup passphrase comes from $DENGJI_BACKUP_PASSPHRASE or is asked for. Stop the
    uploader service and close the TUI first.
    """
    from agent.domain.errors import BackupError
    from agent.ops.backup import describe, restore_backup

    say = obj.say
    progress = _StageBar(say)
    try:
        passphrase = _backup_passphrase(say, confirm=False)
        report = restore_backup(obj.home, source, passphrase, force=force,
                                keystore_prompt=prompt_passphrase if sys.stdin.isatty() else None, progress=progress)
    except BackupError as exc:
        progress.close()
        obj.fail(exc)
    progress.close()
    figures = describe(report.inspection)
    made = local_time(report.created_at)
    click.echo(say(f"已恢复 {made} 的备份到 {obj.home}", f"restored the backup of {made} into {obj.home}"))
    click.echo(say(f"登记 {figures['registrations']}，人员 {figures['people']}，事件 {figures['events']}",
                   f"registrations {figures['registrations']}, people {figures['people']}, events {figures['events']}"))
    if report.schema_from != report.schema_to:
        click.echo(say(f"数据结构已从 {report.schema_from} 升级到 {report.schema_to}",
                       f"schema upgraded from {report.schema_from} to {report.schema_to}"))
    if report.safety_copy:
        click.echo(say(f"原有的登记库保存在 {report.safety_copy}", f"the store that was here is kept in {report.safety_copy}"))
    for note in report.notes:
        click.echo(note.text(say.lang))


@click.group()
def service() -> None:
    """Run the uploader as a service that starts by itself: systemd on Linux, a scheduled task on Windows."""


def _service_options(command):  # type: ignore[no-untyped-def]
    """The options every `dengji service` command takes: which service, and where."""
    options = [
        click.option("--scope", type=click.Choice(["system", "user"]), default=None,
                     help="system: Linux, a system unit as user dengji (needs root); Windows, a task at boot. "
                          "user: your own unit, or a task at your logon. Default: system as root, else user."),
        click.option("--platform", "platform_name", type=click.Choice(["linux", "windows"]), default=None,
                     help="Write for this system instead of this one (with --print or --root)."),
        click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Write under this directory instead of / and run no command (images, tests)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _service_target(obj: Context, scope: str | None, platform_name: str | None, root: Path | None,
                    exe: str | None = None, *, show_only: bool = False):  # type: ignore[no-untyped-def]
    from agent.ops import os_service as svc

    system = svc.OperatingSystem(platform_name) if platform_name else svc.this_system()
    if system is not svc.this_system() and root is None and not show_only:
        raise svc.ServiceError("为其他系统写服务时请用 --print 或 --root", "for another system, use --print or --root",
                               code="service.other_system")
    program = exe or str(svc.current_program())
    return svc.Target(system, svc.Scope(scope) if scope else svc.default_scope(system), program, obj.home,
                      root.resolve() if root else None)


@service.command("install")
@_service_options
@click.option("--exe", default=None, help="The dengji program the service runs. Default: this one.")
@click.option("--print", "show_only", is_flag=True, help="Show what would be written and run; change nothing.")
@click.pass_obj
def service_install(obj: Context, scope: str | None, platform_name: str | None, root: Path | None, exe: str | None,
                    show_only: bool) -> None:
    """Write the service (unit file or task), enable it and start it.

    On a Linux system service the key file's passphrase goes to /etc/dengji/passphrase (root only), which
    the unit hands over with LoadCredential=. It comes from DENGJI_PASSPHRASE or is asked for.
    """
    from agent.ops import os_service as svc
    from agent.secrets.keystore import passphrase_from_environment

    say = obj.say
    try:
        target = _service_target(obj, scope, platform_name, root, exe, show_only=show_only)
        passphrase = None
        if not show_only and svc.needs_passphrase(target) and not target.passphrase_path().exists():
            passphrase = passphrase_from_environment()
            if passphrase is None and sys.stdin.isatty():
                passphrase = click.prompt(say("密钥文件的口令", "passphrase of the key file"), hide_input=True,
                                          confirmation_prompt=True, err=True)
            if not passphrase:
                obj.fail(say("需要密钥文件的口令：请设置 DENGJI_PASSPHRASE 或在终端中运行",
                             "the service needs the key file's passphrase: set DENGJI_PASSPHRASE or run this in a "
                             "terminal"))
        plan = svc.install_plan(target, passphrase)
        if show_only:
            click.echo(plan.describe(say))
            return
        svc.apply(plan)
    except svc.ServiceError as exc:
        obj.fail(exc)
    click.echo(plan.describe(say))
    click.echo(say("服务已安装", "the service is installed"))


@service.command("uninstall")
@_service_options
@click.option("--print", "show_only", is_flag=True, help="Show what would be removed and run; change nothing.")
@click.pass_obj
def service_uninstall(obj: Context, scope: str | None, platform_name: str | None, root: Path | None,
                      show_only: bool) -> None:
    """Stop the service and remove it. The register, its key and the passphrase file stay."""
    from agent.ops import os_service as svc

    try:
        plan = svc.uninstall_plan(_service_target(obj, scope, platform_name, root, exe="dengji", show_only=show_only))
        if not show_only:
            svc.apply(plan)
    except svc.ServiceError as exc:
        obj.fail(exc)
    click.echo(plan.describe(obj.say))
    if not show_only:
        click.echo(obj.say("服务已卸载", "the service is uninstalled"))


@service.command("status")
@_service_options
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
@click.pass_obj
def service_status(obj: Context, scope: str | None, platform_name: str | None, root: Path | None,
                   as_json: bool) -> None:
    """Say whether the service is installed, enabled and running. Exit status 1 if it is not installed."""
    from agent.ops import os_service as svc

    try:
        state = svc.service_state(_service_target(obj, scope, platform_name, root, exe="dengji"))
    except svc.ServiceError as exc:
        obj.fail(exc)
    say = obj.say
    if as_json:
        click.echo(json.dumps({"installed": state.installed, "enabled": state.enabled, "running": state.running,
                               "where": str(state.where)}, ensure_ascii=False))
    else:
        yes_no = {True: say("是", "yes"), False: say("否", "no")}
        click.echo(say(f"服务文件 {state.where}: 已安装 {yes_no[state.installed]}，开机启动 {yes_no[state.enabled]}，"
                       f"运行状态 {state.running}",
                       f"service file {state.where}: installed {yes_no[state.installed]}, enabled "
                       f"{yes_no[state.enabled]}, running {state.running}"))
    if not state.installed:
        sys.exit(EXIT_REFUSED)
