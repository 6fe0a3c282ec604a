"""F1: every key of the screen beneath, and what that screen is for, in the session's language."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.keys import Key
from tui.screens.base import DengjiScreen
from tui.screens.modal import DengjiModal
from tui.widgets.folded_text import FoldedText


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

    def __init__(self, screen: DengjiScreen) -> None:
        """The help of `screen`, read again from it at each compose (F9 here switches the language)."""
        super().__init__()
        self._screen = screen

    def compose(self) -> ComposeResult:
        lang = self.session.lang
        screen = self._screen
        title = self.say(screen.TITLE_ZH, screen.TITLE_EN)
        keys: Sequence[Key] = screen.all_keys()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        seen = set()
        for key in keys:
            if key.keys in seen:
                continue
            seen.add(key.keys)
            table.add_row(key.shown, key.text(lang))
        with VerticalScroll() as box:
            box.border_title = self.say(f"帮助：{title}", f"Help: {title}")
            box.border_subtitle = self.say("Esc 关闭", "Esc closes")
            yield FoldedText(screen.help_text(), id="help-about")  # no "。" starts a line
            yield Static(table, id="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)
