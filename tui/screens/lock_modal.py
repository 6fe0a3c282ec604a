"""The lock screen: it hides the register after idle time until the operator's PIN is typed.

It covers the whole screen (nothing of the people list shows through) and checks the PIN in a worker
thread, because scrypt is slow on purpose and the screen must not freeze while it runs.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.messages import Unlocked
from tui.pin import verify_pin
from tui.screens.base import DengjiModal


class LockModal(DengjiModal):
    BINDINGS = [Binding("escape", "ignore", show=False)]
    DEFAULT_CSS = """
    LockModal { align: center middle; background: $background; }
    LockModal > Vertical { width: 44; height: auto; border: round $primary; padding: 1 2; }
    LockModal Static { width: 100%; text-align: center; }
    LockModal #lock-message { color: $error; height: 2; }
    LockModal Input { margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.say("登记 dengji 已锁定", "dengji is locked"), id="lock-title")
            yield Static(self.say("请输入操作密码，按 Enter", "Type the operator PIN, then Enter"))
            yield Input(password=True, id="lock-pin", max_length=8, restrict=r"[0-9]*", compact=True)
            yield Static("", id="lock-message")

    def on_mount(self) -> None:
        self.query_one("#lock-pin", Input).focus()

    def action_ignore(self) -> None:
        """Escape does not get past the lock."""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._check(event.value)

    @work(thread=True, exclusive=True)
    def _check(self, pin: str) -> None:
        ok = verify_pin(pin, self.session.preferences.pin_hash)
        self.app.call_from_thread(self._checked, ok)

    def _checked(self, ok: bool) -> None:
        if ok:
            self.app.post_message(Unlocked())
            self.dismiss(None)
            return
        field = self.query_one("#lock-pin", Input)
        field.value = ""
        self.query_one("#lock-message", Static).update(self.say("密码不对，请重新输入", "Wrong PIN: try again"))
