"""Choose a PIN: typed twice and checked for form here; the agent hashes it (scrypt) and stores it.

With `name`, the panel also asks for the account's name (the wizard's owner, the first account made in
Settings), prefilled with it.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from agent.validation.pin import check_new_pin
from tui.messages import PinChosen


class PinPanel(Vertical):
    DEFAULT_CSS = """
    PinPanel { height: auto; }
    PinPanel Horizontal { height: 1; margin-bottom: 1; }
    PinPanel Label { width: 22; text-align: right; padding-right: 1; }
    PinPanel Input { width: 20; }
    PinPanel Button { margin-right: 2; }
    PinPanel #pin-message { height: 2; color: $error; }
    """

    def __init__(self, lang: str, *, allow_none: bool, name: str | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lang = lang
        self._allow_none = allow_none
        self._name = name

    def say(self, zh: str, en: str) -> str:
        return en if self._lang == "en" else zh

    def compose(self) -> ComposeResult:
        if self._name is not None:
            with Horizontal():
                yield Label(self.say("店主名称", "Owner's name"))
                yield Input(self._name, id="pin-name", max_length=32, compact=True)
        with Horizontal():
            yield Label(self.say("操作密码（4-8位数字）", "PIN (4-8 digits)"))
            yield Input(password=True, id="pin", max_length=8, restrict=r"[0-9]*", compact=True)
        with Horizontal():
            yield Label(self.say("再输入一次", "PIN again"))
            yield Input(password=True, id="pin-again", max_length=8, restrict=r"[0-9]*", compact=True)
        with Horizontal():
            yield Button(self.say("设置密码", "Set PIN"), id="pin-set", compact=True)
            if self._allow_none:
                yield Button(self.say("不设密码", "No PIN"), id="pin-none", compact=True)
        yield Static("", id="pin-message")

    def show_problem(self, text: str) -> None:
        """Say what the agent refused (a name in use, ...)."""
        self.query_one("#pin-message", Static).update(text)

    @on(Input.Submitted, "#pin-name")
    def _name_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _first_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#pin-again", Input).focus()

    @on(Input.Submitted, "#pin-again")
    @on(Button.Pressed, "#pin-set")
    def _set(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        pin = self.query_one("#pin", Input).value
        problem = check_new_pin(pin, self.query_one("#pin-again", Input).value)
        if problem is not None:
            self.show_problem(problem.text(self._lang))
            return
        self.show_problem("")
        name = self.query_one("#pin-name", Input).value.strip() if self._name is not None else None
        self.post_message(PinChosen(pin, name))

    @on(Button.Pressed, "#pin-none")
    def _no_pin(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(PinChosen(""))
