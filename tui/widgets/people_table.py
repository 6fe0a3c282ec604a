"""A table of registrations as lists show them: unit, name, masked document number, times.

Shared by the home screen (who is here), departure (whom to check out) and people (everyone). Rows
are keyed by registration id, so a selection is always the registration, never a row number. Long
lists are cut at `LIMIT` rows with a note: nobody reads 5,000 rows, and filling a table that size
on every keystroke would make typing lag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from agent.domain import CHINA_TIME

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.register.records import RegistrationView

LIMIT = 60

_COLUMNS = {
    "id": ("登记号", "No."),
    "unit": ("房号", "Unit"),
    "name": ("姓名", "Name"),
    "doc": ("证件号码", "Document"),
    "arrived": ("到达", "Arrived"),
    "leaves": ("预计离开", "Leaves"),
    "departed": ("离开", "Left"),
}


def short_time(moment: datetime | None) -> str:
    return moment.astimezone(CHINA_TIME).strftime("%m-%d %H:%M") if moment else ""


class PeopleTable(DataTable[str | Text]):
    DEFAULT_CSS = """
    PeopleTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[str], lang: str, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._columns = tuple(columns)
        self._lang = lang
        self.views: dict[int, RegistrationView] = {}
        for column in self._columns:
            zh, en = _COLUMNS[column]
            self.add_column(en if lang == "en" else zh, key=column)

    def show(self, views: Sequence[RegistrationView]) -> int:
        """Fill the table (at most LIMIT rows); returns how many were left out."""
        self.clear()
        self.views = {view.id: view for view in views[:LIMIT]}
        for view in views[:LIMIT]:
            self.add_row(*(self._cell(view, column) for column in self._columns), key=str(view.id))
        return max(len(views) - LIMIT, 0)

    def _cell(self, view: RegistrationView, column: str) -> str | Text:
        if column == "id":
            return str(view.id)
        if column == "unit":
            return view.unit
        if column == "name":
            return view.name
        if column == "doc":
            return view.doc_masked
        if column == "arrived":
            return short_time(view.arrived_at)
        if column == "leaves":
            return short_time(view.expected_departure)
        if view.departed_at is None:
            return Text("在住" if self._lang == "zh" else "present", style="bold green")
        return short_time(view.departed_at)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Textual's DataTable (8.2) measures new rows when it is next idle, but keeps the cells it drew
        # before that at the old column widths: its cell cache is keyed by an update count that measuring
        # does not change. On a loaded machine a frame came in between, and the home screen showed
        # document numbers cut to "410102**" until the next key press. A new count draws them again.
        super()._update_dimensions(new_rows)
        self._update_count += 1
        self.refresh()

    def selected(self) -> RegistrationView | None:
        """The registration under the cursor, if any."""
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return self.views.get(int(row_key.value)) if row_key.value is not None else None
