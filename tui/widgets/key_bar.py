"""The line at the foot of every screen that names the keys that work there, in the session's language.

Textual's Footer shows a binding's fixed description; ours must switch between Chinese and English at
run time and match what F1 lists, so it renders from the same `Key` declarations. No key is ever cut or
dropped: when they do not fit on one line (English at 80 columns, anything at 60) the bar takes a
second line, broken between keys, never inside one.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import Static

from tui.keys import Key

_GAP = "  "


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 3;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, keys: Iterable[Key], lang: str, **kwargs: object) -> None:
        self._keys = [key for key in keys if key.on_bar]
        self._lang = lang
        super().__init__(self._render_keys(None), **kwargs)  # type: ignore[arg-type]

    @property
    def entries(self) -> list[str]:
        """Each key as the bar writes it (`Ctrl+Q Quit`): what a test looks for in what was drawn."""
        return [f"{key.shown} {key.text(self._lang)}" for key in self._keys]

    def on_resize(self, event: events.Resize) -> None:
        self.update(self._render_keys(self.content_size.width or event.size.width - 2))

    def _render_keys(self, width: int | None) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        used = 0
        for index, key in enumerate(self._keys):
            entry = cell_len(f"{key.shown} {key.text(self._lang)}")
            if index:
                if width is not None and used + cell_len(_GAP) + entry > width:
                    text.append("\n")
                    used = 0
                else:
                    text.append(_GAP)
                    used += cell_len(_GAP)
            text.append(key.shown, style="bold reverse")
            text.append(" " + key.text(self._lang))
            used += entry
        return text
