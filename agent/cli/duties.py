"""The venue's duties: `reminders`, `permit-check`, operator accounts, the audit trail, retention,
the purge and the suite at rest (docs/duties.md, docs/store.md).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from agent.cli.context import EXIT_REFUSED, ROW_NUMBER, Context, current_say
from agent.domain import CHINA_TIME


@click.command()
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


@click.command("permit-check")
@click.argument("registration_id", type=ROW_NUMBER)
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


# -- the venue's duties: operators, the audit trail, retention (docs/duties.md) -----------------------


@click.group()
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
    from agent.domain.errors import OperatorError
    from agent.duties.operators import add_operator

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
    from agent.domain.errors import OperatorError
    from agent.duties.operators import remove_operator

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
    from agent.domain.errors import OperatorError
    from agent.duties.operators import set_pin

    registry = obj.registry()
    pin = obj.pin(obj.say(f"{name} 的新操作密码（4-8位数字）", f"new PIN for {name} (4-8 digits)"), new=True)
    try:
        set_pin(registry.store, name, pin, actor=registry.operator)
    except OperatorError as exc:
        obj.refuse(obj.problem_text(exc.problem))
    click.echo(obj.say(f"{name} 的密码已更改", f"the PIN of {name} was changed"))


@click.group("audit")
def audit_group() -> None:
    """The audit trail: who did what and when, hash-chained. Holds no personal data."""


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        say = current_say()
        raise click.BadParameter(say(f"应为 序号:哈希，如 1234:9f2c…（64位）: {value!r}",
                                     f"expected SEQ:HASH as printed by verify: {value!r}"))
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
        if verdict.broken is not None and verdict.broken.seq == 0:  # a person's record, not an entry
            click.echo(say(f"登记库已被改动: {verdict.broken.zh}", f"the register was altered: {verdict.broken.en}"),
                       err=True)
        elif verdict.broken is not None:
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
@click.option("--last", type=ROW_NUMBER, default=50, show_default=True, help="How many of the newest entries.")
@click.option("--registration", "registration_id", type=ROW_NUMBER, default=None,
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


@click.command()
@click.argument("days", type=int, required=False)
@click.pass_obj
def retention(obj: Context, days: int | None) -> None:
    """Show the retention period, or set it to DAYS (30-3650; owners only, audited).

    Personal data of people who left more than this long ago, and whose every event the platform
    confirmed, is erased by the daily purge.
    """
    from agent.domain.errors import OperatorError, RetentionError
    from agent.duties.retention import retention_days, set_retention_days

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


@click.command()
@click.option("--dry-run", is_flag=True, help="Only count what would be erased (needs no operator).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
def purge(obj: Context, dry_run: bool, as_json: bool) -> None:
    """Erase the personal data the retention period no longer allows keeping (the daemon does it daily).

    Only people who left more than the period ago and whose every event the platform confirmed; rows,
    counts and the audit trail stay.
    """
    from agent.duties.retention import plan
    from agent.duties.retention import purge as run_purge

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


@click.command("at-rest")
@click.argument("suite", required=False, type=click.Choice(["aes", "gm"]))
@click.pass_obj
def at_rest(obj: Context, suite: str | None) -> None:
    """Show how personal data is encrypted at rest, or switch it to SUITE (owners only, audited).

    aes: AES-256-GCM and HMAC-SHA256 (the default). gm: the national suite, SM4-GCM and HMAC-SM3, where
    the venue's policy asks for it. Switching re-seals every record in one transaction; the other desks
    of a site follow at their next write, without a restart.
    """
    from agent.domain.errors import OperatorError, SettingError, StoreError

    registry = obj.registry()
    names = {"aes": ("AES-256-GCM / HMAC-SHA256", "AES-256-GCM / HMAC-SHA256"),
             "gm": ("国密 SM4-GCM / HMAC-SM3", "national suite SM4-GCM / HMAC-SM3")}
    if suite is None:
        zh, en = names[registry.at_rest_suite()]
        click.echo(obj.say(f"个人信息加密存储: {zh}", f"personal data at rest: {en}"))
        return
    try:
        done = registry.set_at_rest_suite(suite)
    except (SettingError, OperatorError, StoreError) as exc:
        obj.refuse(obj.problem_text(exc.problem))
    zh, en = names[done.suite]
    click.echo(obj.say(f"个人信息加密存储已改为 {zh}：重新加密了 {done.people} 人、{done.events} 条事件",
                       f"personal data at rest now: {en}; re-sealed {done.people} person(s), {done.events} event(s)"))
