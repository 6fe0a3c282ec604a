"""The dengji terminal UI: the application object and `run_tui`, the entry the CLI calls.

Kept small on purpose: the app holds the session (state outside the widgets), the keys that work
everywhere (help, language, theme, lock, quit), the lock (at start and after idle time, once the store
has operator accounts), and which screen comes first. Screens do the rest, each in its own module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import App

from agent.domain.errors import DengjiError
from agent.domain.language import LANGS
from tui.card_reading import CardReading
from tui.keys import Key, bindings
from tui.messages import LanguageChanged, PersonInspected, SettingChanged, VenueReady
from tui.preferences import THEMES, load_preferences, save_preferences
from tui.screens.base import DengjiScreen
from tui.screens.help_modal import HelpModal
from tui.screens.home_screen import HomeScreen
from tui.screens.lock_modal import LockModal
from tui.screens.passphrase_modal import PassphraseModal
from tui.screens.setup_screen import SetupScreen
from tui.session import TuiSession

if TYPE_CHECKING:
    from agent.register.delivery import Delivery
    from agent.register.registry import Registry


class DengjiApp(App[None]):
    CSS_PATH = ["styles/app.tcss", "styles/forms.tcss"]
    ENABLE_COMMAND_PALETTE = False
    TITLE = "登记 dengji"
    APP_KEYS: ClassVar[tuple[Key, ...]] = (
        Key("f1", "help", "帮助", "Help", priority=True),
        Key("f9", "switch_language", "English", "中文", priority=True),
        Key("f8", "toggle_theme", "深色/浅色", "Dark/light", on_bar=False, priority=True),
        Key("ctrl+l", "lock", "锁屏", "Lock the screen", on_bar=False, priority=True),
        Key("ctrl+q", "quit", "退出", "Quit", on_bar=False, priority=True),
    )
    BINDINGS = bindings(APP_KEYS)

    def __init__(self, session: TuiSession) -> None:
        super().__init__()
        self.session = session
        self.last_activity = time.monotonic()
        self._delivery_started = False
        self._card_reading: CardReading | None = None

    @property
    def card_reading(self) -> CardReading:
        """The desk's ID card reader, watched while a screen that takes cards is on top (started by
        the first such screen; tui/card_reading.py)."""
        if self._card_reading is None:
            self._card_reading = CardReading(self, self.session)
            self._card_reading.start()
        return self._card_reading

    async def on_unmount(self) -> None:
        if self._card_reading is not None:
            await self._card_reading.stop()  # the port is closed before the process ends

    def on_mount(self) -> None:
        self.theme = self.session.preferences.theme
        if self.session.registry is None and (self.session.lazy_open or self.session.open_registry is not None):
            self.push_screen(HomeScreen())  # painted at once; the store opens behind it, after that frame
            self.call_after_refresh(self._open_store)
        elif self.session.registry is None or self.session.venue is None:
            self.push_screen(SetupScreen())
        else:
            self.push_screen(HomeScreen())
            self._start_delivery()
            if self.session.check_accounts(self.session.registry):
                self.action_lock()  # someone must log in before the register shows
        self.set_interval(15, self.lock_if_idle)

    def _start_delivery(self) -> None:
        """Send from this process while it runs (the delivery waits its turn if a daemon sends)."""
        if self.session.delivery is not None and not self._delivery_started:
            self._delivery_started = True
            self.run_worker(self.session.delivery.run(), group="delivery", exit_on_error=False)

    @work(thread=True, exclusive=True, group="open")
    def _open_store(self, passphrase: str | None = None) -> None:
        """Open the store off the UI thread: loading SQLModel and deriving keys take most of a second,
        and the operator should see the home screen meanwhile, not a blank terminal. A register whose
        keys are sealed by a passphrase is opened once the person has typed it."""
        settings = self.session.settings
        if (passphrase is None and self.session.open_registry is None and settings.has_register()
                and settings.needs_passphrase()):
            self.call_from_thread(self._ask_passphrase, None)
            return
        try:
            registry = self.session.open_register(passphrase=passphrase)
            venue = registry.venue() if registry is not None else None
            self.session.check_accounts(registry)  # the lock waits for it; nothing on screen reads it yet
        except DengjiError as exc:  # no store, a wrong key, a broken form file: said in the user's language
            if passphrase is not None and exc.code == "keys.wrong_passphrase":
                self.call_from_thread(self._ask_passphrase, exc.text(self.session.lang))
            else:
                self.call_from_thread(self.exit, message=exc.text(self.session.lang), return_code=2)
            return
        self.call_from_thread(self._store_opened, registry, venue)

    def _ask_passphrase(self, problem: str | None) -> None:
        """The unlock question; Esc there quits (nothing was typed that could be lost)."""

        def answered(passphrase: object) -> None:
            if isinstance(passphrase, str):
                self._open_store(passphrase)
            else:
                self.exit()

        self.push_screen(PassphraseModal(new=False, problem=problem), answered)

    async def _store_opened(self, registry: Registry | None, venue: object) -> None:
        self.session.use_registry(registry)
        self.session.venue = venue  # type: ignore[assignment]
        if registry is None or venue is None:
            await self.switch_screen(SetupScreen())
        else:
            self._start_delivery()
            if isinstance(self.screen, HomeScreen):
                self.screen.store_opened()
            if self.session.accounts:
                self.action_lock()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A steady text cursor: easier to find for older eyes than a blinking one (and it makes the
        screen the same from one moment to the next, which the snapshot tests rely on)."""
        from textual.widgets import Input

        if isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    # -- the idle lock -----------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        """Lock when the store has operator accounts and nobody has touched the keyboard for the chosen
        minutes."""
        prefs = self.session.preferences
        if self.session.accounts and time.monotonic() - self.last_activity >= prefs.idle_minutes * 60:
            self.action_lock()

    def action_lock(self) -> None:
        registry = self.session.registry
        if not self.session.accounts or registry is None or isinstance(self.screen, LockModal):
            return
        self.push_screen(LockModal(registry.accounts.names(first=self.session.operator)))

    @on(SettingChanged)
    @work(thread=True, group="audit")
    def _setting_changed(self, event: SettingChanged) -> None:
        """Enter a setting changed here in the audit trail, attributed to whoever is logged in."""
        if self.session.registry is not None:
            self.session.registry.record_setting(event.name, event.value)

    @on(PersonInspected)
    @work(thread=True, group="audit")
    def _person_inspected(self, event: PersonInspected) -> None:
        """Enter the look at one person's record in the audit trail, attributed to whoever is logged in."""
        if self.session.registry is not None:
            self.session.registry.record_inspection(event.registration_id)

    # -- keys that work everywhere -----------------------------------------------------------------

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, DengjiScreen):
            say = self.session.say
            self.push_screen(HelpModal(say(screen.TITLE_ZH, screen.TITLE_EN), screen.help_text(), screen.all_keys()))

    async def action_switch_language(self) -> None:
        lang = self.session.other_lang()
        self.session.lang = lang
        self._remember_language(lang)
        for screen in self.screen_stack:
            if isinstance(screen, DengjiScreen):
                if screen is self.screen:
                    await screen.relabel()
                else:
                    screen.stale_language = True
        self.post_message(LanguageChanged(lang))

    @work(thread=True, group="preferences")
    def _remember_language(self, lang: str) -> None:
        """The language is the agent's setting (`config.toml`), shared with the command line."""
        if self.session.registry is not None:  # first run before the store exists: the wizard writes it
            self.session.settings.set_language(lang)  # if it cannot be kept, it still holds for this session

    async def action_quit(self) -> None:
        """Ctrl+Q: quit, after asking when the screen holds typed work that is not saved."""
        screen = self.screen
        if isinstance(screen, DengjiScreen) and screen.has_unsaved_work():
            screen.ask_before_discarding(self.exit)
        else:
            self.exit()

    def action_toggle_theme(self) -> None:
        prefs = self.session.preferences
        theme = THEMES[(THEMES.index(prefs.theme) + 1) % len(THEMES)] if prefs.theme in THEMES else THEMES[0]
        self.session.preferences = prefs.but(theme=theme)
        self.theme = theme
        self._save_preferences()

    @work(thread=True, group="preferences")
    def _save_preferences(self) -> None:
        save_preferences(self.session.home, self.session.preferences)

    @on(VenueReady)
    def _venue_ready(self) -> None:
        self.switch_screen(HomeScreen())
        self._start_delivery()


def build_app(home: Path, lang: str, make_delivery: Callable[[Registry], Delivery] | None = None) -> DengjiApp:
    """The app on `home`'s register as the command line starts it: the home screen paints first and the
    register is opened in a worker thread (none there: first run, the setup wizard creates it), the way
    to start in well under a second. `make_delivery` gives the opened register its sender."""
    session = TuiSession(home=home, registry=None, lang=lang if lang in LANGS else "zh",
                         preferences=load_preferences(home), make_delivery=make_delivery)
    session.lazy_open = True
    return DengjiApp(session)


def run_tui(app: DengjiApp) -> int:
    """Run the app in this terminal; its exit status (2: the register could not be opened, and the app
    said why as it closed)."""
    app.run()
    return app.return_code or 0
