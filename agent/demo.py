"""`dengji demo`: a walk-through in a throwaway home, so a newcomer sees the register work at once.

It sets up a small hotel, registers a few fictional guests (one with a mistyped ID number, to show what
a refusal looks like), checks one out and shows what waits to be reported. Nothing touches the
operator's real data: the home is a temporary directory, removed at the end unless `keep` is set.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import click

from agent.config import Config, save_config
from agent.domain import CHINA_TIME
from agent.i18n import Say


def run_demo(say: Say, keep: bool = False) -> Path:
    """Run the walk-through and return the home it used."""
    from agent.registry import Registry
    from agent.sample_people import sample_registration
    from agent.store.models import Venue
    from agent.store.opening import open_store

    home = Path(tempfile.mkdtemp(prefix="dengji-demo-"))
    passphrase = secrets.token_urlsafe(16)
    save_config(home, Config(keystore="file"))
    store = open_store(home, create=True, prompt=lambda: passphrase)
    registry = Registry(store, operator="demo")
    try:
        venue = registry.set_venue(Venue(kind="hotel", name="二七宾馆 (demo)", address="郑州市二七区大学路1号",
                                         police_station="大学路派出所"))  # type: ignore[call-arg]
        click.echo(say(f"1. 在临时目录 {home} 设置了一家宾馆: {venue.name}",
                       f"1. set up a hotel in the throwaway home {home}: {venue.name}"))
        now = datetime.now(CHINA_TIME).replace(second=0, microsecond=0)
        for i in range(1, 5):
            arrived = (now - timedelta(hours=5 - i)).isoformat()
            outcome = registry.register(sample_registration(i, "stay", arrived, unit=f"20{i}"))
            click.echo(say(f"2. 登记住客，房间 20{i}: 登记号 {outcome.registration_id}",
                           f"2. registered a guest in room 20{i}: registration {outcome.registration_id}"))
        mistyped = sample_registration(9, "stay", now.isoformat(), unit="209")
        number = mistyped["person"]["doc_number"]
        mistyped["person"]["doc_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")
        refused = registry.register(mistyped)
        click.echo(say("3. 一个输错的身份证号被拒绝，什么也没有写入: ", "3. a mistyped ID number was refused, nothing written: ")
                   + "; ".join(p.text(say.lang) for p in refused.problems))
        first = registry.registrations(present_only=True)[-1]
        registry.depart(first.id)
        click.echo(say(f"4. 登记号 {first.id} 退房", f"4. registration {first.id} checked out"))
        click.echo(say("5. 现在在住:", "5. present now:"))
        for row in registry.registrations(present_only=True):
            click.echo(f"   {row.id}  {row.unit}  {row.name}  {row.doc_masked}")
        counts = registry.outbox_counts()
        click.echo(say(f"6. 等待上报平台的事件: {counts['pending']} 条（已加密保存）",
                       f"6. events waiting to be reported to the platform: {counts['pending']} (stored encrypted)"))
    finally:
        store.dispose()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    return home
