"""The passphrase that seals the register's keys, on a machine without an OS keyring.

Set once in the setup wizard (typed twice, at least 10 characters, with why it matters), then typed at
each start to unlock the register. The TUI asks for it itself: a landlord is never told to set an
environment variable. Nothing typed here is kept beyond opening the register.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from agent.validation.passphrase import RULE_EN, RULE_ZH, check_new_passphrase
from tui.screens.modal import DengjiModal


class PassphraseModal(DengjiModal):
    """Dismissed with the passphrase, or None when the person backs out (Esc)."""

    BINDINGS = [Binding("escape", "back_out", "Back", show=False)]
    DEFAULT_CSS = """
    PassphraseModal { align: center middle; }
    PassphraseModal > Vertical { width: 58; max-width: 100%; height: auto; border: round $primary;
                                 background: $surface; padding: 0 1; }
    PassphraseModal Static { width: 100%; }
    PassphraseModal Label { margin-top: 1; }
    PassphraseModal Input { width: 100%; }
    PassphraseModal #passphrase-message { color: $error; height: auto; }
    """

    def __init__(self, *, new: bool, problem: str | None = None) -> None:
        super().__init__(id="passphrase")
        self.new = new
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.new:
                yield Static(self.say(
                    f"本机没有系统密钥环，请设一个口令来加密登记库（{RULE_ZH}）。"
                    "每次打开都要输入它；忘记了登记库就无法打开，请记下来，dengji backup 的备份会保留一份。",
                    f"This machine has no keyring: choose a passphrase that encrypts the register ({RULE_EN}). "
                    "You type it at every start; forget it and the register cannot be "
                    "opened, so write it down (a `dengji backup` keeps a copy)."))
                yield Label(self.say("口令", "Passphrase"))
                yield Input(password=True, id="passphrase-1", compact=True)
                yield Label(self.say("再输入一次", "Passphrase again"))
                yield Input(password=True, id="passphrase-2", compact=True)
            else:
                yield Static(self.say("请输入登记库的口令来打开它（Esc 退出）。",
                                      "Type the register's passphrase to open it (Esc quits)."))
                yield Label(self.say("口令", "Passphrase"))
                yield Input(password=True, id="passphrase-1", compact=True)
            yield Static(self.problem or "", id="passphrase-message")

    def on_mount(self) -> None:
        self.query_one("#passphrase-1", Input).focus()

    @on(Input.Submitted, "#passphrase-1")
    def _first_typed(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.new:
            if event.value:
                self.dismiss(event.value)
            return
        problem = check_new_passphrase(event.value)
        if problem is not None:
            self._show(problem.text(self.session.lang))
            return
        self._show("")
        self.query_one("#passphrase-2", Input).focus()

    @on(Input.Submitted, "#passphrase-2")
    def _second_typed(self, event: Input.Submitted) -> None:
        event.stop()
        first = self.query_one("#passphrase-1", Input).value
        problem = check_new_passphrase(first, event.value)
        if problem is not None:
            self._show(problem.text(self.session.lang))
            if problem.field == "passphrase":
                self.query_one("#passphrase-1", Input).focus()
            else:
                event.input.value = ""
            return
        self.dismiss(first)

    def _show(self, text: str) -> None:
        self.query_one("#passphrase-message", Static).update(text)

    def action_back_out(self) -> None:
        self.dismiss(None)
