"""Choose the operator PIN: typed twice, hashed (scrypt) in a worker thread, never stored in clear."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.messages import PinChosen
from tui.pin import check_new_pin, hash_pin


class PinPanel(Vertical):
    DEFAULT_CSS = """
    PinPanel { height: auto; }
    PinPanel Horizontal { height: 1; margin-bottom: 1; }
    PinPanel Label { width: 22; text-align: right; padding-right: 1; }
    PinPanel Input { width: 20; }
    PinPanel Button { margin-right: 2; }
    PinPanel #pin-message { height: 2; color: $error; }
    """

    def __init__(self, lang: str, *, allow_none: bool, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lang = lang
        self._allow_none = allow_none

    def say(self, zh: str, en: str) -> str:
        return en if self._lang == "en" else zh

    def compose(self) -> ComposeResult:
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
            self.query_one("#pin-message", Static).update(problem.text(self._lang))
            return
        self.query_one("#pin-message", Static).update("")
        self._hash(pin)

    @on(Button.Pressed, "#pin-none")
    def _no_pin(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(PinChosen(""))

    @work(thread=True, exclusive=True)
    def _hash(self, pin: str) -> None:
        hashed = hash_pin(pin)
        self.app.call_from_thread(self.post_message, PinChosen(hashed))
