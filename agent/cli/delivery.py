"""Reporting to the platform: `status`, `send` now, and `agent run`, the unattended uploader."""

from __future__ import annotations

import json
import sys

import click

from agent.cli.context import EXIT_REFUSED, Context
from agent.domain import CHINA_TIME


@click.command()
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


@click.command()
@click.option("--until-empty", is_flag=True, help="Keep retrying (with backoff) until nothing is left to send.")
@click.option("--max-events", type=click.IntRange(1, 2000), default=2000, show_default=True,
              help="Most events in one batch.")
@click.pass_obj
def send(obj: Context, until_empty: bool, max_events: int) -> None:
    """Send what waits now and exit: 0 when everything sendable was accepted, 1 otherwise (with the reason)."""
    import asyncio

    from agent.domain.errors import NotEnrolled
    from uploader import lease
    from uploader.device import load_device
    from uploader.sender import Sender, Step, send_until_idle
    from uploader.transport import Transport

    store = obj.store()
    try:
        device = load_device(store)
    except NotEnrolled as exc:
        obj.fail(exc)
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


@click.group()
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

    from agent.domain.errors import NotEnrolled
    from agent.ops.logs import configure_logging
    from uploader.daemon import Daemon, DaemonSettings

    store = obj.store()
    configure_logging(obj.home)
    settings = DaemonSettings(send_interval, watch_interval, max_events=max_events, duties_interval=duties_interval,
                              lease_ttl=timedelta(seconds=lease_seconds))
    try:
        code = asyncio.run(Daemon(store, settings).run())
    except NotEnrolled as exc:
        obj.fail(exc)
    sys.exit(code)
