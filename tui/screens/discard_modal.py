"""Leaving a form with something typed in it: ask before throwing the work away.

Enter (or Y) discards and leaves; Esc (or N) goes back to the form with nothing lost. The safe answer
is the one a startled press of Esc gives.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.screens.base import DengjiModal


class DiscardModal(DengjiModal):
    BINDINGS = [Binding("enter,y", "discard", "Discard", show=False),
                Binding("escape,n", "keep", "Keep", show=False)]
    DEFAULT_CSS = """
    DiscardModal { align: center middle; }
    DiscardModal > Vertical { width: 50; height: auto; border: round $warning; background: $surface; padding: 1 2; }
    DiscardModal Static { width: 100%; text-align: center; }
    """

    def __init__(self) -> None:
        super().__init__(id="discard")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.say("已填写的内容还没有保存。", "What you typed is not saved."))
            yield Static(self.say("Enter 放弃并返回　　Esc 继续填写", "Enter: discard and leave    Esc: keep editing"))

    def action_discard(self) -> None:
        self.dismiss(True)

    def action_keep(self) -> None:
        self.dismiss(False)
