"""Enroll this device with the platform: its address, and the one-time code and the platform key's
fingerprint the police station hands over.

The address is checked by the one rule (`protocol.platform_url`: https, or http to this machine only)
before anything is sent; the fingerprint goes with the code to the uploader, which refuses a platform
whose key has another (and, off this machine, one enrolled without it). The work is the injected
`Delivery`'s (the uploader's): this panel never speaks HTTP. Without a Delivery (the uploader is not part
of this program yet) it says so, and the operator can enroll later from Settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from protocol.platform_url import platform_url_problem
from tui.messages import Enrolled

if TYPE_CHECKING:  # agent.register.delivery loads SQLModel
    from agent.register.delivery import Delivery


def check_platform_url(url: str, lang: str) -> str | None:
    """What is wrong with a platform address (None: it may be used), by the rule every part of dengji
    follows (`protocol.platform_url`): the parsed host, not how the text begins.

    >>> check_platform_url("https://gaj.example.cn", "en") is None
    True
    >>> check_platform_url("http://localhost.attacker.example", "en")[:44]
    'The platform address must start with https:/'
    """
    problem = platform_url_problem(url)
    return None if problem is None else problem.text(lang)


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
            yield Label(self.say("平台密钥指纹", "Key fingerprint"))
            yield Input(id="enroll-fingerprint", placeholder="XXXX-XXXX-XXXX-XXXX", compact=True, max_length=32)
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
    def _code_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#enroll-fingerprint", Input).focus()

    @on(Input.Submitted, "#enroll-fingerprint")
    @on(Button.Pressed, "#enroll")
    def _connect(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        code = self.query_one("#enroll-code", Input).value.strip()
        fingerprint = self.query_one("#enroll-fingerprint", Input).value.strip() or None
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
        self._enroll(code, self.url, fingerprint)

    @work(exclusive=True)
    async def _enroll(self, code: str, url: str, fingerprint: str | None) -> None:
        assert self._delivery is not None
        problem = await self._delivery.enroll(code, url, fingerprint=fingerprint)
        if problem is not None:
            self._say(problem.text(self._lang), error=True)
            return
        self._say(self.say("已连接平台", "Connected to the platform"))
        self.post_message(Enrolled())

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#enroll-message", Static)
        message.update(text)
        message.set_class(error, "-error")
