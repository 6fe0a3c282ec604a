"""Settings: language, light or dark, the operator PIN and idle lock, the platform connection."""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static

from agent.config import load_config, save_config
from tui.messages import Enrolled, PinChosen
from tui.preferences import save_preferences
from tui.screens.base import BACK, DengjiScreen
from tui.widgets.choice_select import ChoiceSelect
from tui.widgets.enroll_panel import EnrollPanel
from tui.widgets.pin_panel import PinPanel

_IDLE_CHOICES = (1, 3, 5, 10, 30, 60)


class SettingsScreen(DengjiScreen):
    KEYS = (BACK,)
    TITLE_ZH, TITLE_EN = "设置", "Settings"
    HELP_ZH = ("语言（F9）、深浅色（F8）、操作密码和自动锁屏时间、连接平台。\n"
               "用 Tab 在各项之间移动，Enter 确认。")
    HELP_EN = ("Language (F9), light or dark (F8), the operator PIN and when the screen locks, the platform "
               "connection.\nTab moves between items, Enter confirms.")

    def __init__(self) -> None:
        super().__init__(id="settings")

    def compose_body(self):  # type: ignore[no-untyped-def]
        prefs = self.session.preferences
        with VerticalScroll(id="settings-body") as scroller:
            scroller.can_focus = False
            yield Static(self.say("显示", "Display"), classes="section")
            with Horizontal(classes="setup-row"):
                yield Button(self.say("中文 / English  F9", "English / 中文  F9"), id="lang", compact=True)
                yield Button(self.say("深色 / 浅色  F8", "Dark / light  F8"), id="theme", compact=True)
            yield Static(self.say("操作密码", "Operator PIN"), classes="section")
            yield Static(self.say("已设置密码" if prefs.has_pin else "未设置密码：屏幕不会自动锁定",
                                  "A PIN is set" if prefs.has_pin else "No PIN: the screen never locks"),
                         id="pin-state")
            with Horizontal(classes="setup-row"):
                yield Label(self.say("无操作多久后锁屏", "Lock after idle"))
                yield ChoiceSelect([(self.say(f"{m} 分钟", f"{m} min"), str(m)) for m in _IDLE_CHOICES],
                                   value=str(prefs.idle_minutes) if prefs.idle_minutes in _IDLE_CHOICES else "5",
                                   allow_blank=False, id="idle", compact=True)
            yield PinPanel(self.session.lang, allow_none=prefs.has_pin, id="pin-panel")
            yield Static(self.say("平台", "Platform"), classes="section")
            yield EnrollPanel(self.session.delivery, self.session.lang,
                              load_config(self.session.home).platform_url, id="enroll-panel")

    def on_mount(self) -> None:
        self.query_one("#lang", Button).focus()

    @on(Button.Pressed, "#lang")
    async def _lang(self) -> None:
        await self.app.run_action("switch_language")

    @on(Button.Pressed, "#theme")
    async def _theme(self) -> None:
        await self.app.run_action("toggle_theme")

    @on(ChoiceSelect.Changed, "#idle")
    def _idle(self, event: ChoiceSelect.Changed) -> None:
        if isinstance(event.value, str):
            self._save(self.session.preferences.but(idle_minutes=int(event.value)))

    @on(PinChosen)
    def _pin(self, event: PinChosen) -> None:
        self._save(self.session.preferences.but(pin_hash=event.pin_hash))
        self.query_one("#pin-state", Static).update(
            self.say("已设置密码", "A PIN is set") if event.pin_hash
            else self.say("未设置密码：屏幕不会自动锁定", "No PIN: the screen never locks"))
        self.notify(self.say("密码已保存", "PIN saved") if event.pin_hash else self.say("已取消密码", "PIN removed"))

    @on(Enrolled)
    def _enrolled(self) -> None:
        url = self.query_one(EnrollPanel).url
        home = self.session.home
        save_config(home, replace(load_config(home), platform_url=url))

    def _save(self, prefs) -> None:  # type: ignore[no-untyped-def]
        self.session.preferences = prefs
        save_preferences(self.session.home, prefs)
