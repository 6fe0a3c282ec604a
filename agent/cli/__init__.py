"""`dengji`: the venue agent's command line, and the composition root that wires the parts together.

Heavy parts (the store, SQLModel, the TUI, the uploader) are imported inside the commands that use them,
so `dengji --help` answers at once. Exit status: 0 done, 1 some record refused or a check failed,
2 the command could not run (bad input file, no store, wrong usage), 3 `dengji doctor` found warnings only.

Who acts: once the store has operator accounts (`agent.duties.operators`), every command that reads or changes
the register needs `--operator NAME` (or `DENGJI_OPERATOR`) and that operator's PIN, from `DENGJI_PIN` or
a prompt; the login and everything done after it are entered in the audit trail under that name.
Commands that act for the system (`status`, `send`, `agent run`) or reveal nothing personal (`audit`,
`purge --dry-run`, `doctor`) need none.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from agent import __version__
from agent.home.config import Config, ConfigError, load_config, resolve_home, save_config
from agent.domain import CHINA_TIME, VenueKind
from agent.domain.language import Say, detect_lang

if TYPE_CHECKING:
    from agent.duties.operators import Operator
    from agent.register.registry import Registry
    from agent.store.database import Store
    from agent.validation import Problem

EXIT_REFUSED = 1
EXIT_UNUSABLE = 2


@dataclass
class Context:
    """What every command gets: the home, the language, who acts, and a way to open the register."""

    home: Path
    say: Say
    operator: str | None = None  # --operator / DENGJI_OPERATOR: who logs in, once the store has accounts
    desk_operator: str = "owner"  # config `operator`: who works at this desk, named by every event it makes
    acting: Operator | None = None  # the operator whose PIN was checked, once accounts exist
    _registry: Registry | None = None
    _store: Store | None = None

    def fail(self, message: str) -> NoReturn:
        click.echo(message, err=True)
        sys.exit(EXIT_UNUSABLE)

    def refuse(self, message: str) -> NoReturn:
        click.echo(message, err=True)
        sys.exit(EXIT_REFUSED)

    def registry(self, *, create: bool = False, system: bool = False, bootstrap: bool = False) -> Registry:
        """Open the store and the register (once per command), acting as the logged-in operator.

        `system`: the command acts for the system and needs no operator (status, sending, checks).
        `bootstrap`: the command may make the first account, so a store without any is no error even
        with `--operator` given.
        """
        if self._registry is None:
            from agent.duties.operators import SYSTEM, has_operators
            from agent.register.registry import Registry
            from agent.forms.templates import TemplateError, check_templates

            try:
                check_templates()
            except TemplateError as exc:
                self.fail(str(exc))
            store = self.store(create=create)
            if system:
                self._registry = Registry(store, operator=SYSTEM)
            elif has_operators(store):
                self._registry = Registry(store, operator=self._log_in(store).name)
            else:
                if self.operator and not bootstrap:
                    self.fail(self.say(
                        "这个登记库还没有操作员账号：先用 dengji operator add 名字 --owner 建立店主，或去掉 --operator",
                        "this store has no operator accounts yet: create the owner with "
                        "`dengji operator add NAME --owner`, or leave out --operator"))
                self._registry = Registry(store, operator=self.desk_operator)
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

    def _log_in(self, store: Store) -> Operator:
        """Check the operator's PIN (a wrong one is counted and audited by the agent)."""
        from agent.duties.operators import authenticate

        if not self.operator:
            self.fail(self.say("本登记库已启用操作员账号：请用 --operator 名字（或 DENGJI_OPERATOR）说明由谁操作",
                               "this store has operator accounts: say who acts with --operator NAME "
                               "(or DENGJI_OPERATOR)"))
        login = authenticate(store, self.operator, self.pin(self.say(f"{self.operator} 的操作密码",
                                                                       f"PIN of {self.operator}")))
        if login.operator is None:
            assert login.problem is not None
            self.refuse(login.problem.text(self.say.lang))
        self.acting = login.operator
        return login.operator

    def pin(self, label: str, *, new: bool = False) -> str:
        """A PIN from `DENGJI_PIN` (`DENGJI_NEW_PIN` for one being set) or, at a terminal, a prompt."""
        variable = "DENGJI_NEW_PIN" if new else "DENGJI_PIN"
        value = os.environ.get(variable)
        if value:
            return value
        if not sys.stdin.isatty():
            self.fail(self.say(f"请在环境变量 {variable} 中给出密码（没有终端可以输入）",
                               f"give the PIN in {variable}: there is no terminal to type it at"))
        return click.prompt(label, hide_input=True, confirmation_prompt=new, err=True)

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


def _local_time(iso: str) -> str:
    """An ISO 8601 moment as China time, `2026-11-25 14:30`; what cannot be read is shown as it is."""
    try:
        return datetime.fromisoformat(iso).astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


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
@click.option("--operator", envvar="DENGJI_OPERATOR", default=None,
              help="Who acts (once the store has operator accounts); the PIN comes from $DENGJI_PIN or a prompt.")
@click.version_option(__version__, prog_name="dengji")
@click.pass_context
def main(ctx: click.Context, home: str | None, lang: str | None, operator: str | None) -> None:
    """登记 dengji: register tenants, guests and staff, and report them to the platform.

    Run a command below; `dengji COMMAND --help` explains each one.
    """
    resolved = resolve_home(home)
    try:
        config = load_config(resolved)
    except ConfigError as exc:
        if ctx.invoked_subcommand != "doctor":  # doctor reports a broken config as one of its checks
            click.echo(str(exc), err=True)
            sys.exit(EXIT_UNUSABLE)
        config = Config()
    ctx.obj = Context(resolved, Say(detect_lang(lang, config.lang)), operator or None, config.operator_name)
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


@main.command()
@click.pass_obj
def tui(obj: Context) -> None:
    """Open the terminal UI (also what `dengji` alone does). First run: a setup wizard."""
    from agent.home.config import DATABASE_FILE

    if not sys.stdin.isatty() or not sys.stdout.isatty():
        obj.fail(obj.say("终端界面需要在终端中运行；命令行用法见 dengji --help",
                         "the terminal UI needs a terminal; see `dengji --help` for the commands"))
    launch_tui(obj.home, obj.say.lang, has_store=(obj.home / DATABASE_FILE).exists()
               or bool(load_config(obj.home).database_url))


def launch_tui(home: Path, lang: str, *, has_store: bool) -> None:
    """Wire the TUI to the register and to an in-process uploader (the composition root's one job)."""
    from tui.app import run_tui

    def open_registry() -> Registry | None:
        from agent.register.registry import Registry
        from agent.store.opening import open_store
        from agent.forms.templates import check_templates

        check_templates()  # a broken form file stops the agent with its file, field and problem named
        return Registry(open_store(home), operator=load_config(home).operator_name) if has_store else None

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
@click.option("--owner", "owner", default=None, metavar="NAME",
              help="Create the first operator account, an owner, under this name (PIN from $DENGJI_NEW_PIN "
                   "or a prompt). From then on every command needs --operator and a PIN.")
@click.option("--database-url", default=None, metavar="postgresql://USER:PASSWORD@HOST/DB",
              help="Keep the store in PostgreSQL, for a site with several desks (this is the first desk; "
                   "the others use `dengji join`). Default: a SQLite file in the data directory.")
@click.option("--desk-operator", default=None,
              help="Who works at this desk (kept in config.toml); every registration made here names them, "
                   "while the store has no operator accounts.")
@click.pass_obj
def init(obj: Context, kind: str, name: str, address: str | None, police_station: str | None,
         agreement_no: str | None, rental_filing_no: str | None, credit_code: str | None, owner: str | None,
         database_url: str | None, desk_operator: str | None) -> None:
    """Set up this venue: create the data directory, the encrypted store and the venue's details."""
    from agent.home.config import DATABASE_FILE
    from agent.duties.operators import OperatorError, add_operator, check_name
    from agent.duties.pin import check_new_pin
    from agent.store.models import Venue
    from agent.validation.venue import VenueDetails, check_venue

    say = obj.say
    details, problems = check_venue(VenueDetails(VenueKind(kind), name, address, police_station, agreement_no,
                                                 rental_filing_no, credit_code))
    owner_pin = None
    if owner is not None:
        owner_pin = obj.pin(say(f"店主 {owner} 的操作密码（4-8位数字）", f"PIN for the owner {owner} (4-8 digits)"),
                            new=True)
        problems += [p for p in (check_name(owner), check_new_pin(owner_pin)) if p is not None]
    if problems:
        obj.fail("\n".join(obj.problem_text(p) for p in problems))
    config = load_config(obj.home)
    if database_url and database_url != config.database_url:
        if (obj.home / DATABASE_FILE).exists() or config.database_url:
            obj.fail(say(f"{obj.home} 里已经有登记库，不能改用另一个数据库。请用一个新的数据目录 (--home)",
                         f"{obj.home} already holds a store: it cannot move to another database; "
                         "use a new data directory (--home DIR)"))
        config.database_url = database_url
    if desk_operator is not None:
        config.operator = _checked_operator(obj, desk_operator)
        obj.desk_operator = config.operator_name
    if database_url or desk_operator is not None:
        save_config(obj.home, config)
    registry = obj.registry(create=True, bootstrap=owner is not None)
    if owner is not None:
        assert owner_pin is not None
        try:
            add_operator(registry.store, owner, "owner", owner_pin, actor=obj.acting.name if obj.acting else None)
        except OperatorError as exc:
            obj.refuse(obj.problem_text(exc.problem))
        if obj.acting is None:
            registry.operator = owner  # the new owner sets the venue up
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
    if owner is not None:
        click.echo(say(f"店主账号已建立: {owner}。此后每个命令都需要 --operator 和密码",
                       f"owner account created: {owner}. From now on every command needs --operator and a PIN"))


def _checked_operator(obj: Context, name: str) -> str:
    from agent.home.config import operator_problem

    problem = operator_problem(name.strip())
    if problem:
        obj.fail(problem)
    return name.strip()


def _transfer_passphrase(obj: Context, *, confirm: bool) -> str:
    """The transfer file's passphrase: from $DENGJI_TRANSFER_PASSPHRASE, else asked at the terminal."""
    import os

    from agent.secrets.keytransfer import PASSPHRASE_ENV

    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        obj.fail(obj.say(f"请设置环境变量 {PASSPHRASE_ENV}（密钥转移口令），或在终端中运行",
                         f"set {PASSPHRASE_ENV} (the transfer passphrase), or run this at a terminal"))
    return click.prompt(obj.say("密钥转移口令", "transfer passphrase"), hide_input=True,
                        confirmation_prompt=confirm, err=True)


@main.command()
@click.argument("database_url", metavar="DATABASE_URL")
@click.option("--keys", "keys_file", required=True, type=click.Path(dir_okay=False),
              help="The transfer file made by `dengji keys export` on a desk of the site.")
@click.option("--desk-operator", default=None,
              help="Who works at this desk (kept in config.toml); every registration made here names them, "
                   "while the store has no operator accounts.")
@click.pass_obj
def join(obj: Context, database_url: str, keys_file: str, desk_operator: str | None) -> None:
    """Add this computer as another desk of a site whose store is in PostgreSQL.

    On a desk that has the key, first run `dengji keys export FILE`; bring FILE here, then run
    `dengji join postgresql://USER:PASSWORD@HOST/DB --keys FILE`. The transfer passphrase comes from
    $DENGJI_TRANSFER_PASSPHRASE or a prompt. Delete FILE afterwards.
    """
    from agent.secrets.keytransfer import TransferError, read_transfer
    from agent.store.database import StoreError
    from agent.store.opening import join_site

    say = obj.say
    name = _checked_operator(obj, desk_operator) if desk_operator is not None else None
    try:
        master_key = read_transfer(Path(keys_file), _transfer_passphrase(obj, confirm=False))
        store = join_site(obj.home, database_url, master_key,
                          prompt=_prompt_passphrase if sys.stdin.isatty() else None)
    except (TransferError, StoreError, ConfigError) as exc:
        obj.fail(str(exc))
    if name is not None:
        config = load_config(obj.home)
        config.operator = name
        save_config(obj.home, config)
    from agent.register.registry import Registry

    venue = Registry(store).venue()
    store.dispose()
    venue_name = venue.name if venue else "?"
    click.echo(say(f"本机已加入场所 {venue_name}，数据目录 {obj.home}。可以删除密钥转移文件 {keys_file}",
                   f"this desk joined {venue_name}, data directory {obj.home}. "
                   f"You can delete the transfer file {keys_file} now"))


@main.group()
def keys() -> None:
    """The site's key: carry it to another desk."""


@keys.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_obj
def keys_export(obj: Context, file: str) -> None:
    """Write the site's master key to FILE, sealed under a transfer passphrase, for `dengji join`.

    Anyone with FILE and its passphrase can read the register: carry it yourself, delete it after the
    new desk has joined. The passphrase comes from $DENGJI_TRANSFER_PASSPHRASE or a prompt.
    """
    from agent.secrets.keytransfer import TransferError, write_transfer
    from agent.secrets.keystore import MASTER_KEY_NAME

    store = obj.registry().store
    assert store.keystore is not None
    master_key = store.keystore.get(MASTER_KEY_NAME)
    assert master_key is not None  # open_store refuses a store without its key
    try:
        write_transfer(Path(file), _transfer_passphrase(obj, confirm=True), master_key)
    except TransferError as exc:
        obj.fail(str(exc))
    click.echo(obj.say(f"密钥已写入 {file}。在新前台运行 dengji join 数据库地址 --keys {file}，然后删除该文件",
                       f"key written to {file}. On the new desk run `dengji join DATABASE_URL --keys {file}`, "
                       "then delete the file"))


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
    from agent.register.delivery import delivery_state

    state = delivery_state(obj.store())
    if as_json:
        click.echo(json.dumps({
            "pending": state.pending, "in_flight": state.in_flight, "sent": state.sent,
            "rejected": state.rejected, "quarantined": state.quarantined, "superseded": state.superseded,
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
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_obj
def doctor(obj: Context, as_json: bool) -> None:
    """Check this installation and say what to do: config, keys, database, disk, platform, clock, backlog.

    Each check is OK, WARN or FAIL. Nothing is changed and nothing is sent. Exit status: 0 all OK,
    3 warnings only, 1 at least one check failed.
    """
    from agent.ops.doctor import TITLES, Status, diagnose, exit_status
    from uploader.probe import look_at_platform

    checks = diagnose(obj.home, look_at_platform=look_at_platform,
                      keystore_prompt=_prompt_passphrase if sys.stdin.isatty() else None)
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
    from agent.ops.backup import read_passphrase

    def ask() -> str:
        return click.prompt(say("备份口令", "backup passphrase"), hide_input=True, confirmation_prompt=confirm,
                            err=True)

    return read_passphrase(ask if sys.stdin.isatty() else None)


@main.command()
@click.argument("target", required=False, type=click.Path(path_type=Path))
@click.pass_obj
def backup(obj: Context, target: Path | None) -> None:
    """Write an encrypted, verified backup of the register and its keys to TARGET (a file or a folder).

    The backup passphrase comes from $DENGJI_BACKUP_PASSPHRASE or is asked for (never on the command
    line). Keep the file and the passphrase apart: with both, anyone can read the register.
    Default TARGET: dengji-<date>-<time>.dengji-backup in the current folder.
    """
    from agent.ops.backup import default_name, describe, make_backup
    from agent.ops.backup_file import BackupError

    import hashlib

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
                             keystore_prompt=_prompt_passphrase if sys.stdin.isatty() else None, progress=progress)
    except BackupError as exc:
        progress.close()
        obj.fail(exc.problem.text(say.lang))
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


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing store (it is kept in HOME/backups/ first).")
@click.pass_obj
def restore(obj: Context, source: Path, force: bool) -> None:
    """Restore a backup made by `dengji backup` into this home: the register and its keys.

    Verifies the whole file before changing anything. Refuses to replace an existing store without
    --force. The backup passphrase comes from $DENGJI_BACKUP_PASSPHRASE or is asked for. Stop the
    uploader service and close the TUI first.
    """
    from agent.ops.backup import describe, restore_backup
    from agent.ops.backup_file import BackupError

    say = obj.say
    progress = _StageBar(say)
    try:
        passphrase = _backup_passphrase(say, confirm=False)
        report = restore_backup(obj.home, source, passphrase, force=force,
                                keystore_prompt=_prompt_passphrase if sys.stdin.isatty() else None, progress=progress)
    except BackupError as exc:
        progress.close()
        obj.fail(exc.problem.text(say.lang))
    progress.close()
    figures = describe(report.inspection)
    made = _local_time(report.created_at)
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


@main.command()
@click.argument("code")
@click.option("--platform", "platform_url", required=True, help="The platform's address, e.g. https://platform.example.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="PEM file of the CA that signed the platform's certificate, if not a public one.")
@click.pass_obj
def enroll(obj: Context, code: str, platform_url: str, ca_file: str | None) -> None:
    """Enroll this device with the platform, using the one-time code from the police station."""
    import asyncio

    from agent.store.audit import SETTING
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
    registry.record_action(SETTING, detail={"name": "platform_url", "value": platform_url})
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

    store = obj.store()
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
        click.echo(say("有记录被平台退回，请查看并更正 (dengji rejected)", "some records were rejected by the "
                       "platform: review and correct them (dengji rejected)"), err=True)
        sys.exit(EXIT_REFUSED)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows (each with its number for correct/resend).")
@click.pass_obj
def rejected(obj: Context, as_json: bool) -> None:
    """List what the platform rejected and why, until it is corrected (dengji correct) or resent (dengji resend)."""
    rows = obj.registry().rejections()
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    say = obj.say
    if not rows:
        click.echo(say("没有被退回的记录", "nothing was rejected"))
        return
    for r in rows:
        who = " ".join(part for part in (r.unit, r.name) if part)
        click.echo(f"#{r.seq}  {r.type}  {say('登记号', 'registration')} {r.registration_id or '-'}  {who}")
        click.echo(f"      {r.code}: {r.reason(say.lang)}")
    click.echo(say(f"共 {len(rows)} 条。更正: dengji correct 编号 --json 文件；原样重报: dengji resend 编号",
                   f"{len(rows)} in all. Correct: dengji correct NUMBER --json FILE; send unchanged: "
                   "dengji resend NUMBER"))


@main.command()
@click.argument("number", type=int)
@click.option("--json", "source", default=None, metavar="FILE|-",
              help="The corrected registration (as for `dengji register`), for a rejected registration.")
@click.option("--departed-at", default=None, help="The corrected departure time, for a rejected departure.")
@click.pass_obj
def correct(obj: Context, number: int, source: str | None, departed_at: str | None) -> None:
    """Correct a rejected record (NUMBER from `dengji rejected`); the correction is sent as a new event.

    `dengji rejected --json` shows what was sent; edit it and pass it with --json. Exit status 1 if the
    correction is refused (nothing is written then).
    """
    if (source is None) == (departed_at is None):
        raise click.UsageError(obj.say("请给出 --json（更正登记）或 --departed-at（更正离开时间）之一",
                                       "give one of --json (a registration) or --departed-at (a departure)"))
    payload = {"departed_at": departed_at} if departed_at is not None else _read_json(source or "-")
    if not isinstance(payload, dict):
        obj.fail(obj.say("更正内容应为一个 JSON 对象", "the correction must be one JSON object"))
    outcome = obj.registry().correct(number, payload)
    _report_correction(obj, number, outcome)


@main.command()
@click.argument("number", type=int)
@click.pass_obj
def resend(obj: Context, number: int) -> None:
    """Send a rejected record again unchanged, once its cause was put right elsewhere (e.g. the unit filed)."""
    _report_correction(obj, number, obj.registry().resend(number))


def _report_correction(obj: Context, number: int, outcome: Any) -> None:
    if not outcome.ok:
        click.echo("; ".join(obj.problem_text(p) for p in outcome.problems), err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(obj.say(f"#{number} 已更正，将重新上报（登记号 {outcome.registration_id}）",
                       f"#{number} corrected; it will be sent again (registration {outcome.registration_id})"))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the reminders as JSON.")
@click.pass_obj
def reminders(obj: Context, as_json: bool) -> None:
    """Show the venue's duties that are due: permits to apply for, leases ended, stays overdue, records
    rejected and not corrected, reports late. Exit status 0 whether or not any are due."""
    from datetime import UTC

    from agent.duties.reminders import due_reminders

    due = due_reminders(obj.registry().store, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in due], ensure_ascii=False, indent=2))
        return
    if not due:
        click.echo(obj.say("没有到期的提醒", "no reminders due"))
    for reminder in due:
        click.echo(f"[{reminder.code}] {reminder.text(obj.say.lang)}")


@main.command("permit-check")
@click.argument("registration_id", type=int)
@click.option("--permit", "permit_number", default=None,
              help="The residence permit number on the card. Default: the number recorded at registration.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_obj
def permit_check(obj: Context, registration_id: int, permit_number: str | None, as_json: bool) -> None:
    """Ask the platform whether a registered person's residence permit (居住证) is valid (一证通).

    The answer is kept with the registration. Exit status 0 for a valid permit, 1 for any other answer
    or when the platform could not be asked.
    """
    import asyncio

    from agent.validation import Problem
    from uploader.permit_check import check_permit

    registry = obj.registry()
    result = asyncio.run(check_permit(registry.store, registration_id, permit_number, registry.operator))
    if isinstance(result, Problem):
        click.echo(obj.problem_text(result), err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False) if as_json else result.text(obj.say.lang))
    if not result.valid:
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
@click.option("--duties-interval", type=click.FloatRange(0.01), default=600, show_default=True,
              help="Seconds between looks at the venue's duties: the daily no-arrivals report, reminders.")
@click.option("--lease-seconds", type=click.FloatRange(1, 3600), default=30, show_default=True,
              help="How long a sender that died keeps the others waiting. Use the same value at every desk.")
@click.pass_obj
def agent_run(obj: Context, send_interval: float | None, watch_interval: float, max_events: int,
              duties_interval: float, lease_seconds: float) -> None:
    """Run the uploader until stopped (SIGTERM/SIGINT): send the backlog, then new events as they come.

    Every desk of a site may run one: one sends, the others wait and take over if it stops.
    """
    import asyncio
    from datetime import timedelta

    from agent.ops.logs import configure_logging
    from uploader.daemon import Daemon, DaemonSettings
    from uploader.device import NotEnrolled

    store = obj.store()
    configure_logging(obj.home)
    settings = DaemonSettings(send_interval, watch_interval, max_events=max_events, duties_interval=duties_interval,
                              lease_ttl=timedelta(seconds=lease_seconds))
    try:
        code = asyncio.run(Daemon(store, settings).run())
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
    from agent.sheets.importer import SheetError, import_file

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
    from agent.sheets.export import ExportError, write_register

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
    from agent.cli.demo import run_demo

    if getattr(sys, "frozen", False):
        obj.fail(obj.say("演示需要参考平台 dengji-receiver，场所版程序中没有它；请从源码运行 python3 dev.py start",
                         "the demo needs the reference platform (dengji-receiver), which the venue binary does "
                         "not include: run it from source with `python3 dev.py start`"))
    home = run_demo(obj.say, open_tui=not no_tui and sys.stdin.isatty() and sys.stdout.isatty(), keep=keep)
    if keep:
        click.echo(obj.say(f"演示数据保留在 {home}", f"the demo's data is kept in {home}"))


@main.group()
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

    platform = svc.Platform(platform_name) if platform_name else svc.this_platform()
    if platform is not svc.this_platform() and root is None and not show_only:
        raise svc.ServiceError("为其他系统写服务时请用 --print 或 --root (for another system, use --print or --root)")
    program = exe or str(svc.current_program())
    return svc.Target(platform, svc.Scope(scope) if scope else svc.default_scope(platform), program, obj.home,
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
        obj.fail(str(exc))
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
        obj.fail(str(exc))
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
        obj.fail(str(exc))
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
# -- the venue's duties: operators, the audit trail, retention (docs/duties.md) -----------------------


@main.group()
def operator() -> None:
    """Operator accounts: each with a PIN, each action attributed. Owners manage them."""


@operator.command("add")
@click.argument("name")
@click.option("--owner", "as_owner", is_flag=True, help="An owner (may manage accounts), not a clerk.")
@click.pass_obj
def operator_add(obj: Context, name: str, as_owner: bool) -> None:
    """Create an account; its PIN comes from $DENGJI_NEW_PIN or a prompt (typed twice).

    The first account of a store must be an owner and needs no --operator; later ones need an owner's.
    """
    from agent.duties.operators import OperatorError, add_operator

    registry = obj.registry(bootstrap=True)
    pin = obj.pin(obj.say(f"{name} 的新操作密码（4-8位数字）", f"new PIN for {name} (4-8 digits)"), new=True)
    role = "owner" if as_owner else "clerk"
    try:
        add_operator(registry.store, name, role, pin, actor=obj.acting.name if obj.acting else None)
    except OperatorError as exc:
        obj.refuse(obj.problem_text(exc.problem))
    click.echo(obj.say(f"已建立操作员 {name}（{'店主' if as_owner else '操作员'}）",
                       f"operator {name} created ({role})"))


@operator.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows.")
@click.pass_obj
def operator_list(obj: Context, as_json: bool) -> None:
    """List the active accounts, with their role and whether wrong PINs have locked them."""
    from datetime import UTC

    from agent.duties.operators import list_operators

    rows = list_operators(obj.registry().store)
    if as_json:
        click.echo(json.dumps([{"name": o.name, "role": o.role, "created_at": o.created_at.isoformat(),
                                "failed_attempts": o.failed_attempts,
                                "locked_until": o.locked_until.isoformat() if o.locked_until else None}
                               for o in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(obj.say("还没有操作员账号", "no operator accounts yet"))
    now = datetime.now(UTC)
    for o in rows:
        locked = o.locked_until is not None and o.locked_until > now
        note = obj.say(f"  （锁定至 {o.locked_until.astimezone(CHINA_TIME):%H:%M:%S}）",
                       f"  (locked until {o.locked_until.astimezone(CHINA_TIME):%H:%M:%S})") if locked and o.locked_until else ""
        click.echo(f"{o.name}  {o.role}  {o.created_at.astimezone(CHINA_TIME):%Y-%m-%d}{note}")


@operator.command("remove")
@click.argument("name")
@click.pass_obj
def operator_remove(obj: Context, name: str) -> None:
    """Retire an account (owners only). Its name stays in the trail and is never given to another."""
    from agent.duties.operators import OperatorError, remove_operator

    registry = obj.registry()
    try:
        remove_operator(registry.store, name, actor=registry.operator)
    except OperatorError as exc:
        obj.refuse(obj.problem_text(exc.problem))
    click.echo(obj.say(f"已删除操作员 {name}", f"operator {name} removed"))


@operator.command("set-pin")
@click.argument("name")
@click.pass_obj
def operator_set_pin(obj: Context, name: str) -> None:
    """Set a new PIN: your own, or (owners) anyone's - which also ends a lock-out after wrong PINs."""
    from agent.duties.operators import OperatorError, set_pin

    registry = obj.registry()
    pin = obj.pin(obj.say(f"{name} 的新操作密码（4-8位数字）", f"new PIN for {name} (4-8 digits)"), new=True)
    try:
        set_pin(registry.store, name, pin, actor=registry.operator)
    except OperatorError as exc:
        obj.refuse(obj.problem_text(exc.problem))
    click.echo(obj.say(f"{name} 的密码已更改", f"the PIN of {name} was changed"))


@main.group("audit")
def audit_group() -> None:
    """The audit trail: who did what and when, hash-chained. Holds no personal data."""


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise click.BadParameter(f"应为 序号:哈希，如 1234:9f2c…（64位） (expected SEQ:HASH as printed by verify): {value!r}")
    return int(seq), digest.lower()


@audit_group.command("verify")
@click.option("--anchor", default=None, metavar="SEQ:HASH",
              help="An entry's number and hash written down earlier: it must still be in the chain.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.pass_obj
def audit_verify(obj: Context, anchor: str | None, as_json: bool) -> None:
    """Prove the trail is intact: exit 0, or 1 naming the first entry that was altered or removed."""
    from agent.store.audit import verify

    verdict = verify(obj.store(), _anchor(anchor))
    say = obj.say
    if as_json:
        broken = verdict.broken
        click.echo(json.dumps({"intact": verdict.intact, "entries": verdict.count, "head_seq": verdict.head_seq,
                               "head_hash": verdict.head_hash,
                               "broken": {"seq": broken.seq, "zh": broken.zh, "en": broken.en} if broken else None,
                               "warnings": [say(zh, en) for zh, en in verdict.warnings]}, ensure_ascii=False))
    else:
        for zh, en in verdict.warnings:
            click.echo(say(f"注意: {zh}", f"note: {en}"), err=True)
        if verdict.broken is not None:
            click.echo(say(f"审计日志已被改动: {verdict.broken.zh}", f"the audit log was altered: {verdict.broken.en}"),
                       err=True)
        else:
            click.echo(say(f"审计日志完好: {verdict.count} 条记录。最新一条 {verdict.head_seq}:{verdict.head_hash}"
                           "（请抄下，以后用 --anchor 核对）",
                           f"the audit log is intact: {verdict.count} entries. Newest {verdict.head_seq}:"
                           f"{verdict.head_hash} (write it down; check it later with --anchor)"))
    if not verdict.intact:
        sys.exit(EXIT_REFUSED)


@audit_group.command("list")
@click.option("--last", type=click.IntRange(1), default=50, show_default=True, help="How many of the newest entries.")
@click.option("--registration", "registration_id", type=int, default=None,
              help="Every entry of one registration instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows.")
@click.pass_obj
def audit_list(obj: Context, last: int, registration_id: int | None, as_json: bool) -> None:
    """Show entries, oldest first: number, time, operator, action, registration, details."""
    from agent.store.audit import entries

    store = obj.store()
    rows = entries(store, registration_id=registration_id) if registration_id is not None else entries(store, last=last)
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in rows], ensure_ascii=False, indent=2))
        return
    for e in rows:
        reg = f"#{e.registration_id}" if e.registration_id is not None else "-"
        click.echo(f"{e.seq}  {e.at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}  {e.operator}  {e.action}  {reg}"
                   + (f"  {e.detail}" if e.detail else ""))


@main.command()
@click.argument("days", type=int, required=False)
@click.pass_obj
def retention(obj: Context, days: int | None) -> None:
    """Show the retention period, or set it to DAYS (30-3650; owners only, audited).

    Personal data of people who left more than this long ago, and whose every event the platform
    confirmed, is erased by the daily purge.
    """
    from agent.duties.operators import OperatorError
    from agent.duties.retention import RetentionError, retention_days, set_retention_days

    if days is None:
        current = retention_days(obj.store())
        click.echo(obj.say(f"保存期限: {current} 天", f"retention period: {current} days"))
        return
    registry = obj.registry()
    try:
        set_retention_days(registry.store, days, operator=registry.operator)
    except (RetentionError, OperatorError) as exc:
        obj.refuse(obj.problem_text(exc.problem))
    click.echo(obj.say(f"保存期限已改为 {days} 天", f"retention period set to {days} days"))


@main.command()
@click.option("--dry-run", is_flag=True, help="Only count what would be erased (needs no operator).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
def purge(obj: Context, dry_run: bool, as_json: bool) -> None:
    """Erase the personal data the retention period no longer allows keeping (the daemon does it daily).

    Only people who left more than the period ago and whose every event the platform confirmed; rows,
    counts and the audit trail stay.
    """
    from agent.duties.retention import plan, purge as run_purge

    if dry_run:
        done = plan(obj.store())
    else:
        registry = obj.registry()
        done = run_purge(registry.store, operator=registry.operator)
    if as_json:
        click.echo(json.dumps({**done.as_dict(), "dry_run": dry_run}, ensure_ascii=False))
        return
    say = obj.say
    verb = say("将清除", "would erase") if dry_run else say("已清除", "erased")
    click.echo(say(f"保存期限 {done.days} 天（{done.cutoff.astimezone(CHINA_TIME):%Y-%m-%d} 之前离开的）：{verb} "
                   f"{len(done.registrations)} 条登记、{done.people} 人的个人信息、{done.events} 个事件的内容",
                   f"retention {done.days} days (left before {done.cutoff.astimezone(CHINA_TIME):%Y-%m-%d}): {verb} "
                   f"{len(done.registrations)} registrations, the personal data of {done.people} people, "
                   f"the content of {done.events} events"))
    if done.waiting:
        click.echo(say(f"另有 {done.waiting} 条登记已过期限，但还有事件未经平台确认，暂不清除",
                       f"{done.waiting} more are past the period but wait for the platform to confirm "
                       "their events: kept"))
