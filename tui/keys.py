"""The keys each screen answers to, with their names in Chinese and English.

One declaration serves three readers: Textual (as `Binding`s), the key bar at the foot of every
screen, and the F1 help, which lists every key of the current screen. Keeping them together means the
help can never forget a key that works, or list one that does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding

_SHOWN_NAMES = {"escape": "Esc", "enter": "Enter", "tab": "Tab", "up": "↑", "down": "↓", "left": "←",
                "right": "→", "delete": "Del", "space": "Space"}


@dataclass(frozen=True)
class Key:
    """A key (or keys, comma separated, as Textual writes them), the action it runs, and its name."""

    keys: str
    action: str
    zh: str
    en: str
    on_bar: bool = True  # shown in the key bar; F1 lists every key either way
    priority: bool = False  # runs even when a text field has focus and would take the key

    @property
    def shown(self) -> str:
        """How the first key is printed: `F2`, `Ctrl+S`, `Esc`."""
        first = self.keys.split(",")[0]
        return "+".join(_SHOWN_NAMES.get(part, part.upper() if len(part) <= 3 else part.capitalize())
                        for part in first.split("+"))

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.en, show=False, priority=self.priority)


def bindings(keys: Iterable[Key]) -> list[Binding]:
    """Textual bindings for a screen's keys (a key with no action is listed for help only: Enter in a
    form acts inside the fields, not through a binding)."""
    return [key.binding() for key in keys if key.action]
