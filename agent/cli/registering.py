"""The register: `register`, `depart`, `list`, and what the platform refused (`rejected`,
`correct`, `resend`).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from agent.cli.context import EXIT_REFUSED, ROW_NUMBER, Context, parse_time
from agent.domain import CHINA_TIME

# A list of registrations is a few hundred bytes a person: a bigger input is not one, and is not read.
MAX_JSON_BYTES = 50 * 1024 * 1024
# No registration holds a longer integer (numbers on documents are strings); Python would refuse one past
# 4,300 digits with a ValueError, and reading a 4,000-digit one already costs.
MAX_INTEGER_DIGITS = 20


class _LongInteger(Exception):
    """An integer in the JSON with more than MAX_INTEGER_DIGITS digits."""


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _LongInteger
    return int(text)


def _read_json(obj: Context, source: str) -> Any:
    """The JSON value in `source` (a file, or `-` for standard input), or the command fails saying why:
    too large, not text, not JSON, nested deeper than the interpreter can follow, an absurd integer."""
    from agent.domain.errors import InputError

    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_JSON_BYTES + 1)
        else:
            with open(source, "rb") as file:
                raw = file.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        obj.fail(InputError(f"无法读取 {source}: {exc.strerror}", f"cannot read {source}: {exc.strerror}"))
    if len(raw) > MAX_JSON_BYTES:
        limit = MAX_JSON_BYTES // 1024 // 1024
        obj.fail(InputError(f"{source} 超过 {limit} MB，不是一份登记清单：请拆分后分次导入",
                            f"{source} is larger than {limit} MB, too large for a list of registrations: "
                            "split it", code="input.too_large"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        obj.fail(InputError(f"{source} 不是 UTF-8 或 GBK 文本", f"{source} is neither UTF-8 nor GBK text",
                            code="input.not_text"))
    try:
        return json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as exc:
        obj.fail(InputError(f"{source} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}",
                            f"{source} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}",
                            code="input.not_json"))
    except RecursionError:
        obj.fail(InputError(f"{source} 的 JSON 嵌套太深，不是一份登记清单",
                            f"{source} nests its JSON too deep to be a list of registrations",
                            code="input.too_deep"))
    except _LongInteger:
        obj.fail(InputError(f"{source} 含有超过 {MAX_INTEGER_DIGITS} 位的整数：证件号码等请写成带引号的字符串",
                            f"{source} holds an integer longer than {MAX_INTEGER_DIGITS} digits: write document "
                            "numbers as quoted strings", code="input.long_integer"))


@click.command()
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
    data = _read_json(obj, source)
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


@click.command()
@click.argument("registration_id", type=ROW_NUMBER)
@click.option("--at", "at", default=None, help="When the person left (YYYY-MM-DD HH:MM, China time). Default: now.")
@click.option("--late-reason", default=None,
              help="Why the departure is recorded only now: needed when --at is more than 72 hours back.")
@click.pass_obj
def depart(obj: Context, registration_id: int, at: str | None, late_reason: str | None) -> None:
    """Record a departure: check-out, move-out or end of employment (`dengji depart-room UNIT`: a whole
    room; `dengji undo-depart N`: undo one within 15 minutes)."""
    outcome = obj.registry().depart(registration_id, parse_time(at) if at else None, late_reason)
    if not outcome.ok:
        click.echo("; ".join(obj.problem_text(p) for p in outcome.problems), err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(obj.say(f"已记录离开: 登记号 {registration_id}", f"departure recorded: registration {registration_id}"))


@click.command("list")
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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows (each with its number for correct/resend).")
@click.pass_obj
def rejected(obj: Context, as_json: bool) -> None:
    """List what the platform rejected and why, until it is corrected (dengji correct) or resent (dengji resend)."""
    rows = obj.registry().corrections.rejections()
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


@click.command()
@click.argument("number", type=ROW_NUMBER)
@click.option("--json", "source", default=None, metavar="FILE|-",
              help="The corrected registration (as for `dengji register`), for a rejected registration.")
@click.option("--departed-at", default=None, help="The corrected departure time, for a rejected departure.")
@click.option("--late-reason", default=None, help="With --departed-at: why it is recorded late (over 72 hours).")
@click.pass_obj
def correct(obj: Context, number: int, source: str | None, departed_at: str | None, late_reason: str | None) -> None:
    """Correct a rejected record (NUMBER from `dengji rejected`); the correction is sent as a new event.

    A registration takes the registration object; a visit {visitor, arrived_at}; a visitor leaving
    {left_at}; a room change {unit, moved_at}; an extension {expected_departure}.

    `dengji rejected --json` shows what was sent; edit it and pass it with --json. Exit status 1 if the
    correction is refused (nothing is written then).
    """
    if (source is None) == (departed_at is None):
        raise click.UsageError(obj.say("请给出 --json（更正登记）或 --departed-at（更正离开时间）之一",
                                       "give one of --json (a registration) or --departed-at (a departure)"))
    payload = {"departed_at": departed_at, "late_reason": late_reason} if departed_at is not None \
        else _read_json(obj, source or "-")
    if not isinstance(payload, dict):
        obj.fail(obj.say("更正内容应为一个 JSON 对象", "the correction must be one JSON object"))
    outcome = obj.registry().corrections.correct(number, payload)
    _report_correction(obj, number, outcome)


@click.command()
@click.argument("number", type=ROW_NUMBER)
@click.pass_obj
def resend(obj: Context, number: int) -> None:
    """Send a rejected record again unchanged, once its cause was put right elsewhere (e.g. the unit filed)."""
    _report_correction(obj, number, obj.registry().corrections.resend(number))


def _report_correction(obj: Context, number: int, outcome: Any) -> None:
    if not outcome.ok:
        click.echo("; ".join(obj.problem_text(p) for p in outcome.problems), err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(obj.say(f"#{number} 已更正，将重新上报（登记号 {outcome.registration_id}）",
                       f"#{number} corrected; it will be sent again (registration {outcome.registration_id})"))
