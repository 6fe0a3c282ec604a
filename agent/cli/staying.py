"""What happens to a stay after its registration: `depart-room`, `undo-depart`, `move`, `extend`,
visitors (`visit`, `visit-end`, `visits`) and their closing time (`closing-time`).

The commands parse and print; the register (`agent.register.registry`, its `stay` module) decides.
Exit status 1 when the register refuses (nothing is written then), 2 when the input cannot be read.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from agent.cli.context import EXIT_REFUSED, ROW_NUMBER, Context, local_time, parse_time
from agent.cli.registering import _read_json


def _refused(obj: Context, problems: list[Any]) -> None:
    click.echo("; ".join(obj.problem_text(p) for p in problems), err=True)
    sys.exit(EXIT_REFUSED)


@click.command("depart-room")
@click.argument("unit")
@click.option("--at", "at", default=None, help="When they left (YYYY-MM-DD HH:MM, China time). Default: now.")
@click.option("--late-reason", default=None, help="Why the departure is recorded only now (needed over 72 hours back).")
@click.pass_obj
def depart_room(obj: Context, unit: str, at: str | None, late_reason: str | None) -> None:
    """Check out everyone registered in UNIT (a family, companions) at once: all of them, or none."""
    done = obj.registry().depart_room(unit, parse_time(at) if at else None, late_reason)
    if not done.ok:
        _refused(obj, done.problems)
    ids = ", ".join(str(i) for i in done.registration_ids)
    click.echo(obj.say(f"{done.unit} 已全部离开: 登记号 {ids}", f"{done.unit} checked out: registrations {ids}"))


@click.command("undo-depart")
@click.argument("registration_id", type=ROW_NUMBER)
@click.pass_obj
def undo_depart(obj: Context, registration_id: int) -> None:
    """Undo a departure recorded by mistake, within 15 minutes of recording it: the stay is open again."""
    outcome = obj.registry().undo_departure(registration_id)
    if not outcome.ok:
        _refused(obj, outcome.problems)
    click.echo(obj.say(f"已撤销离开: 登记号 {registration_id} 恢复在住",
                       f"departure undone: registration {registration_id} is present again"))


@click.command()
@click.argument("registration_id", type=ROW_NUMBER)
@click.option("--unit", required=True, help="The new room or unit.")
@click.option("--at", "at", default=None, help="When they moved (YYYY-MM-DD HH:MM, China time). Default: now.")
@click.pass_obj
def move(obj: Context, registration_id: int, unit: str, at: str | None) -> None:
    """Move a present stay to another room or unit (reported as a room change)."""
    outcome = obj.registry().move(registration_id, unit, parse_time(at) if at else None)
    if not outcome.ok:
        _refused(obj, outcome.problems)
    click.echo(obj.say(f"已换房: 登记号 {registration_id} 现住 {unit.strip()}",
                       f"moved: registration {registration_id} is now in {unit.strip()}"))


@click.command()
@click.argument("registration_id", type=ROW_NUMBER)
@click.option("--until", "until", required=True,
              help="The new expected departure, or the renewed lease's end (YYYY-MM-DD, optionally HH:MM).")
@click.pass_obj
def extend(obj: Context, registration_id: int, until: str) -> None:
    """Extend (or shorten) a present stay; for a tenancy, renew the lease until DATE."""
    outcome = obj.registry().extend(registration_id, until)
    if not outcome.ok:
        _refused(obj, outcome.problems)
    click.echo(obj.say(f"已更新预计离开时间: 登记号 {registration_id} 至 {until.strip()}",
                       f"extended: registration {registration_id} until {until.strip()}"))


@click.command()
@click.option("--json", "source", required=True, metavar="FILE|-",
              help="A JSON file (or - for standard input): {visitor: a person object, host: registration number, "
                   "arrived_at}.")
@click.pass_obj
def visit(obj: Context, source: str) -> None:
    """Record a visitor to a registered person; prints the visit's number (for `dengji visit-end`).

    The visitor is a person object as in `dengji register` (doc_type, doc_number, name, ...). Exit
    status 1 if the visit is refused (nothing is written then).
    """
    payload = _read_json(obj, source)
    if not isinstance(payload, dict):
        obj.fail(obj.say("访客登记应为一个 JSON 对象", "a visit must be one JSON object"))
    outcome = obj.registry().visit(payload)
    if not outcome.ok:
        _refused(obj, outcome.problems)
    notes = "; ".join(obj.problem_text(p) for p in outcome.problems)
    click.echo(obj.say(f"已登记访客，访客登记号 {outcome.visit_id}", f"visit recorded as {outcome.visit_id}")
               + (obj.say(f"（提醒: {notes}）", f" (note: {notes})") if notes else ""))


@click.command("visit-end")
@click.argument("visit_id", type=ROW_NUMBER)
@click.option("--at", "at", default=None, help="When the visitor left (YYYY-MM-DD HH:MM, China time). Default: now.")
@click.pass_obj
def visit_end(obj: Context, visit_id: int, at: str | None) -> None:
    """Record that a visitor left (VISIT_ID from `dengji visit` or `dengji visits`)."""
    outcome = obj.registry().end_visit(visit_id, parse_time(at) if at else None)
    if not outcome.ok:
        _refused(obj, outcome.problems)
    click.echo(obj.say(f"已登记访客离开: 访客登记号 {visit_id}", f"visitor left: visit {visit_id}"))


@click.command()
@click.option("--in", "in_only", is_flag=True, help="Only visitors still in.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows (each with the visit's number).")
@click.pass_obj
def visits(obj: Context, in_only: bool, as_json: bool) -> None:
    """List visits, newest first, with whom each visits and masked document numbers."""
    rows = obj.registry().visits(in_only=in_only)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    say = obj.say
    if not rows:
        click.echo(say("没有访客", "no visits"))
        return
    click.echo(say("访客登记号  被访人(房间 登记号)  访客  证件号  到访  离开",
                   "visit  host (unit registration)  visitor  document  came  left"))
    for r in rows:
        came = local_time(r.arrived_at.isoformat())
        left = local_time(r.left_at.isoformat()) if r.left_at else say("在访", "in")
        click.echo(f"{r.id}  {r.host_name}({r.host_unit} {r.host_registration_id})  {r.name}  {r.doc_masked}  "
                   f"{came}  {left}")


@click.command("closing-time")
@click.argument("value", required=False)
@click.pass_obj
def closing_time(obj: Context, value: str | None) -> None:
    """Show the time visitors must be out by, or set it to VALUE (HH:MM; owners only, audited).

    `dengji reminders` lists the visitors still in after it. Default 23:00.
    """
    from agent.domain.errors import OperatorError, SettingError

    registry = obj.registry()
    if value is None:
        shown = registry.closing_time().strftime("%H:%M")
        click.echo(obj.say(f"访客离开时间: {shown}", f"visitors' closing time: {shown}"))
        return
    try:
        shown = registry.set_closing_time(value).strftime("%H:%M")
    except (SettingError, OperatorError) as exc:
        obj.refuse(obj.problem_text(exc.problem))
    click.echo(obj.say(f"访客离开时间已改为 {shown}", f"visitors' closing time set to {shown}"))
