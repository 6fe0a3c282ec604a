"""A table of registrations as lists show them: unit, name, masked document number, times.

Shared by the home screen (who is here), departure (whom to check out) and people (everyone). Rows
are keyed by registration id, so a selection is always the registration, never a row number. Long
lists are cut at `LIMIT` rows with a note: nobody reads 5,000 rows, and filling a table that size
on every keystroke would make typing lag.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

from agent.domain import CHINA_TIME
from tui.widgets.measured_table import MeasuredTable

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
    "phone": ("电话", "Phone"),
    "departed": ("离开", "Left"),
}


def short_time(moment: datetime | None) -> str:
    """A time as lists show it, with its year: `2025-05-01 14:30` (a list spans years; "05-01" does not say
    which)."""
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") if moment else ""


def leaving(view: RegistrationView) -> str:
    """The expected departure: a lease's or a contract's end is a day (`2027-06-05`), a stay's a time."""
    if view.departure_is_a_day:
        day = view.expected_departure_day
        return day.isoformat() if day else ""
    return short_time(view.expected_departure)


class PeopleTable(MeasuredTable):
    DEFAULT_CSS = """
    PeopleTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[str], lang: str, unit_label: str | None = None, *,
                 drop_order: Sequence[str] = (), **kwargs: object) -> None:
        """`columns` in the order shown, when there is room for all (a wide terminal); `drop_order`: the
        ones to leave out, first to last, until the rest fit the width (so a narrow terminal keeps
        the status column and nothing is cut). `unit_label`: what the venue calls a unit (a hotel's
        "Room", a landlord's "Flat or room")."""
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._all_columns = tuple(columns)
        self._drop_order = tuple(drop_order)
        self._unit_label = unit_label
        self._lang = lang
        self._listed: list[RegistrationView] = []
        self.views: dict[int, RegistrationView] = {}
        self._columns: tuple[str, ...] = ()
        self._use_columns(self._all_columns)

    @property
    def columns_shown(self) -> tuple[str, ...]:
        return self._columns

    def _heading(self, column: str) -> str:
        zh, en = _COLUMNS[column]
        return self._unit_label if column == "unit" and self._unit_label else (en if self._lang == "en" else zh)

    def _use_columns(self, columns: tuple[str, ...]) -> None:
        self._columns = columns
        self.clear(columns=True)
        for column in columns:
            self.add_column(self._heading(column), key=column)

    def _fitting(self, width: int) -> tuple[str, ...]:
        """The columns that fit `width` cells, leaving out those of `drop_order` first to last."""
        def needed(column: str) -> int:
            cells = [cell_len(self._heading(column))] + [
                cell_len(str(self._cell(view, column))) for view in self._listed]
            return max(cells) + 2 * self.cell_padding

        columns = list(self._all_columns)
        for column in self._drop_order:
            if sum(needed(c) for c in columns) <= width:
                break
            if column in columns:
                columns.remove(column)
        return tuple(columns)

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.size.width - 1  # a vertical scroll bar may come
        if width <= 0:
            return
        columns = self._fitting(width)
        if columns != self._columns:
            self._use_columns(columns)
            self._fill()

    def show(self, views: Sequence[RegistrationView]) -> int:
        """Fill the table (at most LIMIT rows); returns how many were left out."""
        self._listed = list(views[:LIMIT])
        columns = self._fitting(self.size.width - 1) if self.size.width > 1 else self._columns
        if columns != self._columns:
            self._use_columns(columns)
        self._fill()
        return max(len(views) - LIMIT, 0)

    def _fill(self) -> None:
        self.clear()
        self.views = {view.id: view for view in self._listed}
        for view in self._listed:
            self.add_row(*(self._cell(view, column) for column in self._columns), key=str(view.id))

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
            return leaving(view)
        if column == "phone":
            return view.phone_masked or ""
        if view.departed_at is None:
            return Text("在住" if self._lang == "zh" else "present", style="bold green")
        return short_time(view.departed_at)

    def selected(self) -> RegistrationView | None:
        """The registration under the cursor, if any."""
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return self.views.get(int(row_key.value)) if row_key.value is not None else None
