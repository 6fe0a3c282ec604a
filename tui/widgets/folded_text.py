"""Text that breaks into lines as a reader expects (`tui.folding`), again whenever its width changes."""

from __future__ import annotations

from textual import events
from textual.widgets import Static

from tui.folding import fold


class FoldedText(Static):
    DEFAULT_CSS = "FoldedText { height: auto; }"

    def __init__(self, text: str, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.text = text

    def on_resize(self, event: events.Resize) -> None:
        self.update("\n".join(fold(self.text, event.size.width)))

    def set_text(self, text: str) -> None:
        self.text = text
        self.update("\n".join(fold(text, self.size.width)) if self.size.width else text)
