"""Record a departure: find the person by name, unit or the document's last digits, then confirm.

The list holds only people present now. Typing filters it at once (in memory); Enter in the search
box goes down to the list, and Enter on a person asks (`DepartureModal`: who, and when, now unless
changed) before anything is written. Swiping the person's ID card here finds them directly, and so does
laying it on the desk's reader (`card_placed`; tui/card_reading.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowDoesNotExist

from tui.card_reading import TakesCards
from tui.keys import Key
from tui.messages import Departed
from tui.scanner import IdCardScan, PassportScan, ScanReader
from tui.screens.base import BACK
from tui.screens.departure_modal import DepartureModal
from tui.screens.search_list import SearchListScreen
from tui.widgets.people_table import PeopleTable

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.cardreader import IdentityCard, ReaderError
    from agent.register.records import Outcome, RegistrationView
    from agent.register.registry import Registry


class DepartureScreen(TakesCards, SearchListScreen):
    KEYS = (
        Key("enter", "", "办理离开（先确认）", "Check out (asks first)"),
        Key("down", "to_list", "到列表", "To the list", on_bar=False),
        Key("ctrl+f", "to_search", "查找", "Find", priority=True),
        BACK,
    )
    TITLE_ZH, TITLE_EN = "办理离开", "Departure"
    HELP_ZH = ("输入姓名、房号或证件号码的后几位查找在住的人（也可以直接刷身份证，或把证件放在读卡器上）。\n"
               "按 ↓ 或 Enter 到列表，用 ↑↓ 选中要离开的人，按 Enter：核对姓名、房号和离开时间（默认现在，可以改），"
               "再在“确认离开”上按 Enter。")
    HELP_EN = ("Type a name, a unit or the last digits of the document to find someone present (or swipe the "
               "ID card, or lay it on the reader).\nPress Down or Enter to go to the list, pick the person with the arrow keys and press "
               "Enter: check the name, room and time (now unless you change it), then Enter on Check out.")

    COLUMNS = ("unit", "name", "doc", "arrived", "leaves")
    LIST_ID = "present"

    def __init__(self, select_id: int | None = None) -> None:
        super().__init__("departure")
        self._select_id = select_id
        self._scans = ScanReader()
        self._busy: set[int] = set()

    def fetch(self, registry: Registry) -> list[RegistrationView]:
        return registry.registrations(present_only=True)

    def _loaded(self, views: list[RegistrationView]) -> None:
        super()._loaded(views)
        if self._select_id is not None:
            self._select(self._select_id)
            self._select_id = None

    def _select(self, registration_id: int) -> None:
        table = self.query_one("#present", PeopleTable)
        try:
            row = table.get_row_index(str(registration_id))
        except RowDoesNotExist:  # not on screen: filtered out, or gone
            return
        table.move_cursor(row=row)
        table.focus()
        view = table.views.get(registration_id)
        if view is not None:
            self.query_one("#found", Static).update(self.say(
                f"找到 {view.unit} {view.name}：按 Enter 办理离开", f"Found {view.unit} {view.name}: Enter checks out"))

    def note(self, pool: int, found: int, shown: int) -> str:
        note = self.say(f"在住 {pool} 人，找到 {found} 人", f"{pool} present, {found} found")
        if shown < found:
            note += self.say(f"（只显示前 {shown} 人，请输入更多以缩小范围）",
                             f" (showing the first {shown}: type more to narrow)")
        return note

    def search_entered(self, search: Input) -> None:
        """A card swiped into the search box finds its holder; anything else goes to the list."""
        scan = self._scans.feed(search.value)
        if isinstance(scan, IdCardScan):
            search.value = ""
            self._find_document("resident_id", scan.number)
            return
        if isinstance(scan, PassportScan):
            search.value = ""
            self._find_document("passport", scan.passport.number)
            return
        self.action_to_list()

    def card_placed(self, card: IdentityCard) -> None:
        """A card laid on the reader finds its holder among the people present."""
        self._find_document(card.doc_type.value, card.doc_number)

    def card_problem(self, problem: ReaderError) -> None:
        self.query_one("#found", Static).update(problem.text(self.session.lang))

    @work(thread=True, exclusive=True, group="find")
    def _find_document(self, doc_type: str, number: str) -> None:
        registry = self.session.registry
        assert registry is not None
        present = [v for v in registry.find_by_document(doc_type, number) if v.present]
        self.app.call_from_thread(self._found_document, present)

    def _found_document(self, present: list[RegistrationView]) -> None:
        if not present:
            self.query_one("#found", Static).update(self.say("此人现在不在住", "This person is not present"))
            return
        self._select(present[0].id)

    @on(DataTable.RowSelected, "#present")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        view = self.query_one("#present", PeopleTable).views.get(int(event.row_key.value or 0))
        if view is None or view.id in self._busy:
            return

        def answered(left: object) -> None:
            if isinstance(left, datetime) and view.id not in self._busy:
                self._busy.add(view.id)
                self._depart(view, left)

        self.app.push_screen(DepartureModal(view, self.session.clock()), answered)

    @work(thread=True, group="depart")
    def _depart(self, view: RegistrationView, left: datetime) -> None:
        registry = self.session.registry
        assert registry is not None
        outcome = registry.depart(view.id, left)
        self.app.call_from_thread(self._departed, view, outcome)

    def _departed(self, view: RegistrationView, outcome: Outcome) -> None:
        self._busy.discard(view.id)
        if not outcome.ok:
            self.notify(outcome.problems[0].text(self.session.lang), severity="error", timeout=8)
            return
        delivery = self.session.delivery
        if delivery is not None:
            delivery.send_soon()
        self.views = [v for v in self.views if v.id != view.id]
        self._filter()
        self.query_one("#found", Static).update(self.say(f"已办理离开：{view.unit} {view.name}",
                                                          f"Checked out: {view.unit} {view.name}"))
        self.notify(self.say(f"已办理离开：{view.unit} {view.name}", f"Checked out: {view.unit} {view.name}"))
        self.app.post_message(Departed(view.id))
