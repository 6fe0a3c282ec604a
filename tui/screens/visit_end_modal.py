"""When a visitor left: the question Enter on a visitor of the visitors' list asks (the time: now unless
changed, read like every date), answered with the time or nothing (Esc)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from agent.domain.errors import InvalidDocument
from agent.validation.datetimes import parse_datetime
from tui.screens.modal import DengjiModal
from tui.widgets.people_table import short_time

if TYPE_CHECKING:
    from agent.register.records import VisitView


class VisitEndModal(DengjiModal):
    """A visitor's leaving confirmed: who, and when (now unless changed). Dismissed with the time or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]
    DEFAULT_CSS = """
    VisitEndModal { align: center middle; }
    VisitEndModal > Vertical { width: 56; max-width: 100%; height: auto; border: round $warning;
                               background: $surface; padding: 0 1; }
    VisitEndModal Static { width: 100%; }
    VisitEndModal #visit-end-who { text-style: bold; margin-bottom: 1; }
    VisitEndModal Horizontal { width: 100%; height: auto; }
    VisitEndModal Label { width: auto; padding-right: 1; color: $text; }
    VisitEndModal Input { width: 20; }
    VisitEndModal #visit-end-buttons { margin-top: 1; }
    VisitEndModal Button { margin-right: 2; }
    VisitEndModal #visit-end-message { color: $error; height: auto; }
    """

    def __init__(self, visit: VisitView, now: datetime) -> None:
        super().__init__(id="visit-end-question")
        self.visit = visit
        self.now = now

    def compose(self) -> ComposeResult:
        visit = self.visit
        with Vertical():
            yield Static(self.say("访客离开：", "A visitor leaves:"))
            yield Static(f"{visit.name}  {visit.doc_masked}\n"
                         + self.say(f"拜访 {visit.host_unit} {visit.host_name}，{short_time(visit.arrived_at)} 到访",
                                    f"visiting {visit.host_unit} {visit.host_name}, came {short_time(visit.arrived_at)}"),
                         id="visit-end-who")
            with Horizontal():
                yield Label(self.say("离开时间", "Left at"))
                yield Input(short_time(self.now), id="visit-end-at", compact=True, select_on_focus=False)
            yield Static(self.say("Enter 到“确认离开”，再按 Enter 登记；Esc 取消。",
                                  "Enter goes to Record leaving, Enter there records it; Esc cancels."))
            with Horizontal(id="visit-end-buttons"):
                yield Button(self.say("确认离开", "Record leaving"), id="visit-end-confirm", variant="warning",
                             compact=True)
                yield Button(self.say("取消  Esc", "Cancel  Esc"), id="visit-end-cancel", compact=True)
            yield Static("", id="visit-end-message")

    def on_mount(self) -> None:
        self.query_one("#visit-end-at", Input).focus()

    @on(Input.Submitted, "#visit-end-at")
    def _time_typed(self, event: Input.Submitted) -> None:
        event.stop()
        if self._time() is not None:
            self.query_one("#visit-end-confirm", Button).focus()

    @on(Button.Pressed, "#visit-end-confirm")
    def _confirmed(self) -> None:
        left = self._time()
        if left is not None:
            self.dismiss(left)

    @on(Button.Pressed, "#visit-end-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _time(self) -> datetime | None:
        try:
            left = parse_datetime(self.query_one("#visit-end-at", Input).value)
        except InvalidDocument as invalid:
            self.query_one("#visit-end-message", Static).update(invalid.problem.text(self.session.lang))
            return None
        self.query_one("#visit-end-message", Static).update("")
        return left
