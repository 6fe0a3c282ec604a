"""`dengji tui`: the terminal UI, wired to the register and to an in-process uploader."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agent.cli.context import Context

if TYPE_CHECKING:
    from agent.register.registry import Registry
    from uploader.delivery import UploaderDelivery


@click.command()
@click.pass_obj
def tui(obj: Context) -> None:
    """Open the terminal UI (also what `dengji` alone does). First run: a setup wizard."""
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        obj.fail(obj.say("终端界面需要在终端中运行；命令行用法见 dengji --help",
                         "the terminal UI needs a terminal; see `dengji --help` for the commands"))
    code = launch_tui(obj.home, obj.say.lang)
    if code:
        sys.exit(code)


def launch_tui(home: Path, lang: str) -> int:
    """Wire the TUI to the register and to an in-process uploader (the composition root's one job); return
    the TUI's exit status.

    The TUI paints its first frame, then opens the register in a worker (the API's `open_register`; no
    register yet: the setup wizard); the uploader's delivery is made for the register's store."""
    from tui.app import run_tui

    def make_delivery(registry: Registry) -> UploaderDelivery:
        from uploader.delivery import UploaderDelivery

        return UploaderDelivery(registry.store)

    return run_tui(None, home, lang, None, lazy_open=True, make_delivery=make_delivery)
