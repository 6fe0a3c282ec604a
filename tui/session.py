"""The state of one TUI session, kept outside the widgets: the register, the language, the clock.

Screens read it through `DengjiScreen.session`; nothing here imports Textual, so the state can be
built, inspected and changed in tests without a terminal.
"""

from __future__ import annotations

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

    def say(self, zh: str, en: str) -> str:
        """The message in the session's language (every message is written as a zh/en pair)."""
        return en if self.lang == "en" else zh

    def other_lang(self) -> str:
        return LANGS[(LANGS.index(self.lang) + 1) % len(LANGS)] if self.lang in LANGS else "en"
