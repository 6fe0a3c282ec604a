"""Setting a venue up: `init`, `join` (another desk), `keys export`, `enroll` with the platform."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from agent.cli.context import EXIT_REFUSED, Context, ask_new_passphrase, prompt_passphrase
from agent.domain import VenueKind, VenueSubtype
from agent.domain.errors import ConfigError
from agent.home.config import ensure_config, load_config, save_config


@click.command()
@click.option("--kind", required=True, type=click.Choice([k.value for k in VenueKind]),
              help="rental (landlord), hotel, overnight (internet café, bathhouse), employer.")
@click.option("--subtype", default=None, type=click.Choice([s.value for s in VenueSubtype]),
              help="An overnight venue's type: internet_cafe (admits no minor), bathhouse, club.")
@click.option("--jurisdiction", default=None, metavar="NAME",
              help="Whose local rules apply (a policy file beside the forms: national, zhengzhou). "
                   "Default: from the address's region, else national.")
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
def init(obj: Context, kind: str, subtype: str | None, jurisdiction: str | None, name: str, address: str | None,
         police_station: str | None,
         agreement_no: str | None, rental_filing_no: str | None, credit_code: str | None, owner: str | None,
         database_url: str | None, desk_operator: str | None) -> None:
    """Set up this venue: create the data directory, the encrypted store and the venue's details."""
    from agent.domain.errors import OperatorError
    from agent.duties.operators import add_operator, check_name
    from agent.home.config import has_store
    from agent.validation.pin import check_new_pin
    from agent.validation.venue import VenueDetails, check_venue

    say = obj.say
    details, problems = check_venue(VenueDetails(VenueKind(kind), name, address, police_station, agreement_no,
                                                 rental_filing_no, credit_code, subtype, jurisdiction))
    owner_pin = None
    if owner is not None:
        owner_pin = obj.pin(say(f"店主 {owner} 的操作密码（4-8位数字）", f"PIN for the owner {owner} (4-8 digits)"),
                            new=True)
        problems += [p for p in (check_name(owner), check_new_pin(owner_pin)) if p is not None]
    if problems:
        obj.fail("\n".join(obj.problem_text(p) for p in problems))
    config = load_config(obj.home)
    if database_url and database_url != config.database_url:
        if has_store(obj.home, config):
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
    venue = registry.set_venue(details)
    ensure_config(obj.home)
    shown = f"{kind}/{venue.subtype}" if venue.subtype else kind
    click.echo(say(f"场所已设置: {venue.name} ({shown})，数据目录 {obj.home}，适用规则: {venue.jurisdiction}",
                   f"venue set up: {venue.name} ({shown}), data directory {obj.home}, rules: {venue.jurisdiction}"))
    if owner is not None:
        click.echo(say(f"店主账号已建立: {owner}。此后每个命令都需要 --operator 和密码",
                       f"owner account created: {owner}. From now on every command needs --operator and a PIN"))


def _checked_operator(obj: Context, name: str) -> str:
    from agent.home.config import operator_problem

    problem = operator_problem(name.strip())
    if problem:
        obj.fail(problem.text(obj.say.lang))
    return name.strip()


def _transfer_passphrase(obj: Context, *, confirm: bool) -> str:
    """The transfer file's passphrase: from $DENGJI_TRANSFER_PASSPHRASE, else asked at the terminal (twice,
    with the rule, when it is being set: `confirm`)."""

    from agent.secrets.keytransfer import PASSPHRASE_ENV

    label = obj.say("密钥转移口令", "transfer passphrase")
    if confirm and not os.environ.get(PASSPHRASE_ENV) and sys.stdin.isatty():
        return ask_new_passphrase(label)
    return obj.secret(PASSPHRASE_ENV, label, confirm=False,
                      without_terminal=(f"请设置环境变量 {PASSPHRASE_ENV}（密钥转移口令），或在终端中运行",
                                        f"set {PASSPHRASE_ENV} (the transfer passphrase), or run this at a terminal"))


@click.command()
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
    from agent.domain.errors import StoreError, TransferError
    from agent.secrets.keytransfer import read_transfer
    from agent.store.opening import join_site

    say = obj.say
    name = _checked_operator(obj, desk_operator) if desk_operator is not None else None
    try:
        master_key = read_transfer(Path(keys_file), _transfer_passphrase(obj, confirm=False))
        store = join_site(obj.home, database_url, master_key,
                          prompt=prompt_passphrase if sys.stdin.isatty() else None)
    except (TransferError, StoreError, ConfigError) as exc:
        obj.fail(exc)
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


@click.group()
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
    from agent.domain.errors import TransferError
    from agent.secrets.keystore import MASTER_KEY_NAME
    from agent.secrets.keytransfer import write_transfer

    store = obj.registry().store
    assert store.keystore is not None
    master_key = store.keystore.get(MASTER_KEY_NAME)
    assert master_key is not None  # open_store refuses a store without its key
    try:
        write_transfer(Path(file), _transfer_passphrase(obj, confirm=True), master_key)
    except TransferError as exc:
        obj.fail(exc)
    click.echo(obj.say(f"密钥已写入 {file}。在新前台运行 dengji join 数据库地址 --keys {file}，然后删除该文件",
                       f"key written to {file}. On the new desk run `dengji join DATABASE_URL --keys {file}`, "
                       "then delete the file"))


@click.command()
@click.argument("code")
@click.option("--platform", "platform_url", required=True, help="The platform's address, e.g. https://platform.example.")
@click.option("--fingerprint", default=None, metavar="XXXX-XXXX-XXXX-XXXX",
              help="The platform key's fingerprint, handed over by the police station with the code; a platform "
                   "whose key has another is refused. Required unless the platform runs on this machine.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="PEM file of the CA that signed the platform's certificate, if not a public one.")
@click.pass_obj
def enroll(obj: Context, code: str, platform_url: str, fingerprint: str | None, ca_file: str | None) -> None:
    """Enroll this device with the platform, using the one-time code and the key fingerprint from the
    police station."""
    import asyncio

    from agent.validation import Problem
    from protocol.platform_url import platform_url_problem
    from uploader.enrollment import enroll as enroll_device

    problem = platform_url_problem(platform_url)  # before the store is opened or anything is sent
    if problem is not None:
        obj.fail(obj.problem_text(problem))
    registry = obj.registry()
    venue = registry.venue()
    if venue is None:
        obj.fail(obj.say("还没有设置场所，请先运行 dengji init", "no venue set up yet: run `dengji init` first"))
    result = asyncio.run(enroll_device(registry.store, venue, code, platform_url, ca_file,
                                       expected_fingerprint=fingerprint))
    if isinstance(result, Problem):
        click.echo(obj.problem_text(result), err=True)
        sys.exit(EXIT_REFUSED)
    registry.record_setting("platform_url", platform_url)
    click.echo(obj.say(f"设备已登记，设备号 {result.device_id}", f"device enrolled as {result.device_id}"))
