"""Check-out confirmed: who (name, room, masked number) and when, before anything is written.

A check-out was one stray Enter, at the current time, and two Enters could check out the wrong 张伟.
Now Enter on a person opens this question: it names the person, offers the time (now, to be changed
for a guest who left earlier), and only Enter on the focused 确认离开 button records the departure:
Enter in the time field moves to that button, Esc goes back with nothing written.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from agent.domain import CHINA_TIME
from agent.domain.errors import InvalidDocument
from agent.validation.datetimes import parse_datetime
from tui.screens.modal import DengjiModal

if TYPE_CHECKING:
    from agent.register.records import RegistrationView


class DepartureModal(DengjiModal):
    """Dismissed with the departure time, or None (Esc, 取消)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]
    DEFAULT_CSS = """
    DepartureModal { align: center middle; }
    DepartureModal > Vertical { width: 56; max-width: 100%; height: auto; border: round $warning;
                                background: $surface; padding: 0 1; }
    DepartureModal Static { width: 100%; }
    DepartureModal #departure-who { text-style: bold; margin-bottom: 1; }
    DepartureModal Horizontal { width: 100%; height: auto; }
    DepartureModal Label { width: auto; padding-right: 1; }
    DepartureModal Input { width: 20; }
    DepartureModal #departure-buttons { margin-top: 1; }
    DepartureModal Label, DepartureModal #departure-who { color: $text; }
    DepartureModal Button { margin-right: 2; }
    DepartureModal #departure-message { color: $error; height: auto; }
    """

    def __init__(self, view: RegistrationView, now: datetime) -> None:
        super().__init__(id="departure-question")
        self.view = view
        self.now = now

    def compose(self) -> ComposeResult:
        view = self.view
        with Vertical():
            yield Static(self.say("办理离开：", "Check out:"))
            yield Static(f"{view.unit}  {view.name}  {view.doc_masked}", id="departure-who")
            with Horizontal():
                yield Label(self.say("离开时间", "Left at"))
                yield Input(self.now.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M"), id="departure-at",
                            compact=True)
            yield Static(self.say("时间不对可以改；Enter 到“确认离开”，再按 Enter 登记离开。",
                                  "Change the time if it is not right; Enter goes to Check out, Enter there records "
                                  "it."))
            with Horizontal(id="departure-buttons"):
                yield Button(self.say("确认离开", "Check out"), id="departure-confirm", variant="warning",
                             compact=True)
                yield Button(self.say("取消  Esc", "Cancel  Esc"), id="departure-cancel", compact=True)
            yield Static("", id="departure-message")

    def on_mount(self) -> None:
        self.query_one("#departure-at", Input).focus()

    @on(Input.Submitted, "#departure-at")
    def _time_typed(self, event: Input.Submitted) -> None:
        event.stop()
        if self._time() is not None:
            self.query_one("#departure-confirm", Button).focus()

    @on(Button.Pressed, "#departure-confirm")
    def _confirmed(self) -> None:
        left = self._time()
        if left is not None:
            self.dismiss(left)

    @on(Button.Pressed, "#departure-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _time(self) -> datetime | None:
        """The time typed, or None after saying what is wrong with it beside the field."""
        try:
            left = parse_datetime(self.query_one("#departure-at", Input).value)
        except InvalidDocument as invalid:
            self.query_one("#departure-message", Static).update(invalid.problem.text(self.session.lang))
            return None
        self.query_one("#departure-message", Static).update("")
        return left
