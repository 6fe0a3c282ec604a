"""Visitors (访客): who is visiting now.

The list holds the visitors still in, with whom they visit and when they came, under the venue's closing
time for visitors (`Registry.closing_time`; later, reminders list those still in). Enter on a visitor asks
when they left (`VisitEndModal`, now unless changed) and records it; Ctrl+N (or the button), or a card
laid on the reader, opens the visitor's form (`VisitorFormScreen`, tui/screens/visitor_form_screen.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Static

from tui.card_reading import TakesCards
from tui.fresh_reads import show_if_latest
from tui.keys import Key
from tui.screens.base import BACK, DengjiScreen
from tui.screens.visit_end_modal import VisitEndModal
from tui.screens.visitor_form_screen import VisitorFormScreen
from tui.widgets.measured_table import MeasuredTable
from tui.widgets.people_table import short_time
from tui.widgets.reader_status import ReaderStatus

if TYPE_CHECKING:
    from agent.cardreader import IdentityCard, ReaderError
    from agent.register.records import VisitOutcome, VisitView


class VisitorsScreen(TakesCards, DengjiScreen):
    KEYS = (
        Key("ctrl+n", "new_visitor", "登记访客", "New visitor"),
        Key("enter", "", "登记离开", "Record leaving"),
        BACK,
    )
    TITLE_ZH, TITLE_EN = "访客", "Visitors"
    HELP_ZH = ("现在在访的访客，以及他们拜访的人和到访时间。访客须在关闭时间前离开；之后仍在访的会列入提醒。\n"
               "Ctrl+N（或“登记访客”按钮）登记一位访客：把访客的证件放在读卡器上，或手工填写，再选择被访人。\n"
               "在列表中选中一位访客按 Enter：核对离开时间（默认现在），在“确认离开”上按 Enter 登记其离开。")
    HELP_EN = ("The visitors in now, whom they visit and when they came. Visitors must leave by the closing time; "
               "later, the reminders list those still in.\nCtrl+N (or the New visitor button) registers a visitor: "
               "lay their card on the reader or type the document, then pick the person visited.\nOn a visitor, "
               "Enter asks when they left (now unless changed); Enter on Record leaving records it.")

    DEFAULT_CSS = """
    VisitorsScreen #visitors-top { height: 1; }
    VisitorsScreen #visits-note { padding: 0 1; }
    VisitorsScreen #visitors-top Button { margin-right: 2; }
    VisitorsScreen #visits { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__(id="visitors")
        self.visits: list[VisitView] = []
        self.closing: str = ""
        self.late: set[int] = set()  # the visits still in past closing
        self._busy: set[int] = set()

    def compose_body(self):  # type: ignore[no-untyped-def]
        with Horizontal(id="visitors-top"):
            yield Button(self.say("登记访客  Ctrl+N", "New visitor  Ctrl+N"), id="new-visitor", compact=True)
            yield ReaderStatus(self.dengji.card_reading, self.session.lang)
        yield Static(self._note(), id="visits-note")
        table = MeasuredTable(cursor_type="row", zebra_stripes=True, id="visits")
        for key, zh, en in (("id", "访客号", "No."), ("name", "访客", "Visitor"), ("doc", "证件号码", "Document"),
                            ("host", "被访人", "Visiting"), ("came", "到访", "Came")):
            table.add_column(self.say(zh, en), key=key)
        yield table

    def on_mount(self) -> None:
        self.query_one("#new-visitor", Button).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def after_relabel(self) -> None:
        self._show(self.visits, self.closing, self.late)

    @work(thread=True, exclusive=True, group="visits")
    def load(self) -> None:
        registry = self.session.registry
        assert registry is not None
        visits = registry.visits(in_only=True)
        closing = registry.closing_time()
        late = registry.visits_past_closing(visits, closing, now=self.session.clock())
        show_if_latest(self.app, self._show, visits, closing.strftime("%H:%M"), late)

    def _note(self) -> str:
        if not self.closing:
            return ""
        note = self.say(f"访客须在 {self.closing} 前离开。现在在访 {len(self.visits)} 人",
                        f"Visitors leave by {self.closing}. In now: {len(self.visits)}")
        if self.late:
            note += self.say(f"，其中 {len(self.late)} 人已过 {self.closing}，请登记离开",
                             f", {len(self.late)} of them past {self.closing}: record their leaving")
        return note

    def _show(self, visits: list[VisitView], closing: str, late: set[int]) -> None:
        self.visits, self.closing, self.late = visits, closing, late
        if self.relabelling:
            return
        self.query_one("#visits-note", Static).update(self._note())
        table = self.query_one("#visits", DataTable)
        table.clear()
        for visit in visits:
            came = short_time(visit.arrived_at)
            table.add_row(str(visit.id), visit.name, visit.doc_masked, f"{visit.host_unit} {visit.host_name}",
                          Text(came, style="bold red") if visit.id in late else came, key=str(visit.id))

    @on(Button.Pressed, "#new-visitor")
    def action_new_visitor(self) -> None:
        self.app.push_screen(VisitorFormScreen())

    def card_placed(self, card: IdentityCard) -> None:
        """A card laid on the reader here: a new visitor, filled from it."""
        self.app.push_screen(VisitorFormScreen(card=card))

    def card_problem(self, problem: ReaderError) -> None:
        self.query_one("#visits-note", Static).update(problem.text(self.session.lang))

    @on(DataTable.RowSelected, "#visits")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        visit = next((v for v in self.visits if str(v.id) == event.row_key.value), None)
        if visit is None or visit.id in self._busy:
            return

        def answered(left: object) -> None:
            if isinstance(left, datetime) and visit.id not in self._busy:
                self._busy.add(visit.id)
                self._end(visit, left)

        self.app.push_screen(VisitEndModal(visit, self.session.clock()), answered)

    @work(thread=True, group="visit-end")
    def _end(self, visit: VisitView, left: datetime) -> None:
        registry = self.session.registry
        assert registry is not None
        outcome = registry.end_visit(visit.id, left)
        self.app.call_from_thread(self._ended, visit, outcome)

    def _ended(self, visit: VisitView, outcome: VisitOutcome) -> None:
        self._busy.discard(visit.id)
        if not outcome.ok:
            self.notify(outcome.problems[0].text(self.session.lang), severity="error", timeout=8)
            return
        delivery = self.session.delivery
        if delivery is not None:
            delivery.send_soon()
        self.load()
        self.notify(self.say(f"已登记离开：访客 {visit.name}", f"Left: visitor {visit.name}"))
