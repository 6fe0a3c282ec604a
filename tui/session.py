"""The state of one TUI session, kept outside the widgets: the register, the language, the clock, and
who is at the desk.

Screens read it through `DengjiScreen.session`; nothing here imports Textual, so the state can be
built, inspected and changed in tests without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.domain.language import LANGS
from agent.register.settings import HomeSettings
from tui.clock import Clock, china_now
from tui.departures import RecentDepartures
from tui.preferences import Preferences

if TYPE_CHECKING:
    from agent.register.delivery import Delivery
    from agent.register.registry import Registry, Venue


@dataclass
class TuiSession:
    home: Path
    registry: Registry | None
    delivery: Delivery | None = None
    lang: str = "zh"
    clock: Clock = china_now
    preferences: Preferences = field(default_factory=Preferences)
    venue: Venue | None = None  # read once at start and after the setup wizard; one venue per store
    lazy_open: bool = False  # open the register after the first frame (`open_register`, in a worker)
    open_registry: Callable[[], Registry | None] | None = None  # instead of the API's opener (tests, benches)
    make_delivery: Callable[[Registry], Delivery] | None = None  # the sending side, once a store is open
    accounts: bool = False  # the store has operator accounts: log in at start, lock after idle time
    operator: str | None = None  # who logged in last (what the lock screen offers first)
    departures: RecentDepartures = field(default_factory=RecentDepartures)  # check-outs still to be undone

    def use_registry(self, registry: Registry | None) -> None:
        """Work on this register from now on, with a sending side for its store when one can be made."""
        self.registry = registry
        if registry is not None and self.delivery is None and self.make_delivery is not None:
            self.delivery = self.make_delivery(registry)

    @property
    def settings(self) -> HomeSettings:
        """The home's settings (`config.toml`) as the agent's API offers them."""
        return HomeSettings(self.home)

    def open_register(self, *, create: bool = False, passphrase: str | None = None) -> Registry | None:
        """The home's register (None: none here yet, unless `create`), through `open_registry` when one
        was given; `passphrase` unlocks its key file (typed by the person: the TUI never prompts on a
        terminal it owns). Loads SQLModel and derives keys: call it off the UI thread."""
        if self.open_registry is not None and not create:
            return self.open_registry()
        if not create and not self.settings.has_register():
            return None
        from agent.register.opening import open_register

        return open_register(self.home, create=create, prompt=(lambda: passphrase) if passphrase else None)

    def check_accounts(self, registry: Registry | None) -> bool:
        """Note whether `registry`'s store has operator accounts. Database work: call it off the UI
        thread when the store may be slow to answer."""
        self.accounts = registry is not None and registry.accounts.exist()
        return self.accounts

    def act_as(self, operator: str) -> None:
        """From now on, every action is attributed to `operator` (their PIN was just checked)."""
        self.operator = operator
        if self.registry is not None:
            self.registry.operator = operator

    def say(self, zh: str, en: str) -> str:
        """The message in the session's language (every message is written as a zh/en pair)."""
        return en if self.lang == "en" else zh

    def other_lang(self) -> str:
        return LANGS[(LANGS.index(self.lang) + 1) % len(LANGS)] if self.lang in LANGS else "en"
