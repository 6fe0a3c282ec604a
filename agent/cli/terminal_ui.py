"""`dengji tui`: the terminal UI, wired to the register and to an in-process uploader.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agent.home.config import (
    load_config,
)

if TYPE_CHECKING:
    from agent.register.registry import Registry

from agent.cli.context import Context


@click.command()
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
        from agent.forms.templates import check_templates
        from agent.register.registry import Registry
        from agent.store.opening import open_store

        check_templates()  # a broken form file stops the agent with its file, field and problem named
        return Registry(open_store(home), operator=load_config(home).operator_name) if has_store else None

    def make_delivery(registry: Registry):  # type: ignore[no-untyped-def]
        from uploader.delivery import UploaderDelivery

        return UploaderDelivery(registry.store)

    run_tui(None, home, lang, None, open_registry=open_registry, make_delivery=make_delivery)
