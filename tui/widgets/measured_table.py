"""A DataTable that draws its cells again once it has measured new rows: every list of the TUI is one.

Textual's DataTable (8.2) measures the rows added since it was last idle only when it is next idle, and
caches each drawn cell under an update count that measuring does not change. A frame drawn in between
(a loaded machine, a table filled again while it showed rows) caches the cells at the old column widths,
and they stay cut - "赵访" for 赵访客, "410102**" for a masked number - until the next key press. A new
count after measuring draws them at the measured widths.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class MeasuredTable(DataTable[str | Text]):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1
        self.refresh()
