"""Enroll this device with the platform: the one-time code from the police station and its address.

The work is the injected `Delivery`'s (the uploader's): this panel never speaks HTTP. Without a
Delivery (the uploader is not part of this program yet) it says so, and the operator can enroll later
from Settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tui.messages import Enrolled

if TYPE_CHECKING:  # agent.register.delivery loads SQLModel
    from agent.register.delivery import Delivery


def check_platform_url(url: str, lang: str) -> str | None:
    """What is wrong with a platform address (None: it looks usable).

    >>> check_platform_url("https://gaj.example.cn", "en") is None
    True
    >>> check_platform_url("gaj.example.cn", "en")
    'the address starts with https://'
    """
    if url.startswith("https://") or url.startswith("http://127.0.0.1") or url.startswith("http://localhost"):
        return None
    return "the address starts with https://" if lang == "en" else "平台地址应以 https:// 开头"


class EnrollPanel(Vertical):
    DEFAULT_CSS = """
    EnrollPanel { height: auto; }
    EnrollPanel Horizontal { height: 1; margin-bottom: 1; }
    EnrollPanel Label { width: 22; text-align: right; padding-right: 1; }
    EnrollPanel Input { width: 1fr; max-width: 50; }
    EnrollPanel Button { margin-right: 2; }
    EnrollPanel #enroll-message { height: 3; }
    EnrollPanel #enroll-message.-error { color: $error; }
    """

    def __init__(self, delivery: Delivery | None, lang: str, url: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._delivery = delivery
        self._lang = lang
        self._url = url

    def say(self, zh: str, en: str) -> str:
        return en if self._lang == "en" else zh

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.say("平台地址", "Platform address"))
            yield Input(self._url, placeholder="https://", id="platform-url", compact=True)
        with Horizontal():
            yield Label(self.say("注册码（派出所提供）", "Enrollment code"))
            yield Input(id="enroll-code", compact=True, max_length=64)
        with Horizontal():
            yield Button(self.say("连接平台", "Connect"), id="enroll", compact=True)
        note = "" if self._delivery else self.say(
            "未连接平台：本程序还没有发送模块。可以先登记，以后在“设置”中连接；登记会保存在本机，连接后补传。",
            "Not connected: this program has no sending part yet. You can register now and connect later in "
            "Settings; registrations are kept here and sent once connected.")
        yield Static(note, id="enroll-message")

    @property
    def url(self) -> str:
        return self.query_one("#platform-url", Input).value.strip()

    @on(Input.Submitted, "#platform-url")
    def _url_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#enroll-code", Input).focus()

    @on(Input.Submitted, "#enroll-code")
    @on(Button.Pressed, "#enroll")
    def _connect(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        code = self.query_one("#enroll-code", Input).value.strip()
        problem = None
        if self._delivery is None:
            problem = self.say("未连接平台：本程序还没有发送模块，请以后在“设置”中连接",
                               "Not connected: this program has no sending part yet; connect later in Settings")
        problem = problem or check_platform_url(self.url, self._lang)
        if problem is None and not code:
            problem = self.say("请填写派出所提供的注册码", "Type the enrollment code from the police station")
        if problem is not None:
            self._say(problem, error=True)
            return
        self._say(self.say("正在连接平台……", "Connecting..."))
        self._enroll(code, self.url)

    @work(exclusive=True)
    async def _enroll(self, code: str, url: str) -> None:
        assert self._delivery is not None
        problem = await self._delivery.enroll(code, url)
        if problem is not None:
            self._say(problem.text(self._lang), error=True)
            return
        self._say(self.say("已连接平台", "Connected to the platform"))
        self.post_message(Enrolled())

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#enroll-message", Static)
        message.update(text)
        message.set_class(error, "-error")
