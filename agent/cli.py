"""`dengji`: the venue agent's command line, and the composition root that wires the parts together.

Heavy parts (the store, SQLModel, the TUI, the uploader) are imported inside the commands that use them,
so `dengji --help` answers at once. Exit status: 0 done, 1 some record refused or a check failed,
2 the command could not run (bad input file, no store, wrong usage).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from agent import __version__
from agent.config import ConfigError, load_config, resolve_home, save_config
from agent.domain import CHINA_TIME, VenueKind
from agent.i18n import Say, detect_lang

if TYPE_CHECKING:
    from agent.registry import Registry
    from agent.store.database import Store
    from agent.validation import Problem

EXIT_REFUSED = 1
EXIT_UNUSABLE = 2


@dataclass
class Context:
    """What every command gets: the home, the language, and a way to open the register."""

    home: Path
    say: Say
    _registry: Registry | None = None
    _store: Store | None = None

    def fail(self, message: str) -> NoReturn:
        click.echo(message, err=True)
        sys.exit(EXIT_UNUSABLE)

    def registry(self, *, create: bool = False) -> Registry:
        """Open the store and the register (once per command)."""
        if self._registry is None:
            from agent.registry import Registry
            from agent.templates import TemplateError, check_templates

            try:
                check_templates()
            except TemplateError as exc:
                self.fail(str(exc))
            self._registry = Registry(self.store(create=create))
        return self._registry

    def store(self, *, create: bool = False) -> Store:
        """Open the store alone (once per command): all the uploader needs. The daemon stays without the
        register's templates and validators, which it never uses, and the memory they take."""
        if self._store is None:
            from agent.store.database import StoreError
            from agent.store.opening import open_store

            try:
                self._store = open_store(self.home, create=create,
                                         prompt=_prompt_passphrase if sys.stdin.isatty() else None)
            except (StoreError, ConfigError) as exc:
                self.fail(str(exc))
        return self._store

    def problem_text(self, problem: Problem) -> str:
        where = f"{problem.field}: " if problem.field else ""
        return where + problem.text(self.say.lang)


def _prompt_passphrase() -> str:
    return click.prompt("请输入密钥口令 (passphrase for the key file)", hide_input=True, err=True)


def _parse_time(value: str) -> datetime:
    """`YYYY-MM-DD HH:MM` or ISO 8601; a time without an offset is China time."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"时间格式应为 YYYY-MM-DD HH:MM (time must look like 2026-11-25 14:30): {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TIME)


def _parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD (date must look like 2026-11-25): {value!r}")


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False), envvar="DENGJI_HOME",
              help="Data directory (config, database, logs). Default: $DENGJI_HOME or the user data dir.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of messages: zh (default) or en.")
@click.version_option(__version__, prog_name="dengji")
@click.pass_context
def main(ctx: click.Context, home: str | None, lang: str | None) -> None:
    """登记 dengji: register tenants, guests and staff, and report them to the platform.

    Run a command below; `dengji COMMAND --help` explains each one.
    """
    resolved = resolve_home(home)
    try:
        config = load_config(resolved)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_UNUSABLE)
    ctx.obj = Context(resolved, Say(detect_lang(lang, config.lang)))
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


@main.command()
@click.pass_obj
def tui(obj: Context) -> None:
    """Open the terminal UI (also what `dengji` alone does). First run: a setup wizard."""
    from agent.config import DATABASE_FILE

    if not sys.stdin.isatty() or not sys.stdout.isatty():
        obj.fail(obj.say("终端界面需要在终端中运行；命令行用法见 dengji --help",
                         "the terminal UI needs a terminal; see `dengji --help` for the commands"))
    launch_tui(obj.home, obj.say.lang, has_store=(obj.home / DATABASE_FILE).exists()
               or bool(load_config(obj.home).database_url))


def launch_tui(home: Path, lang: str, *, has_store: bool) -> None:
    """Wire the TUI to the register and to an in-process uploader (the composition root's one job)."""
    from tui.app import run_tui

    def open_registry() -> Registry | None:
        from agent.registry import Registry
        from agent.store.opening import open_store
        from agent.templates import check_templates

        check_templates()  # a broken form file stops the agent with its file, field and problem named
        return Registry(open_store(home)) if has_store else None

    def make_delivery(registry: Registry):  # type: ignore[no-untyped-def]
        from uploader.delivery import UploaderDelivery

        return UploaderDelivery(registry.store)

    run_tui(None, home, lang, None, open_registry=open_registry, make_delivery=make_delivery)


@main.command()
@click.option("--kind", required=True, type=click.Choice([k.value for k in VenueKind]),
              help="rental (landlord), hotel, overnight (internet café, bathhouse), employer.")
@click.option("--name", required=True, help="The venue's name as registered.")
@click.option("--address", default=None, help="The venue's address.")
@click.option("--police-station", default=None, help="The police station (派出所) in charge.")
@click.option("--agreement-no", default=None, help="Security responsibility agreement number (治安管理责任书编号).")
@click.option("--rental-filing-no", default=None, help="Rental filing certificate number (房屋租赁登记备案证明).")
@click.option("--credit-code", default=None, help="Unified social credit code (统一社会信用代码), 18 characters.")
@click.pass_obj
def init(obj: Context, kind: str, name: str, address: str | None, police_station: str | None,
         agreement_no: str | None, rental_filing_no: str | None, credit_code: str | None) -> None:
    """Set up this venue: create the data directory, the encrypted store and the venue's details."""
    from agent.store.models import Venue
    from agent.venue import VenueDetails, check_venue

    say = obj.say
    details, problems = check_venue(VenueDetails(VenueKind(kind), name, address, police_station, agreement_no,
                                                 rental_filing_no, credit_code))
    if problems:
        obj.fail("\n".join(obj.problem_text(p) for p in problems))
    registry = obj.registry(create=True)
    existing = registry.venue()
    if existing is not None and existing.kind != kind and registry.registrations():
        obj.fail(say(f"本场所已有登记，不能把类型从 {existing.kind} 改为 {kind}",
                     f"this venue already has registrations: its kind cannot change from {existing.kind} to {kind}"))
    venue = registry.set_venue(Venue(kind=details.kind.value, name=details.name, address=details.address,
                                     police_station=details.police_station, agreement_no=details.agreement_no,
                                     rental_filing_no=details.rental_filing_no, credit_code=details.credit_code))
    config_path = obj.home / "config.toml"
    if not config_path.exists():
        save_config(obj.home, load_config(obj.home))
    click.echo(say(f"场所已设置: {venue.name} ({kind})，数据目录 {obj.home}",
                   f"venue set up: {venue.name} ({kind}), data directory {obj.home}"))


def _read_json(source: str) -> Any:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise click.UsageError(f"无法读取 {source}: {exc.strerror} (cannot read {source})")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise click.UsageError(f"{source} 不是 UTF-8 或 GBK 文本 ({source} is neither UTF-8 nor GBK text)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.UsageError(
            f"{source} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg} "
            f"({source} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg})")


@main.command()
@click.option("--json", "source", required=True, metavar="FILE|-",
              help="A JSON file (or - for standard input) holding one registration object or a list of them.")
@click.option("--output-json", is_flag=True, help="Print the results as JSON instead of lines.")
@click.pass_obj
def register(obj: Context, source: str, output_json: bool) -> None:
    """Register arrivals from JSON: one result line per record; a refused record writes nothing.

    Each object: {kind: tenancy|stay|employment, unit, arrived_at, expected_departure?, position?,
    lodges_on_site?, reason?, person: {doc_type, doc_number, name, sex: M|F, ethnicity?, birth_date?,
    nationality?, address?, phone?, residence_permit_number?}, guardian?: {doc_type, doc_number, name}}.
    Exit status 1 if any record was refused.
    """
    say = obj.say
    data = _read_json(source)
    records = data if isinstance(data, list) else [data]
    registry = obj.registry()
    results = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            from agent.validation import Problem

            outcome_id, problems = None, [Problem("input.not_object", "每条登记应为一个 JSON 对象",
                                                  "each registration must be a JSON object")]
        else:
            outcome = registry.register(record)
            outcome_id, problems = outcome.registration_id, outcome.problems
        results.append({"record": number, "id": outcome_id, "problems": [p.as_dict() for p in problems]})
        if output_json:
            continue
        if outcome_id is not None:
            line = say(f"第 {number} 条: 已登记，登记号 {outcome_id}", f"record {number}: registered as {outcome_id}")
            warnings = "; ".join(obj.problem_text(p) for p in problems)
            click.echo(line + (say(f"（提醒: {warnings}）", f" (note: {warnings})") if warnings else ""))
        else:
            reasons = "; ".join(obj.problem_text(p) for p in problems)
            click.echo(say(f"第 {number} 条: 未登记 — {reasons}", f"record {number}: refused - {reasons}"))
    if output_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
    if any(r["id"] is None for r in results):
        sys.exit(EXIT_REFUSED)


@main.command()
@click.argument("registration_id", type=int)
@click.option("--at", "at", default=None, help="When the person left (YYYY-MM-DD HH:MM, China time). Default: now.")
@click.pass_obj
def depart(obj: Context, registration_id: int, at: str | None) -> None:
    """Record a departure: check-out, move-out or end of employment."""
    outcome = obj.registry().depart(registration_id, _parse_time(at) if at else None)
    if not outcome.ok:
        click.echo("; ".join(obj.problem_text(p) for p in outcome.problems), err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(obj.say(f"已记录离开: 登记号 {registration_id}", f"departure recorded: registration {registration_id}"))


@main.command("list")
@click.option("--present", is_flag=True, help="Only people here now (not departed).")
@click.option("--search", "text", default=None, help="Name, or the last digits of the document number.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows (each with the registration id).")
@click.pass_obj
def list_(obj: Context, present: bool, text: str | None, as_json: bool) -> None:
    """List registrations, newest first, with masked document numbers and phones."""
    registry = obj.registry()
    rows = registry.search(text, present_only=present) if text else registry.registrations(present_only=present)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    say = obj.say
    if not rows:
        click.echo(say("没有登记", "no registrations"))
        return
    click.echo(say("登记号  房间/单元  姓名  证件号  到达  离开", "id  unit  name  document  arrived  departed"))
    for r in rows:
        arrived = r.arrived_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        left = r.departed_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") if r.departed_at else say("在住", "present")
        click.echo(f"{r.id}  {r.unit}  {r.name}  {r.doc_masked}  {arrived}  {left}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """Show what waits to be sent, what was sent or rejected, and how delivery went last."""
    from agent.delivery import delivery_state

    state = delivery_state(obj.registry().store)
    if as_json:
        click.echo(json.dumps({
            "pending": state.pending, "in_flight": state.in_flight, "sent": state.sent,
            "rejected": state.rejected, "quarantined": state.quarantined,
            "last_success": state.last_success.isoformat() if state.last_success else None,
            "last_error": state.last_error,
            "next_attempt": state.next_attempt.isoformat() if state.next_attempt else None,
            "platform_reachable": state.platform_reachable, "enrolled": state.enrolled, "sender": state.sender,
        }, ensure_ascii=False))
        return
    say = obj.say
    click.echo(say(f"待发送 {state.pending}，发送中 {state.in_flight}，已发送 {state.sent}，"
                   f"被退回 {state.rejected}，已隔离 {state.quarantined}",
                   f"pending {state.pending}, in flight {state.in_flight}, sent {state.sent}, "
                   f"rejected {state.rejected}, quarantined {state.quarantined}"))
    if not state.enrolled:
        click.echo(say("本设备还没有在平台登记 (dengji enroll)", "this device is not enrolled yet (dengji enroll)"))
    if state.last_success:
        click.echo(say(f"上次成功上报: {state.last_success.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}",
                       f"last successful upload: {state.last_success.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}"))
    if state.last_error:
        click.echo(say(f"上次出错: {state.last_error}", f"last error: {state.last_error}"))
    if state.sender:
        click.echo(say(f"正在发送的进程: {state.sender}", f"sending process: {state.sender}"))


@main.command()
@click.argument("code")
@click.option("--platform", "platform_url", required=True, help="The platform's address, e.g. https://platform.example.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="PEM file of the CA that signed the platform's certificate, if not a public one.")
@click.pass_obj
def enroll(obj: Context, code: str, platform_url: str, ca_file: str | None) -> None:
    """Enroll this device with the platform, using the one-time code from the police station."""
    import asyncio

    from agent.validation import Problem
    from uploader.enrollment import enroll as enroll_device

    registry = obj.registry()
    venue = registry.venue()
    if venue is None:
        obj.fail(obj.say("还没有设置场所，请先运行 dengji init", "no venue set up yet: run `dengji init` first"))
    result = asyncio.run(enroll_device(registry.store, venue, code, platform_url, ca_file))
    if isinstance(result, Problem):
        click.echo(obj.problem_text(result), err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(obj.say(f"设备已登记，设备号 {result.device_id}", f"device enrolled as {result.device_id}"))


@main.command()
@click.option("--until-empty", is_flag=True, help="Keep retrying (with backoff) until nothing is left to send.")
@click.option("--max-events", type=click.IntRange(1, 2000), default=2000, show_default=True,
              help="Most events in one batch.")
@click.pass_obj
def send(obj: Context, until_empty: bool, max_events: int) -> None:
    """Send what waits now and exit: 0 when everything sendable was accepted, 1 otherwise (with the reason)."""
    import asyncio

    from uploader import lease
    from uploader.device import NotEnrolled, load_device
    from uploader.sender import Sender, Step, send_until_idle
    from uploader.transport import Transport

    store = obj.registry().store
    try:
        device = load_device(store)
    except NotEnrolled as exc:
        obj.fail(str(exc))
    holder = lease.holder_id("send")
    if not lease.acquire(store, holder):
        click.echo(obj.say(f"另一个进程正在发送 ({lease.current_holder(store)})，稍后再试",
                           f"another process is sending ({lease.current_holder(store)}); try later"), err=True)
        sys.exit(EXIT_REFUSED)

    async def go() -> Step:
        async with Transport(device.platform_url, device.ca_file) as transport:
            return await send_until_idle(Sender(store, device, transport, max_events=max_events),
                                         keep_trying=until_empty)

    try:
        step = asyncio.run(go())
    finally:
        lease.release(store, holder)
    counts = obj.registry().outbox_counts()
    say = obj.say
    click.echo(say(f"已发送 {counts['sent']}，被退回 {counts['rejected']}，待发送 {counts['pending'] + counts['in_flight']}",
                   f"sent {counts['sent']}, rejected {counts['rejected']}, "
                   f"waiting {counts['pending'] + counts['in_flight']}"))
    if step.kind != "idle":
        problem = step.problem
        click.echo(obj.problem_text(problem) if problem else say("发送未完成", "sending did not finish"), err=True)
        sys.exit(EXIT_REFUSED)
    if counts["rejected"]:
        click.echo(say("有记录被平台退回，请查看并更正 (dengji list)", "some records were rejected by the platform: "
                       "review and correct them"), err=True)
        sys.exit(EXIT_REFUSED)


@main.group()
def agent() -> None:
    """The unattended uploader (run it as a service)."""


@agent.command("run")
@click.option("--send-interval", type=float, default=None,
              help="Seconds between scheduled sends. Default: 60 for hotels and overnight venues, 900 otherwise.")
@click.option("--watch-interval", type=float, default=3.0, show_default=True,
              help="Seconds between looks for registrations made by other processes.")
@click.option("--max-events", type=click.IntRange(1, 2000), default=2000, show_default=True,
              help="Most events in one batch.")
@click.pass_obj
def agent_run(obj: Context, send_interval: float | None, watch_interval: float, max_events: int) -> None:
    """Run the uploader until stopped (SIGTERM/SIGINT): send the backlog, then new events as they come."""
    import asyncio

    from agent.logs import configure_logging
    from uploader.daemon import Daemon, DaemonSettings
    from uploader.device import NotEnrolled

    store = obj.store()
    configure_logging(obj.home)
    try:
        code = asyncio.run(Daemon(store, DaemonSettings(send_interval, watch_interval, max_events=max_events)).run())
    except NotEnrolled as exc:
        obj.fail(str(exc))
    sys.exit(code)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report, but register nothing.")
@click.pass_obj
def import_(obj: Context, file: str, dry_run: bool) -> None:
    """Register people from a CSV or XLSX sheet (columns named in Chinese or English).

    Prints a report per row; a refused row writes nothing, the others are registered.
    Exit status 1 if any row was refused.
    """
    from agent.importer import SheetError, import_file

    registry = obj.registry()
    try:
        with click.progressbar(length=0, label=obj.say("导入中", "importing"), file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            report = import_file(registry, Path(file), dry_run=dry_run, progress=progress)
    except SheetError as exc:
        obj.fail(str(exc))
    for line in report.lines(obj.say.lang):
        click.echo(line)
    if report.refused:
        sys.exit(EXIT_REFUSED)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--from", "date_from", default=None, help="First arrival day to include (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Last arrival day to include (YYYY-MM-DD).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write. Default: register-<today>.<format> in the current directory.")
@click.pass_obj
def export(obj: Context, fmt: str, date_from: str | None, date_to: str | None, output: str | None) -> None:
    """Write the register (the book a police inspector asks to see) to CSV or XLSX."""
    from agent.export import ExportError, write_register

    target = Path(output or f"register-{date.today().isoformat()}.{fmt}")
    try:
        count = write_register(obj.registry(), target, fmt, _parse_day(date_from), _parse_day(date_to))
    except ExportError as exc:
        obj.fail(str(exc))
    click.echo(obj.say(f"已导出 {count} 条登记到 {target}", f"exported {count} registrations to {target}"))


@main.command()
@click.option("--no-tui", is_flag=True, help="Print the walk-through and upload, without opening the TUI.")
@click.option("--keep", is_flag=True, help="Keep the throwaway home and platform database afterwards.")
@click.pass_obj
def demo(obj: Context, no_tui: bool, keep: bool) -> None:
    """Try dengji safely: a reference platform on 127.0.0.1, a sample hotel and guests, then the TUI.

    Everything lives in a temporary directory; your real data is never touched.
    """
    from agent.demo import run_demo

    home = run_demo(obj.say, open_tui=not no_tui and sys.stdin.isatty() and sys.stdout.isatty(), keep=keep)
    if keep:
        click.echo(obj.say(f"演示数据保留在 {home}", f"the demo's data is kept in {home}"))
