"""Record a departure: find the person by name, unit or the document's last digits; Enter checks out.

The list holds only people present now. Typing filters it at once (in memory); Enter in the search
box goes down to the list, and Enter on a person records the departure, now. Swiping the person's ID
card here finds them directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Static

from tui.finding import find
from tui.keys import Key
from tui.messages import Departed
from tui.scanner import IdCardScan, PassportScan, ScanReader
from tui.screens.base import BACK, DengjiScreen
from tui.widgets.people_table import PeopleTable

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.registry import Outcome, RegistrationView


class DepartureScreen(DengjiScreen):
    KEYS = (
        Key("enter", "", "选中的人办理离开", "Check out the highlighted person"),
        Key("down", "to_list", "到列表", "To the list", on_bar=False),
        Key("ctrl+f", "to_search", "查找", "Find", priority=True),
        BACK,
    )
    TITLE_ZH, TITLE_EN = "办理离开", "Departure"
    HELP_ZH = ("输入姓名、房号或证件号码的后几位查找在住的人（也可以直接刷身份证）。\n"
               "按 ↓ 或 Enter 到列表，用 ↑↓ 选中要离开的人，按 Enter 立即登记离开（时间为现在）。")
    HELP_EN = ("Type a name, a unit or the last digits of the document to find someone present (or swipe the "
               "ID card).\nPress Down or Enter to go to the list, pick the person with the arrow keys and press "
               "Enter: the departure is recorded at once, at the current time.")

    def __init__(self, select_id: int | None = None) -> None:
        super().__init__(id="departure")
        self.present: list[RegistrationView] = []
        self.search_text = ""
        self._select_id = select_id
        self._scans = ScanReader()
        self._busy: set[int] = set()

    def compose_body(self):  # type: ignore[no-untyped-def]
        with Horizontal(classes="search-row"):
            yield Label(self.say("查找", "Find"), classes="search-label")
            yield Input(self.search_text, placeholder=self.say("姓名、房号或证件号码后几位", "name, unit or last digits"),
                        id="search", compact=True)
        yield Static("", id="found")
        yield PeopleTable(("unit", "name", "doc", "arrived", "leaves"), self.session.lang, id="present")

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()
        self.load()

    def after_relabel(self) -> None:
        self._filter()

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        registry = self.session.registry
        assert registry is not None
        present = registry.registrations(present_only=True)
        self.app.call_from_thread(self._loaded, present)

    def _loaded(self, present: list[RegistrationView]) -> None:
        self.present = present
        self._filter()
        if self._select_id is not None:
            self._select(self._select_id)
            self._select_id = None

    def _select(self, registration_id: int) -> None:
        table = self.query_one("#present", PeopleTable)
        try:
            row = table.get_row_index(str(registration_id))
        except Exception:  # noqa: BLE001 - the row is not on screen (filtered out or gone)
            return
        table.move_cursor(row=row)
        table.focus()
        view = table.views.get(registration_id)
        if view is not None:
            self.query_one("#found", Static).update(self.say(
                f"找到 {view.unit} {view.name}：按 Enter 办理离开", f"Found {view.unit} {view.name}: Enter checks out"))

    def _filter(self) -> None:
        if self.relabelling:
            return
        matches = find(self.present, self.search_text)
        left_out = self.query_one("#present", PeopleTable).show(matches)
        total = len(matches)
        note = self.say(f"在住 {len(self.present)} 人，找到 {total} 人", f"{len(self.present)} present, {total} found")
        if left_out:
            note += self.say(f"（只显示前 {total - left_out} 人，请输入更多以缩小范围）",
                             f" (showing the first {total - left_out}: type more to narrow)")
        self.query_one("#found", Static).update(note)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value
        self._filter()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        scan = self._scans.feed(event.value)
        if isinstance(scan, IdCardScan | PassportScan):
            event.input.value = ""
            self._find_document(scan)
            return
        self.action_to_list()

    @work(thread=True, exclusive=True, group="find")
    def _find_document(self, scan: IdCardScan | PassportScan) -> None:
        registry = self.session.registry
        assert registry is not None
        doc_type, number = (("resident_id", scan.number) if isinstance(scan, IdCardScan)
                            else ("passport", scan.passport.number))
        present = [v for v in registry.find_by_document(doc_type, number) if v.present]
        self.app.call_from_thread(self._found_document, present)

    def _found_document(self, present: list[RegistrationView]) -> None:
        if not present:
            self.query_one("#found", Static).update(self.say("此人现在不在住", "This person is not present"))
            return
        self._select(present[0].id)

    def action_to_list(self) -> None:
        table = self.query_one("#present", PeopleTable)
        if table.row_count:
            table.focus()

    def action_to_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(DataTable.RowSelected, "#present")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        view = self.query_one("#present", PeopleTable).views.get(int(event.row_key.value or 0))
        if view is None or view.id in self._busy:
            return
        self._busy.add(view.id)
        self._depart(view)

    @work(thread=True, group="depart")
    def _depart(self, view: RegistrationView) -> None:
        registry = self.session.registry
        assert registry is not None
        outcome = registry.depart(view.id)  # the agent stamps the time
        self.app.call_from_thread(self._departed, view, outcome)

    def _departed(self, view: RegistrationView, outcome: Outcome) -> None:
        self._busy.discard(view.id)
        if not outcome.ok:
            self.notify(outcome.problems[0].text(self.session.lang), severity="error", timeout=8)
            return
        delivery = self.session.delivery
        if delivery is not None:
            delivery.send_soon()
        self.present = [v for v in self.present if v.id != view.id]
        self._filter()
        self.query_one("#found", Static).update(self.say(f"已办理离开：{view.unit} {view.name}",
                                                          f"Checked out: {view.unit} {view.name}"))
        self.notify(self.say(f"已办理离开：{view.unit} {view.name}", f"Checked out: {view.unit} {view.name}"))
        self.app.post_message(Departed(view.id))
