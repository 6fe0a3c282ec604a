"""Everyone registered here, present and past, newest first; Enter opens a person's details.

Document numbers and phones are masked in the list (the agent masks them); the full record stays
in the encrypted store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.widgets import DataTable

from tui.keys import Key
from tui.screens.base import BACK
from tui.screens.search_list import SearchListScreen
from tui.widgets.people_table import PeopleTable

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.register.records import RegistrationView
    from agent.register.registry import Registry


class PeopleScreen(SearchListScreen):
    KEYS = (
        Key("enter", "", "查看详情", "Details"),
        Key("down", "to_list", "到列表", "To the list", on_bar=False),
        Key("ctrl+f", "to_search", "查找", "Find", priority=True),
        Key("f7", "toggle_present", "只看在住/全部", "Present only / all"),
        BACK,
    )
    TITLE_ZH, TITLE_EN = "人员", "People"
    HELP_ZH = ("所有登记过的人，最新的在前。输入姓名、房号或证件号码后几位查找。\n"
               "F7 在“只看在住”和“全部”之间切换；在列表中按 Enter 查看详情和历次登记。")
    HELP_EN = ("Everyone registered here, newest first. Type a name, a unit or the last digits of the document "
               "to find someone.\nF7 switches between people present and everyone; Enter on a row shows the "
               "details and the person's earlier registrations.")

    COLUMNS = ("id", "unit", "name", "doc", "arrived", "departed")
    LIST_ID = "people-list"

    def __init__(self) -> None:
        super().__init__("people")
        self.present_only = False

    def fetch(self, registry: Registry) -> list[RegistrationView]:
        return registry.registrations()

    def pool(self) -> list[RegistrationView]:
        return [v for v in self.views if v.present] if self.present_only else self.views

    def note(self, pool: int, found: int, shown: int) -> str:
        scope = self.say("在住", "present") if self.present_only else self.say("全部", "all")
        unit = "人" if self.present_only else "条"  # who is here are people; the whole register, registrations
        note = self.say(f"{scope} {pool} {unit}，找到 {found} {unit}", f"{scope}: {pool}, found {found}")
        if shown < found:
            note += self.say(f"（只显示前 {shown} 条）", f" (first {shown} shown)")
        return note

    def action_toggle_present(self) -> None:
        self.present_only = not self.present_only
        self._filter()

    @on(DataTable.RowSelected, "#people-list")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        from tui.screens.person_screen import PersonScreen

        view = self.query_one("#people-list", PeopleTable).views.get(int(event.row_key.value or 0))
        if view is None:
            return
        history = [v for v in self.views
                   if v.doc_type == view.doc_type and v.doc_masked == view.doc_masked and v.name == view.name]
        self.app.push_screen(PersonScreen(view, history))
