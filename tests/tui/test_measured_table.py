"""Every list of the TUI draws a new row's cells at the widths measured for it. Textual's own table keeps
the cells it drew between adding a row and measuring it (a frame a loaded machine draws in between) cut
to the old widths: CI saw a visitor list show "赵访" for 赵访客 until the next key press."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tests.tui.conftest import _screen_text
from tui.widgets.measured_table import MeasuredTable


class OneTable(App[None]):
    def __init__(self, table: DataTable) -> None:  # type: ignore[type-arg]
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table


@pytest.mark.parametrize(("table", "drawn"), [(MeasuredTable(), "赵访客"), (DataTable(), "赵访")],
                         ids=["measured", "textual's own"])
async def test_a_row_drawn_before_it_is_measured_is_drawn_again_at_its_width(table, drawn: str) -> None:
    app = OneTable(table)
    async with app.run_test(size=(60, 10)) as pilot:
        table.add_column("访客", key="name")
        table.add_row("张", key="1")
        await pilot.pause()
        table.clear()
        table.add_row("赵访客", key="1")
        app.screen._on_timer_update()  # noqa: SLF001 - the frame a loaded machine draws before the table is idle,
        _screen_text(app)  # its cells drawn
        await pilot.pause()
        await pilot.pause()
        [_, row, *_] = _screen_text(app).splitlines()
        assert row.strip() == drawn
