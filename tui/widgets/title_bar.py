"""The top line of every screen: where we are (venue, screen) and the time, so a clerk never wonders."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.clock import Clock

_WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


class TitleBar(Static):
    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, venue_name: str, title: str, clock: Clock, lang: str, **kwargs: object) -> None:
        self._venue_name = venue_name
        self._title = title
        self._clock = clock
        self._lang = lang
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def set_venue(self, name: str) -> None:
        self._venue_name = name
        self.update(self._line())

    def on_mount(self) -> None:
        self.update(self._line())
        self.set_interval(20, lambda: self.update(self._line()))

    def _line(self) -> Table:
        now = self._clock()
        day = _WEEKDAYS[self._lang][now.weekday()] if self._lang in _WEEKDAYS else ""
        when = now.strftime("%Y-%m-%d %H:%M ") + (f"周{day}" if self._lang == "zh" else day)
        left = Text.assemble(("登记 dengji", "bold"), "  ", self._venue_name, "  ›  ", (self._title, "bold"))
        left.no_wrap, left.overflow = True, "ellipsis"
        line = Table.grid(expand=True)
        line.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        line.add_column(justify="right", no_wrap=True)
        line.add_row(left, when)
        return line
