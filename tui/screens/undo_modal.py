"""Undo a check-out: who comes back (name, room, masked number), confirmed before anything is written.

Ctrl+Z on the home or departure screen (the last check-out, for 15 minutes after it was recorded), or on
a departed person's screen, asks this question. Enter on the focused 撤销离开 button undoes it - for a
whole room checked out at once, everyone in it; Esc (or 不撤销) leaves the check-out as it is. One stray
key writes nothing: Ctrl+Z only asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from agent.domain import CHINA_TIME
from tui.screens.modal import DengjiModal

if TYPE_CHECKING:
    from agent.register.records import RegistrationView


class UndoDepartureModal(DengjiModal):
    """Dismissed with True (undo) or False (Esc, 不撤销)."""

    BINDINGS = [Binding("escape", "keep", "Keep", show=False)]
    DEFAULT_CSS = """
    UndoDepartureModal { align: center middle; }
    UndoDepartureModal > Vertical { width: 56; max-width: 100%; height: auto; border: round $warning;
                                    background: $surface; padding: 0 1; }
    UndoDepartureModal Static { width: 100%; color: $text; }
    UndoDepartureModal .undo-who { text-style: bold; }
    UndoDepartureModal #undo-people { margin-bottom: 1; height: auto; }
    UndoDepartureModal Horizontal { width: 100%; height: auto; margin: 1 0; }
    UndoDepartureModal Button { margin-right: 2; }
    """

    def __init__(self, people: Sequence[RegistrationView], until: datetime | None = None) -> None:
        super().__init__(id="undo-question")
        self.people = tuple(people)
        self.until = until

    def compose(self) -> ComposeResult:
        many = len(self.people) > 1
        with Vertical():
            yield Static(self.say(f"撤销离开（{len(self.people)} 人）：" if many else "撤销离开：",
                                  f"Undo the check-out ({len(self.people)} people):" if many
                                  else "Undo the check-out:"))
            with Vertical(id="undo-people"):
                for view in self.people:
                    yield Static(f"{view.unit}  {view.name}  {view.doc_masked}", classes="undo-who")
            back = (self.say("撤销后这些人重新在住，", "They will be present again ") if many
                    else self.say("撤销后此人重新在住，", "The guest will be present again "))
            told = self.say("平台会收到撤销的通知。", "and the platform is told.")
            if self.until is not None:
                until = self.until.astimezone(CHINA_TIME).strftime("%H:%M")
                told += self.say(f"\n{until} 前可以撤销。", f"\nPossible until {until}.")
            yield Static(back + told)
            with Horizontal():
                yield Button(self.say("撤销离开", "Undo check-out"), id="undo-confirm", variant="warning",
                             compact=True)
                yield Button(self.say("不撤销  Esc", "Keep it  Esc"), id="undo-keep", compact=True)

    def on_mount(self) -> None:
        self.app.clear_notifications()  # older notices would cover the question's buttons
        self.query_one("#undo-confirm", Button).focus()

    @on(Button.Pressed, "#undo-confirm")
    def _confirmed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#undo-keep")
    def action_keep(self) -> None:
        self.dismiss(False)
