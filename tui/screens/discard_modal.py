"""Leaving a form with something typed in it: ask before throwing the work away.

The safe answer is the one a startled key gives: Enter (the key a clerk presses most) and Esc both keep
the form, with nothing lost. Discarding takes a deliberate key: Y, or Tab to 放弃 and Enter.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.screens.modal import DengjiModal


class DiscardModal(DengjiModal):
    BINDINGS = [Binding("y", "discard", "Discard", show=False),
                Binding("escape,n", "keep", "Keep", show=False)]
    DEFAULT_CSS = """
    DiscardModal { align: center middle; }
    DiscardModal > Vertical { width: 52; height: auto; border: round $warning; background: $surface; padding: 1 2; }
    DiscardModal Static { width: 100%; text-align: center; }
    DiscardModal Horizontal { width: 100%; height: auto; align: center middle; margin-top: 1; }
    DiscardModal Button { margin: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="discard")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.say("已填写的内容还没有保存。", "What you typed is not saved."))
            yield Static(self.say("Enter 或 Esc 继续填写；Y 放弃并返回", "Enter or Esc: keep editing; Y: discard"))
            with Horizontal():
                yield Button(self.say("继续填写", "Keep editing"), id="keep", variant="primary", compact=True)
                yield Button(self.say("放弃  Y", "Discard  Y"), id="discard-work", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#discard-work")
    def action_discard(self) -> None:
        self.dismiss(True)


def dismiss_unless_changed(question: DengjiModal, changed: bool) -> None:
    """Esc on a question: gone at once when nothing was changed, else ask first (`DiscardModal`), so one
    key loses nothing typed."""
    if not changed:
        question.dismiss(None)
        return

    def answered(discard: object) -> None:
        if discard:
            question.dismiss(None)

    question.app.push_screen(DiscardModal(), answered)
