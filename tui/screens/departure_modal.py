"""Check-out confirmed: who (name, room, masked number) and when, before anything is written.

A check-out was one stray Enter, at the current time, and two Enters could check out the wrong 张伟.
Now Enter on a person opens this question: it names the person, offers the time (now, to be changed
for a guest who left earlier), and only Enter on the focused 确认离开 button records the departure:
Enter in the time field moves to that button, Esc goes back with nothing written.

When others are registered in the same room (a family, colleagues), the question names them and asks
whether only this person leaves or the whole room (`Registry.depart_room`: all of them at once); only
this person is chosen until the clerk picks the room. A time more than 72 hours back needs the reason
it is recorded late (it goes to the platform): the question asks for it then, and only then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from agent.domain import CHINA_TIME
from agent.domain.errors import InvalidDocument
from agent.validation.datetimes import parse_datetime
from agent.validation.stay_events import BACKDATE_WITHOUT_REASON, LATE_REASON_MAX
from tui.screens.modal import DengjiModal

if TYPE_CHECKING:
    from agent.register.records import RegistrationView

LATE_HOURS = int(BACKDATE_WITHOUT_REASON.total_seconds() // 3600)


@dataclass(frozen=True)
class DepartureChoice:
    """What the clerk confirmed: when, whether the whole room leaves, and why late (if it is)."""

    at: datetime
    whole_room: bool = False
    late_reason: str | None = None


class Choice(RadioButton):
    """A radio button whose mark shows only when chosen: the choice reads without telling colours apart."""

    @property  # type: ignore[override]
    def BUTTON_INNER(self) -> str:  # noqa: N802 - Textual's name
        return "●" if self.value else " "


class RoomChoice(RadioSet):
    """Only this person, or the whole room: ↑↓ choose, Enter takes the choice and moves on to the time."""

    def action_toggle_button(self) -> None:
        super().action_toggle_button()
        self.screen.focus_next()


class DepartureModal(DengjiModal):
    """Dismissed with a `DepartureChoice`, or None (Esc, 取消)."""

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
    DepartureModal #departure-reason { width: 1fr; }
    DepartureModal #departure-scope { width: 100%; margin-bottom: 1; }
    DepartureModal #departure-late { height: auto; display: none; }
    DepartureModal #departure-late.-late { display: block; }
    DepartureModal #departure-late-rule { color: $warning; }
    DepartureModal #departure-buttons { margin-top: 1; }
    DepartureModal Label, DepartureModal #departure-who { color: $text; }
    DepartureModal Button { margin-right: 2; }
    DepartureModal #departure-message { color: $error; height: auto; }
    """

    def __init__(self, view: RegistrationView, now: datetime, others: Sequence[RegistrationView] = ()) -> None:
        super().__init__(id="departure-question")
        self.view = view
        self.now = now
        self.others = tuple(others)

    def compose(self) -> ComposeResult:
        view = self.view
        with Vertical():
            yield Static(self.say("办理离开：", "Check out:"))
            yield Static(f"{view.unit}  {view.name}  {view.doc_masked}", id="departure-who")
            if self.others:
                names = self.say("、", ", ").join(other.name for other in self.others)
                count = len(self.others)
                yield Static(self.say(f"{view.unit} 房还有 {count} 人：{names}",
                                      f"Also in {view.unit}: {names}"), id="departure-room")
                with RoomChoice(id="departure-scope", compact=True):
                    yield Choice(self.say("只办理此人离开", "Only this person"), value=True, id="scope-one")
                    yield Choice(self.say(f"整个房间 {count + 1} 人一起离开",
                                               f"The whole room: all {count + 1} leave"), id="scope-room")
            with Horizontal():
                yield Label(self.say("离开时间", "Left at"))
                yield Input(self.now.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M"), id="departure-at",
                            compact=True)
            with Vertical(id="departure-late"):
                yield Static(self.say(f"离开时间已超过{LATE_HOURS}小时：请写迟报原因（会报给平台）。",
                                      f"That is more than {LATE_HOURS} hours ago: say why it is recorded only now "
                                      "(the platform is told)."), id="departure-late-rule")
                with Horizontal():
                    yield Label(self.say("迟报原因", "Reason"))
                    yield Input(placeholder=self.say("例如：客人早已离开，当班忘记登记",
                                                     "e.g. the night shift forgot to record it"),
                                id="departure-reason", compact=True, max_length=LATE_REASON_MAX)
            choose = self.say("↑↓ 选谁离开，Enter 到离开时间；", "↑↓ choose who leaves, Enter goes to the time; ")
            yield Static((choose if self.others else "") + self.say(
                "时间不对可以改；Enter 到“确认离开”，再按 Enter 登记离开。",
                "change the time if it is not right; Enter goes to Check out, Enter there records it."
                if self.others else "Change the time if it is not right; Enter goes to Check out, Enter there records "
                "it."), id="departure-help")
            with Horizontal(id="departure-buttons"):
                yield Button(self.say("确认离开", "Check out"), id="departure-confirm", variant="warning",
                             compact=True)
                yield Button(self.say("取消  Esc", "Cancel  Esc"), id="departure-cancel", compact=True)
            yield Static("", id="departure-message")

    def on_mount(self) -> None:
        self.app.clear_notifications()  # older notices would cover the question's buttons
        if self.others:
            self.query_one("#departure-scope", RoomChoice).focus()
        else:
            self.query_one("#departure-at", Input).focus()

    @property
    def whole_room(self) -> bool:
        if not self.others:
            return False
        pressed = self.query_one("#departure-scope", RoomChoice).pressed_button
        return pressed is not None and pressed.id == "scope-room"

    @on(RadioSet.Changed, "#departure-scope")
    def _scope_chosen(self) -> None:
        count = len(self.others) + 1
        confirm = self.query_one("#departure-confirm", Button)
        confirm.label = (self.say(f"确认 {count} 人离开", f"Check out all {count}") if self.whole_room
                         else self.say("确认离开", "Check out"))
        confirm.refresh(layout=True)  # the button is as wide as its label

    @on(Input.Submitted, "#departure-at")
    def _time_typed(self, event: Input.Submitted) -> None:
        event.stop()
        left = self._time()
        if left is None:
            return
        if self._late(left):
            self.query_one("#departure-reason", Input).focus()
        else:
            self.query_one("#departure-confirm", Button).focus()

    @on(Input.Submitted, "#departure-reason")
    def _reason_typed(self, event: Input.Submitted) -> None:
        event.stop()
        if self._reason() is not None:
            self.query_one("#departure-confirm", Button).focus()

    @on(Button.Pressed, "#departure-confirm")
    def _confirmed(self) -> None:
        left = self._time()
        if left is None:
            return
        reason = None
        if self._late(left):
            reason = self._reason()
            if reason is None:
                return
        self.dismiss(DepartureChoice(left, self.whole_room, reason))

    @on(Button.Pressed, "#departure-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _say_problem(self, text: str) -> None:
        self.query_one("#departure-message", Static).update(text)

    def _time(self) -> datetime | None:
        """The time typed, or None after saying what is wrong with it beside the field."""
        try:
            left = parse_datetime(self.query_one("#departure-at", Input).value)
        except InvalidDocument as invalid:
            self._say_problem(invalid.problem.text(self.session.lang))
            return None
        self._say_problem("")
        return left

    def _late(self, left: datetime) -> bool:
        """Whether `left` is more than 72 hours back; the reason's field shows exactly then."""
        late = left < self.now - BACKDATE_WITHOUT_REASON
        self.query_one("#departure-late").set_class(late, "-late")
        self.query_one("#departure-help").display = not late  # the reason's rule says what to do then
        return late

    def _reason(self) -> str | None:
        """The late reason typed, or None after asking for it (the field gets the cursor)."""
        field = self.query_one("#departure-reason", Input)
        reason = " ".join(field.value.split())
        if not reason:
            self._say_problem(self.say("请写迟报原因：比如“客人早已离开，前台忘记登记”。",
                                       "Give the reason: e.g. \"the guest left earlier; the desk forgot to record "
                                       "it\"."))
            field.focus()
            return None
        self._say_problem("")
        return reason
