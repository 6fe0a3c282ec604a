"""Home: who is here now, today's comings and goings, reminders, and where the reports stand.

The menu on the left has the focus, so a clerk presses Enter to register the next person; the F keys
go straight to each task. A card swiped or a passport scanned here opens the right task: check-out
for someone present, registration for anyone else.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.card_reading import TakesCards
from tui.fresh_reads import show_if_latest
from tui.home_facts import HomeFacts, delivery_line, gather, not_reporting
from tui.keys import Key
from tui.scanner import (
    AwaitingSecondLine,
    IdCardScan,
    PassportScan,
    ScanFailed,
    ScanReader,
    ScanResult,
)
from tui.screens.base import DengjiScreen
from tui.screens.undoing import UNDO_KEY, UndoesDepartures
from tui.widgets.people_table import PeopleTable

if TYPE_CHECKING:
    from agent.cardreader import IdentityCard, ReaderError
    from agent.register.delivery import DeliveryState
    from agent.register.records import RegistrationView

_MENU = (
    ("register", "登记新到人员", "Register an arrival", "F2"),
    ("depart", "办理离开", "Record a departure", "F3"),
    ("people", "查看人员", "People", "F4"),
    ("rejected", "被退回的记录", "Rejected records", "F5"),
    ("settings", "设置", "Settings", "F6"),
)
_VISITORS = ("visitors", "访客", "Visitors", "F12")  # hotels and overnight venues record their visitors
_KINDS_WITH_VISITORS = frozenset({"hotel", "overnight"})


DELIVERY_REFRESH_SECONDS = 3

_REMINDERS = {  # agent.duties.reminders codes, as the home screen's side column names them
    # Each fits the side column on one line with its count (" · " + 20 cells + " 99"): a phrase
    # broken over two lines there read as two reminders.
    "permit.missing": ("居住期满未办居住证", "Residence permit due"),
    "lease.ended": ("租期已过未退租", "Lease ended"),
    "stay.overdue": ("已过预计离店时间", "Past check-out time"),
    "lodging.unregistered": ("员工住宿未登记", "Lodging unregistered"),
    "rejected.uncorrected": ("退回超过24小时未更正", "Rejected over 24 h"),
    "backlog.late": ("上报已超时", "Reports are late"),
    "minor.unaccompanied": ("未成年人无成人同住", "Minor, no adult"),
    "visa.overstay": ("超过签证停留期", "Past visa stay"),
    "foreigner.unreported": ("境外人员超24小时未报", "Foreigner unreported"),
    "visit.after_closing": ("访客过了离开时间", "Visitor past closing"),
}
_NAMES_PER_REMINDER = 2  # who each reminder is about, under it; the side column has room for few lines
# On a shorter terminal the names (and the whole not-reporting warning) would push the reminders
# themselves off the screen: the warning is one line there, and the reminders are counts.
_NAMES_FROM_HEIGHT = 24
_PER_PERSON = frozenset({"permit.missing", "lease.ended", "stay.overdue", "lodging.unregistered",
                         "minor.unaccompanied", "visa.overstay", "foreigner.unreported"})
_COUNTED = _PER_PERSON | {"visit.after_closing"}  # a visitor's host is not whom the reminder is about: no names


class HomeScreen(UndoesDepartures, TakesCards, DengjiScreen):
    KEYS = (
        Key("f2", "register", "登记", "Register"),
        Key("f3", "depart", "离开", "Leave"),
        Key("f4", "people", "人员", "People"),
        Key("f5", "rejected", "退回", "Rejected"),
        Key("f6", "settings", "设置", "Settings"),
        Key("f12", "visitors", "访客", "Visitors", on_bar=False),  # in the menu; F7 is the permit check
        Key("ctrl+q", "app.quit", "退出", "Quit"),
        UNDO_KEY,
    )
    TITLE_ZH, TITLE_EN = "首页", "Home"
    HELP_ZH = ("首页显示现在在住的人、今天的到达和离开、提醒，以及上报平台的状态。\n"
               "用 ↑↓ 选择左边的功能，按 Enter 进入；也可以直接按 F2 到 F6，访客按 F12。\n"
               "在首页刷身份证或扫描护照：在住的人会打开离开登记，其他人打开到达登记。\n"
               "办理离开后 15 分钟内按 Ctrl+Z 可以撤销。")
    HELP_EN = ("Home shows who is here now, today's arrivals and departures, reminders, and where the reports "
               "to the platform stand.\nPick a task on the left with the arrow keys and Enter, or press F2 to "
               "F6 (F12: visitors).\nSwipe an ID card or scan a passport here: someone present gets the "
               "check-out, anyone else the registration form.\nCtrl+Z undoes a check-out for 15 minutes after it.")

    def __init__(self) -> None:
        super().__init__(id="home")
        self.facts = HomeFacts()
        self._typed: list[str] = []
        self._scans = ScanReader()

    def compose_body(self):  # type: ignore[no-untyped-def]
        yield Static(delivery_line(self.facts, self.session.lang), id="delivery")
        yield Static("", id="not-reporting")
        with Horizontal(id="home-body"):
            with Vertical(id="home-side"):
                yield OptionList(*(Option(f"{self.say(zh, en)}  {key}", id=action)
                                   for action, zh, en, key in self._menu()), id="menu")
                yield Static(self._today_text(), id="today")
                yield Static(self._reminder_text(), id="reminders")
            with Vertical(id="home-main"):
                yield Static(self._present_title(), id="present-title")
                yield PeopleTable(("unit", "name", "doc", "phone", "arrived", "leaves"), self.session.lang,
                                  self.unit_label(), drop_order=("phone", "leaves", "doc"), id="present")

    def _takes_visitors(self) -> bool:
        venue = self.session.venue
        return venue is not None and venue.kind in _KINDS_WITH_VISITORS

    def _menu(self) -> tuple[tuple[str, str, str, str], ...]:
        """The tasks: the visitors too where the venue records them (a landlord's menu stays short)."""
        return (*_MENU, _VISITORS) if self._takes_visitors() else _MENU

    def on_mount(self) -> None:
        self.query_one("#menu", OptionList).focus()
        self.reload()
        # The sender works in the background (this process or the daemon): keep its line current.
        self.set_interval(DELIVERY_REFRESH_SECONDS, self.refresh_delivery)

    def on_screen_resume(self) -> None:
        self.reload()

    def departures_undone(self, people: list[RegistrationView]) -> None:
        self.reload()

    def store_opened(self) -> None:
        """The store was opened after the first frame: name the venue, then show who is here."""
        from tui.widgets.title_bar import TitleBar

        venue = self.session.venue
        self.query_one(TitleBar).set_venue(venue.name if venue else "")
        menu = self.query_one("#menu", OptionList)
        if self._takes_visitors() and menu.option_count == len(_MENU):
            action, zh, en, key = _VISITORS
            menu.add_option(Option(f"{self.say(zh, en)}  {key}", id=action))
        self.reload()

    @work(thread=True, exclusive=True, group="home")
    def reload(self) -> None:
        """Read the facts off the UI thread (names are decrypted), then show them."""
        registry = self.session.registry
        if registry is None:
            return
        facts = gather(registry, self.session.delivery, self.session.clock())
        show_if_latest(self.app, self._show, facts)

    @work(thread=True, exclusive=True, group="home-delivery")
    def refresh_delivery(self) -> None:
        """Re-read only the delivery state and the outbox counts (two small queries), then show them."""
        registry = self.session.registry
        if registry is None:
            return
        from agent.register.delivery import delivery_state

        delivery = self.session.delivery
        state = delivery.state() if delivery is not None else delivery_state(registry.store)
        self.app.call_from_thread(self._show_delivery, state, registry.outbox_counts(), delivery is not None)

    def _show_delivery(self, state: DeliveryState, outbox: dict[str, int], connected: bool) -> None:
        """Only the sender's part of the facts changes (on the UI thread: a reload may have come between)."""
        from dataclasses import replace

        self.facts = facts = replace(self.facts, delivery=state, outbox=outbox, connected=connected)
        if not self.relabelling:
            self._show_reporting(facts)

    def _show(self, facts: HomeFacts) -> None:
        self.facts = facts
        if self.relabelling:
            return
        self._show_reporting(facts)
        self.query_one("#today", Static).update(self._today_text())
        self.query_one("#reminders", Static).update(self._reminder_text())
        self.query_one("#present-title", Static).update(self._present_title())
        self.query_one("#present", PeopleTable).show(facts.present)

    def _show_reporting(self, facts: HomeFacts) -> None:
        """The delivery line, and the banner when nothing reaches the platform."""
        self.query_one("#delivery", Static).update(delivery_line(facts, self.session.lang))
        warning = not_reporting(facts, self.session.clock(), self.session.lang,
                                short=self.app.size.height < _NAMES_FROM_HEIGHT)
        banner = self.query_one("#not-reporting", Static)
        banner.update(warning or "")
        banner.display = warning is not None

    def after_relabel(self) -> None:
        self._show(self.facts)

    def _present_title(self) -> str:
        if self.session.registry is None:
            return self.say("正在打开登记库……", "Opening the register...")
        unit = self.unit_label()
        return self.say(f"现在在住 {len(self.facts.present)} 人（按{unit}）",
                        f"Here now: {len(self.facts.present)} (by {unit.lower()})")

    def _today_text(self) -> str:
        text = self.say(f"今天到达 {self.facts.arrived_today} 人，离开 {self.facts.departed_today} 人",
                        f"Today: {self.facts.arrived_today} arrived, {self.facts.departed_today} left")
        report = self.facts.daily_report
        if report is not None:
            day, state = report
            sent = state == "sent"
            # Two lines that each fit the side column, rather than one broken where it happens to end.
            text += "\n" + self.say(f"无入住上报 {day:%Y-%m-%d}\n  {'已上报' if sent else '待上报'}",
                                     f"No-arrivals {day:%Y-%m-%d}\n  {'sent' if sent else 'waiting to send'}")
        return text

    def _reminder_text(self) -> str:
        """Reminders by kind, short enough for the side column, each with who it is about (the first two,
        by room and name); `dengji reminders` lists each one."""
        reminders = self.facts.reminders
        if not reminders:
            return self.say("提醒：无", "Reminders: none")
        lines = [self.say("提醒：", "Reminders:")]
        here = {view.id: view for view in self.facts.present}
        for code, count in Counter(r.code for r in reminders).items():
            zh, en = _REMINDERS[code]
            lines.append(f" · {self.say(zh, en)}" + (f" {count}" if code in _COUNTED else ""))
            if code not in _PER_PERSON:
                continue
            who = [here[r.registration_id] for r in reminders
                   if r.code == code and r.registration_id in here]
            named = _NAMES_PER_REMINDER if self.app.size.height >= _NAMES_FROM_HEIGHT else 0
            lines += [f"   {view.unit} {view.name}" for view in who[:named]]
            if named and len(who) > named:
                more = len(who) - named
                lines.append("   " + self.say(f"另有 {more} 人", f"and {more} more"))
        return "\n".join(lines)

    # -- the menu and the keys ---------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#menu")
    def _menu_chosen(self, event: OptionList.OptionSelected) -> None:
        if self._typed:  # a scanner typed a line and its Enter reached the menu
            self._scanned(self._take_typed())
            return
        getattr(self, f"action_{event.option.id}")()

    def on_key(self, event: events.Key) -> None:
        """Collect what a scanner types here; its Enter ends the line."""
        if event.character and event.is_printable and event.character not in " ":
            self._typed.append(event.character)
        elif event.key == "enter" and self._typed and self.focused is not self.query_one("#menu"):
            self._scanned(self._take_typed())

    def _take_typed(self) -> str:
        line, self._typed = "".join(self._typed), []
        return line

    def _scanned(self, line: str) -> None:
        if not self._ready():
            return
        result = self._scans.feed(line)
        if result is None or isinstance(result, AwaitingSecondLine):
            return
        self.open_for_scan(result)

    @work(thread=True, exclusive=True, group="home-scan")
    def open_for_scan(self, scan: ScanResult) -> None:
        """Check-out for someone present, the register form (filled in) for anyone else."""
        registry = self.session.registry
        present = None
        if registry is not None and isinstance(scan, IdCardScan | PassportScan):
            doc_type, number = (("resident_id", scan.number) if isinstance(scan, IdCardScan)
                                else ("passport", scan.passport.number))
            present = next((v for v in registry.find_by_document(doc_type, number) if v.present), None)
        self.app.call_from_thread(self._open, scan, present)

    def _open(self, scan: ScanResult, present: object) -> None:
        from tui.screens.departure_screen import DepartureScreen
        from tui.screens.register_screen import RegisterScreen

        if isinstance(scan, ScanFailed):
            self.notify(scan.problem.text(self.session.lang), severity="error", timeout=8)
            return
        if present is not None:
            self.app.push_screen(DepartureScreen(select_id=present.id))  # type: ignore[attr-defined]
        else:
            self.app.push_screen(RegisterScreen(scan=scan))

    def card_placed(self, card: IdentityCard) -> None:
        """A card laid on the reader here: check-out for its holder if present, else the register form
        filled from it (as a swipe does)."""
        if self._ready():
            self._open_for_card(card)

    def card_problem(self, problem: ReaderError) -> None:
        self.notify(problem.text(self.session.lang), severity="warning", timeout=6)

    @work(thread=True, exclusive=True, group="home-scan")
    def _open_for_card(self, card: IdentityCard) -> None:
        registry = self.session.registry
        assert registry is not None
        present = next((v for v in registry.find_by_document(card.doc_type.value, card.doc_number) if v.present),
                       None)
        self.app.call_from_thread(self._open_card, card, present)

    def _open_card(self, card: IdentityCard, present: RegistrationView | None) -> None:
        from tui.screens.departure_screen import DepartureScreen
        from tui.screens.register_screen import RegisterScreen

        if present is not None:
            self.app.push_screen(DepartureScreen(select_id=present.id))
        else:
            self.app.push_screen(RegisterScreen(card=card))

    def _ready(self) -> bool:
        """False (and a word to the operator) while the store is still being opened."""
        if self.session.registry is None or self.session.venue is None:
            self.notify(self.say("正在打开登记库，请稍候", "Opening the register: one moment"))
            return False
        return True

    def action_register(self) -> None:
        from tui.screens.register_screen import RegisterScreen

        if not self._ready():
            return
        self.app.push_screen(RegisterScreen())

    def action_depart(self) -> None:
        if not self._ready():
            return
        from tui.screens.departure_screen import DepartureScreen

        self.app.push_screen(DepartureScreen())

    def action_people(self) -> None:
        if not self._ready():
            return
        from tui.screens.people_screen import PeopleScreen

        self.app.push_screen(PeopleScreen())

    def action_rejected(self) -> None:
        if not self._ready():
            return
        from tui.screens.rejected_screen import RejectedScreen

        self.app.push_screen(RejectedScreen())

    def action_visitors(self) -> None:
        if not self._ready():
            return
        if not self._takes_visitors():
            self.notify(self.say("访客登记用于旅馆和住宿场所", "Visitors are recorded at hotels and overnight venues"))
            return
        from tui.screens.visitor_screen import VisitorsScreen

        self.app.push_screen(VisitorsScreen())

    def action_settings(self) -> None:
        if not self._ready():
            return
        from tui.screens.settings_screen import SettingsScreen

        self.app.push_screen(SettingsScreen())
