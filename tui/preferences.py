"""What the operator chose for the screen: theme and idle minutes before the lock.

These belong to the terminal UI, not to the agent, so they live in their own small file
(`tui.toml` in the home) rather than in `config.toml`, whose keys the agent checks strictly. The
language is the agent's setting (`config.toml`, `lang`) because the CLI speaks it too. PINs are the
agent's too: operator accounts in the store.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from agent.register.settings import HomeSettings

FILE_NAME = "tui.toml"
THEMES = ("textual-dark", "textual-light")


@dataclass(frozen=True)
class Preferences:
    theme: str = "textual-dark"
    idle_minutes: int = 5

    def but(self, **changes: object) -> Preferences:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_preferences(home: Path) -> Preferences:
    """The saved preferences; defaults for a missing, unreadable or partly wrong file (never fatal:
    a damaged preferences file must not keep a landlord from registering a tenant)."""
    try:
        raw = tomllib.loads((home / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return Preferences()
    prefs = Preferences()
    theme = raw.get("theme")
    if theme in THEMES:
        prefs = prefs.but(theme=theme)
    minutes = raw.get("idle_minutes")
    if isinstance(minutes, int) and not isinstance(minutes, bool) and 1 <= minutes <= 240:
        prefs = prefs.but(idle_minutes=minutes)
    return prefs


def save_preferences(home: Path, prefs: Preferences) -> None:
    text = f'# dengji terminal UI preferences\ntheme = "{prefs.theme}"\nidle_minutes = {prefs.idle_minutes}\n'
    HomeSettings(home).write_file(FILE_NAME, text)
