"""F1: every key of the screen beneath, and what that screen is for, in the session's language."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.keys import Key
from tui.screens.modal import DengjiModal


class HelpModal(DengjiModal):
    BINDINGS = [Binding("escape,f1,enter", "close", "Close", show=False)]
    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > VerticalScroll {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpModal #help-about { margin-bottom: 1; }
    """

    def __init__(self, title: str, about: str, keys: Sequence[Key]) -> None:
        super().__init__()
        self._title = title
        self._about = about
        self._keys = keys

    def compose(self) -> ComposeResult:
        lang = self.session.lang
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        seen = set()
        for key in self._keys:
            if key.keys in seen:
                continue
            seen.add(key.keys)
            table.add_row(key.shown, key.text(lang))
        with VerticalScroll() as box:
            box.border_title = self.say(f"帮助：{self._title}", f"Help: {self._title}")
            box.border_subtitle = self.say("Esc 关闭", "Esc closes")
            yield Static(self._about, id="help-about")
            yield Static(table, id="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)
