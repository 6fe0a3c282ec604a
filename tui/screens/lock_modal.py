"""The lock screen: it hides the register at start and after idle time until an operator logs in.

It covers the whole screen (nothing of the people list shows through). The operator is chosen from the
store's accounts - the last one logged in comes first - and the PIN is checked by the agent in a worker
thread: scrypt is slow on purpose, and the agent counts wrong PINs, makes the account wait after too many
and enters every try in the audit trail. Whoever logs in is who the next actions are attributed to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.messages import Unlocked
from tui.screens.modal import DengjiModal
from tui.widgets.choice_select import ChoiceSelect

if TYPE_CHECKING:
    from agent.register.accounts import Login


class LockModal(DengjiModal):
    BINDINGS = [Binding("escape", "ignore", show=False)]
    DEFAULT_CSS = """
    LockModal { align: center middle; background: $background; }
    LockModal > Vertical { width: 44; height: auto; border: round $primary; padding: 1 2; }
    LockModal Static { width: 100%; text-align: center; }
    LockModal #lock-message { color: $error; height: 2; }
    LockModal Input, LockModal ChoiceSelect { margin-top: 1; }
    """

    def __init__(self, names: list[str]) -> None:
        """`names`: the active accounts, the one to offer first in front."""
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.say("登记 dengji 已锁定", "dengji is locked"), id="lock-title")
            if len(self.names) > 1:
                yield Static(self.say("选择操作员，输入密码，按 Enter", "Choose the operator, type the PIN, Enter"))
                yield ChoiceSelect([(n, n) for n in self.names], value=self.names[0], allow_blank=False,
                                   id="lock-operator", compact=True)
            else:
                yield Static(self.say(f"操作员 {self.names[0]}：请输入密码，按 Enter",
                                      f"Operator {self.names[0]}: type the PIN, then Enter") if self.names else "")
            yield Input(password=True, id="lock-pin", max_length=8, restrict=r"[0-9]*", compact=True)
            yield Static("", id="lock-message")

    def on_mount(self) -> None:
        self.query_one("#lock-pin", Input).focus()

    def action_ignore(self) -> None:
        """Escape does not get past the lock."""

    def chosen(self) -> str:
        if len(self.names) > 1:
            value = self.query_one("#lock-operator", ChoiceSelect).value
            return value if isinstance(value, str) else self.names[0]
        return self.names[0] if self.names else ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._check(self.chosen(), event.value)

    @work(thread=True, exclusive=True)
    def _check(self, name: str, pin: str) -> None:
        registry = self.session.registry
        assert registry is not None
        login = registry.accounts.log_in(name, pin)
        self.app.call_from_thread(self._checked, login)

    def _checked(self, login: Login) -> None:
        if login.operator is not None:
            self.session.act_as(login.operator.name)
            self.app.post_message(Unlocked(login.operator.name))
            self.dismiss(None)
            return
        field = self.query_one("#lock-pin", Input)
        field.value = ""
        problem = login.problem
        self.query_one("#lock-message", Static).update(problem.text(self.session.lang) if problem else "")
