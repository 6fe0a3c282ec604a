"""A stay changed from a person's screen: another room (换房), or a later end (续住; for a tenancy the
lease renewed, 续租).

One small question: who (name, room, masked number), what stands now (the room, or the date the stay or
lease ends), one field for the new value. Enter in the field goes to the confirming button and Enter
there asks the agent (`Registry.move` / `Registry.extend`); a refusal is said under the field, in the
person's language, and the question stays open to fix it. Esc goes back at once when nothing was typed,
and asks first (`DiscardModal`) when something was.

A lease ends on a day: it is shown and typed as YYYY-MM-DD, with the year, and no time is invented for
it. A hotel stay ends at a time (YYYY-MM-DD HH:MM), as the register form asks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from agent.domain.errors import InvalidDocument
from agent.validation.datetimes import parse_date, parse_datetime
from tui.screens.discard_modal import dismiss_unless_changed
from tui.screens.modal import DengjiModal
from tui.widgets.people_table import leaving

if TYPE_CHECKING:
    from datetime import date, datetime

    from agent.register.records import Outcome, RegistrationView

MOVE, EXTEND = "move", "extend"


def is_lease(view: RegistrationView) -> bool:
    """A tenancy's end is the lease's: a day, renewed (续租) rather than extended (续住)."""
    return view.kind == "tenancy"


def change_names(view: RegistrationView) -> dict[str, tuple[str, str]]:
    """The words of each change for this stay: 换房 / 续住, or 续租 for a lease."""
    extend = ("续租", "Renew the lease") if is_lease(view) else ("续住", "Extend the stay")
    return {MOVE: ("换房", "Change room"), EXTEND: extend}


class StayChangeModal(DengjiModal):
    """Dismissed with the agent's `Outcome` once the change is recorded, or None (Esc, 取消)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]
    DEFAULT_CSS = """
    StayChangeModal { align: center middle; }
    StayChangeModal > Vertical { width: 58; max-width: 100%; height: auto; border: round $accent;
                                 background: $surface; padding: 0 1; }
    StayChangeModal Static { width: 100%; }
    StayChangeModal #change-who { text-style: bold; }
    StayChangeModal #change-now { margin-bottom: 1; }
    StayChangeModal Horizontal { width: 100%; height: auto; }
    StayChangeModal Label { width: auto; padding-right: 1; color: $text; }
    StayChangeModal Input { width: 1fr; max-width: 24; }
    StayChangeModal #change-buttons { margin-top: 1; }
    StayChangeModal Button { margin-right: 2; }
    StayChangeModal #change-message { color: $error; height: auto; }
    """

    def __init__(self, view: RegistrationView, change: str) -> None:
        super().__init__(id=f"{change}-question")
        self.view = view
        self.change = change
        self.busy = False

    # -- words -------------------------------------------------------------------------------------

    def _title(self) -> str:
        return self.say(*change_names(self.view)[self.change])

    def _now_line(self) -> str:
        view = self.view
        if self.change == MOVE:
            return self.say(f"现在的房号：{view.unit}", f"Room now: {view.unit}")
        end = leaving(view) or self.say("未填写", "not given")
        if is_lease(view):
            return self.say(f"现在的租约到期日：{end}", f"The lease ends now: {end}")
        return self.say(f"现在的预计离开：{end}", f"Expected to leave now: {end}")

    def _field_label(self) -> str:
        if self.change == MOVE:
            return self.say("新房号", "New room")
        if is_lease(self.view):
            return self.say("新的到期日", "New end date")
        return self.say("新的预计离开", "Leaves on")

    def _placeholder(self) -> str:
        if self.change == MOVE:
            return self.say("如 305", "e.g. 305")
        if is_lease(self.view):
            return self.say("如 2026-12-31", "e.g. 2026-12-31")
        return self.say("如 2026-12-01 12:00", "e.g. 2026-12-01 12:00")

    def compose(self) -> ComposeResult:
        view = self.view
        with Vertical():
            yield Static(self._title() + self.say("：", ":"), id="change-title")
            yield Static(f"{view.unit}  {view.name}  {view.doc_masked}", id="change-who")
            yield Static(self._now_line(), id="change-now")
            with Horizontal():
                yield Label(self._field_label())
                yield Input(placeholder=self._placeholder(), id="change-value", compact=True,
                            max_length=20 if self.change == MOVE else 24, select_on_focus=False)
            yield Static(self.say(f"Enter 到“确认{self._title()}”，再按 Enter 登记；Esc 取消。",
                                  "Enter goes to the button, Enter there records it; Esc cancels."),
                         id="change-help")
            with Horizontal(id="change-buttons"):
                yield Button(self.say(f"确认{self._title()}", self._title()), id="change-confirm",
                             variant="primary", compact=True)
                yield Button(self.say("取消  Esc", "Cancel  Esc"), id="change-cancel", compact=True)
            yield Static("", id="change-message")

    def on_mount(self) -> None:
        self.query_one("#change-value", Input).focus()

    # -- the keys ----------------------------------------------------------------------------------

    @on(Input.Submitted, "#change-value")
    def _value_typed(self, event: Input.Submitted) -> None:
        event.stop()
        if self._value() is not None:
            self.query_one("#change-confirm", Button).focus()

    @on(Button.Pressed, "#change-confirm")
    def _confirmed(self) -> None:
        value = self._value()
        if value is not None and not self.busy:
            self.busy = True
            self._say("")
            self._record(value)

    @on(Button.Pressed, "#change-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        """Esc: back at once when nothing was typed, else ask before the typed text is thrown away."""
        if self.busy:
            return
        dismiss_unless_changed(self, bool(self.query_one("#change-value", Input).value.strip()))

    # -- the value and the agent -------------------------------------------------------------------

    def _value(self) -> str | date | datetime | None:
        """What was typed, read as the change takes it, or None after saying what is wrong beside it."""
        text = self.query_one("#change-value", Input).value.strip()
        if not text:
            self._say(self.say(f"请填写{self._field_label()}", f"Type the {self._field_label().lower()}"))
            self.query_one("#change-value", Input).focus()
            return None
        if self.change == MOVE:
            return text
        try:
            return parse_date(text) if is_lease(self.view) else parse_datetime(text)
        except InvalidDocument as invalid:
            self._say(invalid.problem.text(self.session.lang))
            self.query_one("#change-value", Input).focus()
            return None

    @work(thread=True, exclusive=True, group="stay-change")
    def _record(self, value: str | date | datetime) -> None:
        registry = self.session.registry
        assert registry is not None
        if self.change == MOVE:
            outcome = registry.move(self.view.id, str(value))
        else:
            outcome = registry.extend(self.view.id, value)
        self.app.call_from_thread(self._recorded, outcome)

    def _recorded(self, outcome: Outcome) -> None:
        self.busy = False
        if outcome.ok:
            self.dismiss(outcome)
            return
        self._say(outcome.problems[0].text(self.session.lang) if outcome.problems else "")
        self.query_one("#change-value", Input).focus()

    def _say(self, text: str) -> None:
        self.query_one("#change-message", Static).update(text)
