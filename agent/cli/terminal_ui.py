"""`dengji tui`: the terminal UI, wired to the register and to an in-process uploader."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agent.cli.context import Context

if TYPE_CHECKING:
    from agent.register.registry import Registry
    from tui.app import DengjiApp
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
    """Run the terminal UI on `home`; its exit status."""
    from tui.app import run_tui

    return run_tui(tui_app(home, lang))


def tui_app(home: Path, lang: str) -> DengjiApp:
    """The TUI wired to the register and to an in-process uploader (the composition root's one job).

    The TUI paints its first frame, then opens the register in a worker (the API's `open_register`; no
    register yet: the setup wizard); the uploader's delivery is made for the register's store. The
    journeys (tests/journeys) start the app exactly this way."""
    from tui.app import build_app

    def make_delivery(registry: Registry) -> UploaderDelivery:
        from uploader.delivery import UploaderDelivery

        return UploaderDelivery(registry.store)

    return build_app(home, lang, make_delivery)
