"""What the operator chose for the screen: theme and idle minutes before the lock.

These belong to the terminal UI, not to the agent, so they live in their own small file
(`tui.toml` in the home) rather than in `config.toml`, whose keys the agent checks strictly. The
language is the agent's setting (`config.toml`, `lang`) because the CLI speaks it too. PINs are the
agent's too: operator accounts in the store (`agent.duties.operators`). An older TUI kept one PIN hash here;
it is read as `legacy_pin_hash`, becomes the owner's account once, and is not written back.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from agent.home.config import write_atomically

FILE_NAME = "tui.toml"
THEMES = ("textual-dark", "textual-light")


@dataclass(frozen=True)
class Preferences:
    theme: str = "textual-dark"
    idle_minutes: int = 5
    legacy_pin_hash: str = ""  # the single PIN an older TUI kept here (see the module's docstring)

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
    pin_hash = raw.get("pin_hash")
    if isinstance(pin_hash, str) and pin_hash.startswith("scrypt$"):
        prefs = prefs.but(legacy_pin_hash=pin_hash)
    minutes = raw.get("idle_minutes")
    if isinstance(minutes, int) and not isinstance(minutes, bool) and 1 <= minutes <= 240:
        prefs = prefs.but(idle_minutes=minutes)
    return prefs


def save_preferences(home: Path, prefs: Preferences) -> None:
    home.mkdir(parents=True, exist_ok=True)
    text = f'# dengji terminal UI preferences\ntheme = "{prefs.theme}"\nidle_minutes = {prefs.idle_minutes}\n'
    if prefs.legacy_pin_hash:  # not yet moved into the store: keep it until it is
        text += f'pin_hash = "{prefs.legacy_pin_hash}"\n'
    write_atomically(home / FILE_NAME, text.encode("utf-8"))
