"""The line at the foot of every screen that names the keys that work there, in the session's language.

Textual's Footer shows a binding's fixed description; ours must switch between Chinese and English at
run time and match what F1 lists, so it renders from the same `Key` declarations.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

from tui.keys import Key


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, keys: Iterable[Key], lang: str, **kwargs: object) -> None:
        self._keys = [key for key in keys if key.on_bar]
        self._lang = lang
        super().__init__(self._render_keys(), **kwargs)  # type: ignore[arg-type]

    def _render_keys(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, key in enumerate(self._keys):
            if index:
                text.append("  ")
            text.append(key.shown, style="bold reverse")
            text.append(" " + key.text(self._lang))
        return text
