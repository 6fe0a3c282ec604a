"""The state of one TUI session, kept outside the widgets: the register, the language, the clock.

Screens read it through `DengjiScreen.session`; nothing here imports Textual, so the state can be
built, inspected and changed in tests without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.i18n import LANGS
from tui.clock import Clock, china_now
from tui.preferences import Preferences

if TYPE_CHECKING:
    from agent.delivery import Delivery
    from agent.registry import Registry
    from agent.store.models import Venue


@dataclass
class TuiSession:
    home: Path
    registry: Registry | None
    delivery: Delivery | None = None
    lang: str = "zh"
    clock: Clock = china_now
    preferences: Preferences = field(default_factory=Preferences)
    venue: Venue | None = None  # read once at start and after the setup wizard; one venue per store
    open_registry: Callable[[], Registry | None] | None = None  # opens the store after the first frame
    make_delivery: Callable[[Registry], Delivery] | None = None  # the sending side, once a store is open

    def use_registry(self, registry: Registry | None) -> None:
        """Work on this register from now on, with a sending side for its store when one can be made."""
        self.registry = registry
        if registry is not None and self.delivery is None and self.make_delivery is not None:
            self.delivery = self.make_delivery(registry)

    def say(self, zh: str, en: str) -> str:
        """The message in the session's language (every message is written as a zh/en pair)."""
        return en if self.lang == "en" else zh

    def other_lang(self) -> str:
        return LANGS[(LANGS.index(self.lang) + 1) % len(LANGS)] if self.lang in LANGS else "en"
