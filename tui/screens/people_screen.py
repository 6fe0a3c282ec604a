"""Everyone registered here, present and past, newest first; Enter opens a person's details.

Document numbers and phones are masked in the list (the agent masks them); the full record stays
in the encrypted store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Static

from tui.finding import find
from tui.keys import Key
from tui.screens.base import BACK, DengjiScreen
from tui.widgets.people_table import PeopleTable

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.registry import RegistrationView


class PeopleScreen(DengjiScreen):
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

    def __init__(self) -> None:
        super().__init__(id="people")
        self.everyone: list[RegistrationView] = []
        self.search_text = ""
        self.present_only = False

    def compose_body(self):  # type: ignore[no-untyped-def]
        with Horizontal(classes="search-row"):
            yield Label(self.say("查找", "Find"), classes="search-label")
            yield Input(self.search_text, placeholder=self.say("姓名、房号或证件号码后几位", "name, unit or last digits"),
                        id="search", compact=True)
        yield Static("", id="found")
        yield PeopleTable(("id", "unit", "name", "doc", "arrived", "departed"), self.session.lang, id="people-list")

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()
        self.load()

    def after_relabel(self) -> None:
        self._filter()

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        registry = self.session.registry
        assert registry is not None
        views = registry.registrations()
        self.app.call_from_thread(self._loaded, views)

    def _loaded(self, views: list[RegistrationView]) -> None:
        self.everyone = views
        self._filter()

    def _filter(self) -> None:
        if self.relabelling:
            return
        pool = [v for v in self.everyone if v.present] if self.present_only else self.everyone
        matches = find(pool, self.search_text)
        left_out = self.query_one("#people-list", PeopleTable).show(matches)
        scope = self.say("在住", "present") if self.present_only else self.say("全部", "all")
        note = self.say(f"{scope} {len(pool)} 条，找到 {len(matches)} 条", f"{scope}: {len(pool)}, found {len(matches)}")
        if left_out:
            note += self.say(f"（只显示前 {len(matches) - left_out} 条）", f" (first {len(matches) - left_out} shown)")
        self.query_one("#found", Static).update(note)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value
        self._filter()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_to_list()

    def action_to_list(self) -> None:
        table = self.query_one("#people-list", PeopleTable)
        if table.row_count:
            table.focus()

    def action_to_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_toggle_present(self) -> None:
        self.present_only = not self.present_only
        self._filter()

    @on(DataTable.RowSelected, "#people-list")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        from tui.screens.person_screen import PersonScreen

        view = self.query_one("#people-list", PeopleTable).views.get(int(event.row_key.value or 0))
        if view is None:
            return
        history = [v for v in self.everyone
                   if v.doc_type == view.doc_type and v.doc_masked == view.doc_masked and v.name == view.name]
        self.app.push_screen(PersonScreen(view, history))
