"""Record a departure: find the person by name, unit or the document's last digits, then confirm.

The list holds only people present now. Typing filters it at once (in memory); Enter in the search
box goes down to the list, and Enter on a person asks (`DepartureModal`: who, and when, now unless
changed) before anything is written; when others are registered in the same room, it offers the whole
room at once. Swiping the person's ID card here finds them directly, and so does laying it on the desk's
reader (`card_placed`; tui/card_reading.py). Ctrl+Z undoes the last check-out for 15 minutes
(tui/screens/undoing.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowDoesNotExist

from tui.card_reading import TakesCards
from tui.departures import RecentDeparture
from tui.fresh_reads import show_if_latest
from tui.keys import Key
from tui.messages import Departed
from tui.scanner import IdCardScan, PassportScan, ScanReader
from tui.screens.base import BACK
from tui.screens.departure_modal import DepartureChoice, DepartureModal
from tui.screens.search_list import SearchListScreen
from tui.screens.undoing import UNDO_KEY, UndoesDepartures, undo_hint
from tui.widgets.people_table import PeopleTable

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.cardreader import IdentityCard, ReaderError
    from agent.register.records import RegistrationView
    from agent.register.registry import Registry
    from agent.validation import Problem

UNDO_NOTICE_SECONDS = 20  # long enough to read at the desk, and to still be there back on the home screen


class DepartureScreen(UndoesDepartures, TakesCards, SearchListScreen):
    KEYS = (
        Key("enter", "", "办理离开（先确认）", "Check out (asks first)"),
        Key("down", "to_list", "到列表", "To the list", on_bar=False),
        Key("ctrl+f", "to_search", "查找", "Find", priority=True),
        UNDO_KEY,
        BACK,
    )
    TITLE_ZH, TITLE_EN = "办理离开", "Departure"
    HELP_ZH = ("输入姓名、房号或证件号码的后几位查找在住的人（也可以直接刷身份证，或把证件放在读卡器上）。\n"
               "按 ↓ 或 Enter 到列表，用 ↑↓ 选中要离开的人，按 Enter：核对姓名、房号和离开时间（默认现在，可以改），"
               "再在“确认离开”上按 Enter。同房间还有别人时，可以选“整个房间一起离开”。\n"
               "离开时间在 72 小时以前要写迟报原因。办理离开后 15 分钟内按 Ctrl+Z 可以撤销。")
    HELP_EN = ("Type a name, a unit or the last digits of the document to find someone present (or swipe the "
               "ID card, or lay it on the reader).\nPress Down or Enter to go to the list, pick the person with the arrow keys and press "
               "Enter: check the name, room and time (now unless you change it), then Enter on Check out. When "
               "others share the room, you can check out the whole room at once.\nA time more than 72 hours back "
               "needs the reason it is late. Ctrl+Z undoes a check-out for 15 minutes.")

    COLUMNS = ("unit", "name", "doc", "phone", "arrived", "leaves")
    DROP_ORDER = ("phone", "leaves", "arrived")
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
        show_if_latest(self.app, self._found_document, present)

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
        others = [v for v in self.views if v.unit == view.unit and v.id != view.id]

        def answered(choice: object) -> None:
            if isinstance(choice, DepartureChoice) and view.id not in self._busy:
                people = [view, *others] if choice.whole_room else [view]
                self._busy.update(v.id for v in people)
                self._depart(people, choice)

        self.app.push_screen(DepartureModal(view, self.session.clock(), others), answered)

    @work(thread=True, group="depart")
    def _depart(self, people: list[RegistrationView], choice: DepartureChoice) -> None:
        """One person, or the whole room as the question named it (if the room changed since the list
        was read - someone checked in or out at another desk - nothing is written and the list is read
        again)."""
        registry = self.session.registry
        assert registry is not None
        view = people[0]
        if not choice.whole_room:
            outcome = registry.depart(view.id, choice.at, late_reason=choice.late_reason)
            self.app.call_from_thread(self._departed, people, choice, outcome.problems)
            return
        if {v.id for v in registry.occupants(view.unit)} != {v.id for v in people}:
            self.app.call_from_thread(self._room_changed, people)
            return
        room = registry.depart_room(view.unit, choice.at, late_reason=choice.late_reason)
        left = [v for v in people if v.id in room.registration_ids]
        self.app.call_from_thread(self._departed, left or people, choice, room.problems)

    def _room_changed(self, people: list[RegistrationView]) -> None:
        self._busy.difference_update(v.id for v in people)
        self.notify(self.say(f"{people[0].unit} 房的住客刚有变化，没有办理离开：请看名单后再办理",
                             f"Who is in {people[0].unit} has just changed; nobody was checked out: check the "
                             "list and try again"), severity="warning", timeout=10)
        self.load()

    def _departed(self, people: list[RegistrationView], choice: DepartureChoice, problems: list[Problem]) -> None:
        self._busy.difference_update(v.id for v in people)
        if problems:
            self.notify(problems[0].text(self.session.lang), severity="error", timeout=10)
            return
        delivery = self.session.delivery
        if delivery is not None:
            delivery.send_soon()
        departure = RecentDeparture(tuple(people), self.session.clock(), choice.whole_room)
        self.session.departures.add(departure)
        gone = {v.id for v in people}
        self.views = [v for v in self.views if v.id not in gone]
        self._filter()
        names = self.say("、", ", ").join(v.name for v in people)
        said = self.say(f"已办理离开：{people[0].unit} {names}", f"Checked out: {people[0].unit} {names}")
        hint = undo_hint(self.session.lang, departure.until)
        self.query_one("#found", Static).update(self.say(f"{said}，{hint}", f"{said}; {hint}"))
        self.app.clear_notifications()  # one notice at a time: a stack of them hides the list at 60x20
        self.notify(self.say(f"{said}。{hint}", f"{said}. {hint}"), timeout=UNDO_NOTICE_SECONDS)
        for v in people:
            self.app.post_message(Departed(v.id))

    def departures_undone(self, people: list[RegistrationView]) -> None:
        self.load()
