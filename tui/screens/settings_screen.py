"""Settings: language, light or dark, the operator's PIN and idle lock, the platform connection.

The PIN is the logged-in operator's own (owners manage other accounts with `dengji operator`); on a
store without accounts, setting one here creates the owner's account. Changes that matter to the
venue's duties (the idle lock, the platform, PINs) are entered in the audit trail.
"""

from __future__ import annotations

from textual import on, work
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static

from tui.messages import Enrolled, PinChosen, SettingChanged
from tui.preferences import Preferences, save_preferences
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
        accounts, operator = self.session.accounts, self.session.operator
        with VerticalScroll(id="settings-body") as scroller:
            scroller.can_focus = False
            yield Static(self.say("显示", "Display"), classes="section")
            with Horizontal(classes="setup-row"):
                yield Button(self.say("中文 / English  F9", "English / 中文  F9"), id="lang", compact=True)
                yield Button(self.say("深色 / 浅色  F8", "Dark / light  F8"), id="theme", compact=True)
            yield Static(self.say("操作密码", "Operator PIN"), classes="section")
            yield Static(self._pin_state(), id="pin-state")
            with Horizontal(classes="setup-row"):
                yield Label(self.say("无操作多久后锁屏", "Lock after idle"))
                yield ChoiceSelect([(self.say(f"{m} 分钟", f"{m} min"), str(m)) for m in _IDLE_CHOICES],
                                   value=str(prefs.idle_minutes) if prefs.idle_minutes in _IDLE_CHOICES else "5",
                                   allow_blank=False, id="idle", compact=True)
            yield PinPanel(self.session.lang, allow_none=False,
                           name=None if accounts and operator else self.say("店主", "owner"), id="pin-panel")
            yield Static(self.say("平台", "Platform"), classes="section")
            yield EnrollPanel(self.session.delivery, self.session.lang,
                              self.session.settings.platform_url(), id="enroll-panel")

    def on_mount(self) -> None:
        self.query_one("#lang", Button).focus()

    @on(Button.Pressed, "#lang")
    async def _lang(self) -> None:
        await self.app.run_action("switch_language")

    @on(Button.Pressed, "#theme")
    async def _theme(self) -> None:
        await self.app.run_action("toggle_theme")

    def _pin_state(self) -> str:
        operator = self.session.operator
        if self.session.accounts and operator:
            return self.say(f"当前操作员: {operator}。在这里更改自己的密码。",
                            f"Logged in: {operator}. Change your own PIN here.")
        return self.say("未设置密码：屏幕不会自动锁定。设置密码即建立店主账号。",
                        "No PIN: the screen never locks. Setting one creates the owner's account.")

    @on(ChoiceSelect.Changed, "#idle")
    def _idle(self, event: ChoiceSelect.Changed) -> None:
        if isinstance(event.value, str) and int(event.value) != self.session.preferences.idle_minutes:
            self._save(self.session.preferences.but(idle_minutes=int(event.value)))
            self.post_message(SettingChanged("idle_minutes", int(event.value)))

    @on(PinChosen)
    def _pin(self, event: PinChosen) -> None:
        if event.pin:
            self._set_pin(event.name, event.pin)

    @work(thread=True, exclusive=True, group="pin")
    def _set_pin(self, new_owner: str | None, pin: str) -> None:
        """Change the logged-in operator's PIN, or (no accounts yet) create the owner with it."""
        registry = self.session.registry
        assert registry is not None
        operator = self.session.operator
        if new_owner is None and operator:
            problem = registry.accounts.change_pin(operator, pin)
        else:
            problem = registry.accounts.add_owner(new_owner or "", pin)
        if problem is not None:
            self.app.call_from_thread(self.query_one(PinPanel).show_problem, problem.text(self.session.lang))
            return
        self.app.call_from_thread(self._pin_saved, new_owner)

    def _pin_saved(self, new_owner: str | None) -> None:
        if new_owner is not None:
            self.session.accounts = True
            self.session.act_as(new_owner)
        self.query_one("#pin-state", Static).update(self._pin_state())
        self.notify(self.say("密码已保存", "PIN saved"))

    @on(Enrolled)
    def _enrolled(self) -> None:
        url = self.query_one(EnrollPanel).url
        self.session.settings.set_platform_url(url)
        self.post_message(SettingChanged("platform_url", url))

    def _save(self, prefs: Preferences) -> None:
        self.session.preferences = prefs
        save_preferences(self.session.home, prefs)
