"""`dengji demo`: the whole system on one machine, in a throwaway home, so a newcomer sees it work at once.

It starts a reference platform (`dengji-receiver`) on 127.0.0.1, sets up a small hotel, enrolls it with a
one-time code, registers a few fictional guests (one read off a sample ID card by the real driver from a
simulated reader on a pty, one with a mistyped ID number, to show a refusal) and checks one out. In a
terminal it then waits for Enter, so the walk-through stays readable, and opens the TUI, which uploads in
the background; without one it uploads at once and prints what the platform holds. On the way out it says
what to do next. The operator's real data is never touched: home and platform live in a temporary
directory, removed at the end unless `keep` is set.

Part of the command line, the composition root: it wires the uploader in.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agent.cli.context import Context
from agent.domain import CHINA_TIME, VenueKind
from agent.domain.language import Say
from agent.home.config import Config, save_config
from agent.validation.venue import VenueDetails

if TYPE_CHECKING:
    from agent.register.registry import Registry
    from agent.store.database import Store
    from uploader.device import Device

_RECEIVER = [sys.executable, "-c", "from receiver.cli import main; main()"]


@contextmanager
def reference_platform(folder: Path) -> Iterator[tuple[str, str]]:
    """A `dengji-receiver serve` on 127.0.0.1 (a free port) for the demo; yields its URL and database."""
    db = f"sqlite:///{folder / 'platform.sqlite3'}"
    proc = subprocess.Popen([*_RECEIVER, "serve", "--host", "127.0.0.1", "--port", "0", "--db", db],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        url = None
        for line in proc.stdout:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        if url is None:
            raise click.ClickException(f"the reference platform did not start (exit {proc.wait()})")
        yield url, db
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _platform(db: str, *args: str) -> str:
    out = subprocess.run([*_RECEIVER, *args, "--db", db], capture_output=True, text=True, check=True)
    return out.stdout


def run_demo(say: Say, *, open_tui: bool, keep: bool = False) -> Path:
    """Run the walk-through and return the home it used."""
    from agent.cli.demo_people import sample_registration
    from agent.register.opening import open_register
    from uploader.enrollment import enroll

    home = Path(tempfile.mkdtemp(prefix="dengji-demo-"))
    # A throwaway key-file passphrase for a throwaway home; set for this process only.
    os.environ["DENGJI_PASSPHRASE"] = secrets.token_urlsafe(16)
    save_config(home, Config(keystore="file", operator="demo"))
    try:
        with reference_platform(home) as (url, db):
            click.echo(say(f"1. 参考平台已在 {url} 启动", f"1. reference platform started at {url}"))
            registry = open_register(home, create=True)
            store = registry.store
            venue = registry.set_venue(VenueDetails(VenueKind.HOTEL, "二七宾馆 (demo)", address="郑州市二七区大学路1号",
                                                    police_station="大学路派出所"))
            code = _platform(db, "issue-code", "--venue", venue.name, "--kind", "hotel").split()[-1]
            device = asyncio.run(enroll(store, venue, code, url))
            click.echo(say(f"2. 设置了宾馆“{venue.name}”，用登记码 {code} 在平台登记了设备",
                           f"2. set up the hotel '{venue.name}' and enrolled it with the code {code}"))
            now = datetime.now(CHINA_TIME).replace(second=0, microsecond=0)
            for i in range(1, 5):
                arrived = (now - timedelta(hours=5 - i)).isoformat()
                outcome = registry.register(sample_registration(i, "stay", arrived, unit=f"20{i}"))
                click.echo(say(f"3. 登记住客，房间 20{i}: 登记号 {outcome.registration_id}",
                               f"3. registered a guest in room 20{i}: registration {outcome.registration_id}"))
            click.echo(_register_from_card(say, registry, now.isoformat(), unit="205"))
            mistyped = sample_registration(9, "stay", now.isoformat(), unit="209")
            number = mistyped["person"]["doc_number"]
            mistyped["person"]["doc_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")
            refused = registry.register(mistyped)
            click.echo(say("4. 一个输错的身份证号被拒绝，什么也没有写入: ",
                           "4. a mistyped ID number was refused, nothing written: ")
                       + "; ".join(p.text(say.lang) for p in refused.problems))
            first = registry.registrations(present_only=True)[-1]
            registry.depart(first.id)
            click.echo(say(f"5. 登记号 {first.id} 退房", f"5. registration {first.id} checked out"))
            if open_tui:
                from agent.cli import terminal_ui

                store.dispose()
                if _ready_for_the_tui(say):
                    terminal_ui.launch_tui(home, say.lang)
            else:
                _upload_and_show(say, store, device, db)
                store.dispose()
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    click.echo(_next_steps(say, home if keep else None))
    return home


def _ready_for_the_tui(say: Say) -> bool:
    """Keep the walk-through on the screen until the newcomer has read it: the TUI covers the terminal
    the moment it starts. Enter opens it; Ctrl+C or Ctrl+D ends the demo here."""
    click.echo("")
    click.echo(say("以上是演示做的事。接下来打开终端界面：这家演示宾馆的登记、离开、人员和上报都可以试；"
                   "F1 是帮助，Ctrl+Q 退出。",
                   "That is what the demo did. Next the terminal UI opens on this demo hotel: try registering, "
                   "checking out, the people list and the uploads; F1 is help, Ctrl+Q quits."))
    try:
        click.prompt(say("按 Enter 打开终端界面", "Press Enter to open the terminal UI"), default="",
                     show_default=False, prompt_suffix=say("……", "... "))
    except (click.Abort, EOFError):
        click.echo("")
        return False
    return True


def _next_steps(say: Say, kept: Path | None) -> str:
    """What to do after the demo: said on the way out, since the TUI leaves the terminal blank."""
    data = (say(f"演示数据保留在 {kept}", f"The demo's data is kept in {kept}") if kept
            else say("演示数据已删除，您的真实数据没有被动过", "The demo's data was removed; your real data was never touched"))
    return "\n".join([
        "",
        say("演示结束。", "The demo is over.") + " " + data,
        say("接下来：", "What next:"),
        say("  dengji                 开始正式使用（第一次会引导设置场所）",
            "  dengji                 start for real (the first run sets up your venue)"),
        say("  dengji --help          命令行的全部命令", "  dengji --help          every command of the command line"),
        say("  dengji demo --keep     再演示一次并保留演示数据", "  dengji demo --keep     the demo again, keeping its data"),
    ])


def _register_from_card(say: Say, registry: Registry, arrived_at: str, *, unit: str) -> str:
    """Read a sample resident ID card through the real driver (serial frames, from the simulated reader on
    a pty) and register that guest from the card's fields: the newcomer sees what a desk with a reader
    does, on a machine without one. Returns the line to print; the number in it is masked. A reader that
    fails says so in that line and the walk-through goes on, since the rest does not need it."""
    from agent.cardreader import ReaderError, open_reader
    from agent.cardreader.simulated import SimulatedReader

    if os.name != "posix":  # the simulator lives on a pseudo-terminal
        return say("3. 读卡器：模拟读卡器需要 Linux 或 macOS，此处跳过",
                   "3. card reader: the simulated reader needs Linux or macOS, skipped here")
    try:
        with SimulatedReader().start() as simulator, open_reader(simulator.port) as reader:
            simulator.place_card("resident_id")
            card = reader.wait_for_card(5)
    except ReaderError as problem:
        return say("3. 读卡器：", "3. card reader: ") + problem.text(say.lang)
    if card is None:
        return say("3. 读卡器：5 秒内没有读到证件", "3. card reader: no card was read within 5 s")
    outcome = registry.register({"kind": "stay", "unit": unit, "arrived_at": arrived_at,
                                 "person": card.person_fields()})
    if not outcome.ok:
        return say("3. 读卡器：读到的证件未能登记：", "3. card reader: the card's guest was refused: ") + "; ".join(
            p.text(say.lang) for p in outcome.problems)
    return say(f"3. 读卡器：读到 {card.name} 的身份证（号码 {card.masked_number}），已登记，房间 {unit}: "
               f"登记号 {outcome.registration_id}",
               f"3. card reader: read {card.name}'s ID card (number {card.masked_number}), registered in room {unit}: "
               f"registration {outcome.registration_id}")


def _upload_and_show(say: Say, store: Store, device: Device, db: str) -> None:
    from agent.register.delivery import delivery_state
    from uploader.sender import Sender, send_until_idle
    from uploader.transport import Transport

    async def go() -> None:
        async with Transport(device.platform_url) as transport:
            await send_until_idle(Sender(store, device, transport), keep_trying=False)

    asyncio.run(go())
    state = delivery_state(store)
    held = json.loads(_platform(db, "events", "--json"))
    click.echo(say(f"6. 加密签名上报：已发送 {state.sent} 条，平台现有 {len(held)} 条事件 "
                   f"({', '.join(sorted({e['type'] for e in held}))})",
                   f"6. uploaded encrypted and signed: {state.sent} events sent, the platform holds {len(held)} "
                   f"({', '.join(sorted({e['type'] for e in held}))})"))


@click.command()
@click.option("--no-tui", is_flag=True, help="Print the walk-through and upload, without opening the TUI.")
@click.option("--keep", is_flag=True, help="Keep the throwaway home and platform database afterwards.")
@click.pass_obj
def demo(obj: Context, no_tui: bool, keep: bool) -> None:
    """Try dengji safely: a reference platform on 127.0.0.1, a sample hotel and guests, then the TUI.

    Everything lives in a temporary directory; your real data is never touched.
    """
    if getattr(sys, "frozen", False):
        obj.fail(obj.say("演示需要参考平台 dengji-receiver，场所版程序中没有它；请从源码运行 python3 dev.py start",
                         "the demo needs the reference platform (dengji-receiver), which the venue binary does "
                         "not include: run it from source with `python3 dev.py start`"))
    run_demo(obj.say, open_tui=not no_tui and sys.stdin.isatty() and sys.stdout.isatty(), keep=keep)

