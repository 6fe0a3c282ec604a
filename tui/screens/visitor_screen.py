"""Visitors (访客): who is visiting now, registering a visitor, and their leaving.

The list holds the visitors still in, with whom they visit and when they came, under the venue's closing
time for visitors (`Registry.closing_time`; later, reminders list those still in). Enter on a visitor asks
when they left (now, unless changed) and records it; Ctrl+N (or the button) opens the visitor's form.

The form takes the visitor's document as the register form does: typed, or filled by a card laid on the
reader (`card_placed`). The host is found among the people present as the departure screen finds them
(name, room or the document's last digits; `agent.register.search.find`) and picked with Enter. Ctrl+S
saves (`Registry.visit`); what the agent refuses is said under the form, at the field it is about. Esc
leaves at once when nothing was typed, else asks first.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, Static

from agent.domain import CHINA_TIME, DocType
from agent.domain.codes import countries, doc_types, label, sexes
from agent.domain.errors import InvalidDocument
from agent.register.search import find
from agent.validation.datetimes import parse_datetime
from agent.validation.words import code_in_table
from tui.card_reading import TakesCards
from tui.keys import Key
from tui.screens.base import BACK, DengjiScreen
from tui.screens.modal import DengjiModal
from tui.widgets.choice_select import ChoiceSelect
from tui.widgets.people_table import PeopleTable, short_time
from tui.widgets.reader_status import ReaderStatus

if TYPE_CHECKING:
    from agent.cardreader import IdentityCard, ReaderError
    from agent.register.records import RegistrationView, VisitOutcome, VisitView

_FOREIGN = (DocType.PASSPORT.value, DocType.FOREIGN_PERMANENT_ID.value)
_FIELD_OF_PROBLEM = {"visitor.doc_type": "v-doc_type", "visitor.doc_number": "v-doc_number",
                     "visitor.name": "v-name", "visitor.sex": "v-sex", "visitor.nationality": "v-nationality",
                     "visitor.phone": "v-phone", "arrived_at": "v-arrived", "host": "host-search"}


# -- the list of visitors in --------------------------------------------------------------------------


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
    VisitorsScreen #visitors-top Button { margin-right: 2; }
    VisitorsScreen #visits { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__(id="visitors")
        self.visits: list[VisitView] = []
        self.closing: str = ""
        self._busy: set[int] = set()

    def compose_body(self):  # type: ignore[no-untyped-def]
        with Horizontal(id="visitors-top"):
            yield Button(self.say("登记访客  Ctrl+N", "New visitor  Ctrl+N"), id="new-visitor", compact=True)
            yield ReaderStatus(self.dengji.card_reading, self.session.lang)
        yield Static(self._note(), id="visits-note")
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True, id="visits")
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
        self._show(self.visits, self.closing)

    @work(thread=True, exclusive=True, group="visits")
    def load(self) -> None:
        registry = self.session.registry
        assert registry is not None
        visits = registry.visits(in_only=True)
        closing = registry.closing_time().strftime("%H:%M")
        self.app.call_from_thread(self._show, visits, closing)

    def _note(self) -> str:
        if not self.closing:
            return ""
        note = self.say(f"访客须在 {self.closing} 前离开。现在在访 {len(self.visits)} 人",
                        f"Visitors leave by {self.closing}. In now: {len(self.visits)}")
        if self.visits and self.session.clock().astimezone(CHINA_TIME).strftime("%H:%M") >= self.closing:
            note += self.say(f"：已过 {self.closing}，请登记离开", f": past {self.closing}, record their leaving")
        return note

    def _show(self, visits: list[VisitView], closing: str) -> None:
        self.visits, self.closing = visits, closing
        if self.relabelling:
            return
        self.query_one("#visits-note", Static).update(self._note())
        table = self.query_one("#visits", DataTable)
        table.clear()
        for visit in visits:
            table.add_row(str(visit.id), visit.name, visit.doc_masked, f"{visit.host_unit} {visit.host_name}",
                          short_time(visit.arrived_at), key=str(visit.id))

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


class VisitEndModal(DengjiModal):
    """A visitor's leaving confirmed: who, and when (now unless changed). Dismissed with the time or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]
    DEFAULT_CSS = """
    VisitEndModal { align: center middle; }
    VisitEndModal > Vertical { width: 56; max-width: 100%; height: auto; border: round $warning;
                               background: $surface; padding: 0 1; }
    VisitEndModal Static { width: 100%; }
    VisitEndModal #visit-end-who { text-style: bold; margin-bottom: 1; }
    VisitEndModal Horizontal { width: 100%; height: auto; }
    VisitEndModal Label { width: auto; padding-right: 1; color: $text; }
    VisitEndModal Input { width: 20; }
    VisitEndModal #visit-end-buttons { margin-top: 1; }
    VisitEndModal Button { margin-right: 2; }
    VisitEndModal #visit-end-message { color: $error; height: auto; }
    """

    def __init__(self, visit: VisitView, now: datetime) -> None:
        super().__init__(id="visit-end-question")
        self.visit = visit
        self.now = now

    def compose(self) -> ComposeResult:
        visit = self.visit
        with Vertical():
            yield Static(self.say("访客离开：", "A visitor leaves:"))
            yield Static(f"{visit.name}  {visit.doc_masked}\n"
                         + self.say(f"拜访 {visit.host_unit} {visit.host_name}，{short_time(visit.arrived_at)} 到访",
                                    f"visiting {visit.host_unit} {visit.host_name}, came {short_time(visit.arrived_at)}"),
                         id="visit-end-who")
            with Horizontal():
                yield Label(self.say("离开时间", "Left at"))
                yield Input(short_time(self.now), id="visit-end-at", compact=True, select_on_focus=False)
            yield Static(self.say("Enter 到“确认离开”，再按 Enter 登记；Esc 取消。",
                                  "Enter goes to Record leaving, Enter there records it; Esc cancels."))
            with Horizontal(id="visit-end-buttons"):
                yield Button(self.say("确认离开", "Record leaving"), id="visit-end-confirm", variant="warning",
                             compact=True)
                yield Button(self.say("取消  Esc", "Cancel  Esc"), id="visit-end-cancel", compact=True)
            yield Static("", id="visit-end-message")

    def on_mount(self) -> None:
        self.query_one("#visit-end-at", Input).focus()

    @on(Input.Submitted, "#visit-end-at")
    def _time_typed(self, event: Input.Submitted) -> None:
        event.stop()
        if self._time() is not None:
            self.query_one("#visit-end-confirm", Button).focus()

    @on(Button.Pressed, "#visit-end-confirm")
    def _confirmed(self) -> None:
        left = self._time()
        if left is not None:
            self.dismiss(left)

    @on(Button.Pressed, "#visit-end-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _time(self) -> datetime | None:
        try:
            left = parse_datetime(self.query_one("#visit-end-at", Input).value)
        except InvalidDocument as invalid:
            self.query_one("#visit-end-message", Static).update(invalid.problem.text(self.session.lang))
            return None
        self.query_one("#visit-end-message", Static).update("")
        return left


# -- registering a visitor ----------------------------------------------------------------------------


class _Row(Horizontal):
    """A label and its input, one line high (as the register form's rows)."""

    DEFAULT_CSS = """
    _Row { height: 1; }
    _Row > Label { width: 16; padding: 0 1 0 0; text-align: right; color: $text; text-wrap: nowrap;
                   text-overflow: ellipsis; }
    _Row > Input, _Row > ChoiceSelect { width: 1fr; max-width: 44; }
    """

    def __init__(self, text: str, field: Widget, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._text = text
        self._field = field

    def compose(self) -> ComposeResult:
        yield Label(self._text)
        yield self._field


class VisitorFormScreen(TakesCards, DengjiScreen):
    KEYS = (
        Key("ctrl+s", "save", "保存", "Save"),
        Key("enter", "", "下一项", "Next field"),
        BACK,
    )
    TITLE_ZH, TITLE_EN = "登记访客", "New visitor"
    HELP_ZH = ("把访客的证件放在读卡器上，证件上的各项自动填好；也可以手工填写。每填一项按 Enter 到下一项。\n"
               "“被访人”：输入在住人员的姓名、房号或证件号码后几位，按 Enter 到列表，选中后再按 Enter。\n"
               "填好后按 Ctrl+S 保存。Esc 返回（已填写的内容会先问）。")
    HELP_EN = ("Lay the visitor's card on the reader and the document's fields fill in, or type them. Enter moves "
               "to the next field.\nVisiting: type the name, room or last digits of someone present, Enter goes to "
               "the list, Enter there picks them.\nCtrl+S saves. Esc goes back (asking first if something was "
               "typed).")

    DEFAULT_CSS = """
    VisitorFormScreen #visitor-reader { height: 1; }
    VisitorFormScreen #visitor-card { width: auto; padding-right: 2; }
    VisitorFormScreen #hosts { height: 1fr; min-height: 4; }
    VisitorFormScreen #visitor-body { height: 1fr; }
    """

    def __init__(self, card: IdentityCard | None = None) -> None:
        super().__init__(id="visitor-form")
        self.values: dict[str, str] = {"v-doc_type": DocType.RESIDENT_ID.value}
        self.present: list[RegistrationView] = []
        self.host: RegistrationView | None = None
        self.search_text = ""
        self.message = ""
        self.saving = False
        self._card_extra: tuple[str, dict[str, str]] | None = None  # (its number, what else the card gave)
        self._pending_card = card
        self._arrived_default = ""

    # -- building ----------------------------------------------------------------------------------

    def compose_body(self):  # type: ignore[no-untyped-def]
        lang = self.session.lang
        say = self.say
        if not self._arrived_default:
            self._arrived_default = short_time(self.session.clock())
            self.values.setdefault("v-arrived", self._arrived_default)
        value = self.values.get
        kinds = [(label(entry, lang), key) for key, entry in doc_types().items()
                 if key != DocType.NONE_WITH_GUARDIAN.value]
        sex_options = [(label(entry, lang), key) for key, entry in sexes().items()]
        names = [label(entry, lang) for entry in countries().values()]
        with VerticalScroll(id="visitor-body"):
            with Horizontal(id="visitor-reader"):
                yield Static(say("访客证件可放在读卡器上", "Lay the visitor's card on the reader"), id="visitor-card")
                yield ReaderStatus(self.dengji.card_reading, lang)
            yield _Row(say("证件类型", "Document"), ChoiceSelect(
                kinds, prompt=say("请选择", "Choose"), id="v-doc_type", compact=True,
                value=value("v-doc_type") or ChoiceSelect.NULL))
            yield _Row(say("证件号码", "Number"), Input(value("v-doc_number", ""), id="v-doc_number", compact=True,
                                                    max_length=32, select_on_focus=False))
            yield _Row(say("姓名", "Name"), Input(value("v-name", ""), id="v-name", compact=True, max_length=64,
                                                select_on_focus=False))
            yield _Row(say("性别", "Sex"), ChoiceSelect(
                sex_options, prompt=say("身份证自动带出", "From a resident ID"), id="v-sex", compact=True,
                value=value("v-sex") or ChoiceSelect.NULL))
            yield _Row(say("国籍(地区)", "Nationality"), Input(
                value("v-nationality", ""), id="v-nationality", compact=True, select_on_focus=False,
                placeholder=say("如 美国", "e.g. United States"), suggester=SuggestFromList(names, case_sensitive=False)),
                id="row-nationality")
            yield _Row(say("电话", "Phone"), Input(value("v-phone", ""), id="v-phone", compact=True, max_length=20,
                                                 placeholder=say("可不填", "optional"), select_on_focus=False))
            yield _Row(say("到访时间", "Came at"), Input(value("v-arrived", ""), id="v-arrived", compact=True,
                                                    select_on_focus=False))
            yield _Row(say("被访人", "Visiting"), Input(
                self.search_text, id="host-search", compact=True, select_on_focus=False,
                placeholder=say("姓名、房号或证件号码后几位", "name, room or last digits")))
            yield Static(self._host_text(), id="host-chosen")
            yield PeopleTable(("unit", "name", "doc"), lang, id="hosts")
            yield Button(say("保存  Ctrl+S", "Save  Ctrl+S"), id="save-visit", compact=True)
            yield Static(self.message, id="visit-message")

    def on_mount(self) -> None:
        self._show_nationality()
        self.query_one("#v-doc_number", Input).focus()
        self.load_present()
        if self._pending_card is not None:
            card, self._pending_card = self._pending_card, None
            self.call_after_refresh(self.card_placed, card)

    def after_relabel(self) -> None:
        self._show_nationality()
        self._filter()

    @work(thread=True, exclusive=True, group="hosts")
    def load_present(self) -> None:
        registry = self.session.registry
        assert registry is not None
        present = registry.registrations(present_only=True)
        self.app.call_from_thread(self._loaded, present)

    def _loaded(self, present: list[RegistrationView]) -> None:
        self.present = present
        self._filter()

    def _filter(self) -> None:
        if self.relabelling:
            return
        self.query_one("#hosts", PeopleTable).show(find(self.present, self.search_text))

    def _host_text(self) -> str:
        if self.host is None:
            return self.say("未选择被访人：输入后按 Enter 到列表，再按 Enter 选中",
                            "Nobody picked yet: type, Enter to the list, Enter to pick")
        return self.say(f"被访人：{self.host.unit} {self.host.name}", f"Visiting: {self.host.unit} {self.host.name}")

    def _show_nationality(self) -> None:
        self.query_one("#row-nationality").display = self.values.get("v-doc_type") in _FOREIGN

    # -- typing ------------------------------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        wid = event.input.id or ""
        if wid == "host-search":
            self.search_text = event.value
            self._filter()
        elif wid.startswith("v-"):
            self.values[wid] = event.value

    @on(ChoiceSelect.Changed)
    def _picked(self, event: ChoiceSelect.Changed) -> None:
        wid = event.select.id or ""
        self.values[wid] = event.value if isinstance(event.value, str) else ""
        if wid == "v-doc_type":
            self._show_nationality()

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "host-search":
            table = self.query_one("#hosts", PeopleTable)
            if table.row_count:
                table.focus()
            return
        if event.input.id == "v-nationality":
            self._name_country()
        self.focus_next()

    def _name_country(self) -> None:
        """A nationality typed as a code or in the other language is shown by its name (美国, United States)."""
        nationality = self.query_one("#v-nationality", Input)
        code = code_in_table("countries", nationality.value)
        entry = countries().get(code or "")
        if entry is not None:
            nationality.value = label(entry, self.session.lang)

    @on(DataTable.RowSelected, "#hosts")
    def _host_picked(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.host = self.query_one("#hosts", PeopleTable).views.get(int(event.row_key.value or 0))
        self.query_one("#host-chosen", Static).update(self._host_text())
        self.query_one("#save-visit", Button).focus()

    # -- the card reader ---------------------------------------------------------------------------

    def card_placed(self, card: IdentityCard) -> None:
        """A card on the reader fills the visitor's document, name and sex; the cursor goes to the host."""
        if self.saving:
            return
        fields = card.person_fields()
        self.values["v-doc_type"] = fields["doc_type"]
        self.values["v-doc_number"] = fields["doc_number"]
        self.values["v-name"] = fields["name"]
        self.values["v-sex"] = fields.get("sex", "")
        entry = countries().get(fields.get("nationality", ""))
        self.values["v-nationality"] = label(entry, self.session.lang) if entry is not None else ""
        self._card_extra = (fields["doc_number"], {k: fields[k] for k in ("birth_date", "ethnicity", "address")
                                                   if k in fields})
        self.query_one("#v-doc_type", ChoiceSelect).value = self.values["v-doc_type"]
        for wid in ("v-doc_number", "v-name", "v-nationality"):
            self.query_one(f"#{wid}", Input).value = self.values[wid]
        self.query_one("#v-sex", ChoiceSelect).value = self.values["v-sex"] or ChoiceSelect.NULL
        self._show_nationality()
        self._say("")
        self.set_focus(self.query_one("#host-search" if self.host is None else "#save-visit"))

    def card_problem(self, problem: ReaderError) -> None:
        self._say(problem.text(self.session.lang))

    # -- saving ------------------------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """The visit as `Registry.visit` takes it."""
        text = {wid: value.strip() for wid, value in self.values.items()}
        visitor: dict[str, Any] = {"doc_type": text.get("v-doc_type", ""), "doc_number": text.get("v-doc_number", ""),
                                   "name": text.get("v-name", "")}
        if text.get("v-sex"):
            visitor["sex"] = text["v-sex"]
        if text.get("v-phone"):
            visitor["phone"] = text["v-phone"]
        if visitor["doc_type"] in _FOREIGN and text.get("v-nationality"):
            visitor["nationality"] = code_in_table("countries", text["v-nationality"]) or text["v-nationality"]
        if self._card_extra is not None and self._card_extra[0] == visitor["doc_number"]:
            visitor.update(self._card_extra[1])
        return {"visitor": visitor, "host": self.host.id if self.host is not None else None,
                "arrived_at": text.get("v-arrived", "")}

    @on(Button.Pressed, "#save-visit")
    def action_save(self) -> None:
        if self.saving:
            return
        if self.host is None:
            self._say(self.say("请选择被访人：输入姓名或房号，按 Enter 到列表，再按 Enter 选中",
                               "Pick the person visited: type a name or room, Enter to the list, Enter to pick"))
            self.query_one("#host-search", Input).focus()
            return
        self.saving = True
        self._say(self.say("正在保存……", "Saving..."))
        self._visit(self.payload())

    @work(thread=True, exclusive=True, group="visit")
    def _visit(self, payload: dict[str, Any]) -> None:
        registry = self.session.registry
        assert registry is not None
        outcome = registry.visit(payload)
        self.app.call_from_thread(self._saved, outcome)

    def _saved(self, outcome: VisitOutcome) -> None:
        self.saving = False
        lang = self.session.lang
        if not outcome.ok:
            errors = [p for p in outcome.problems if p.severity == "error"] or outcome.problems
            problem = errors[0]
            self._say(problem.text(lang) + (self.say(f"（还有 {len(errors) - 1} 项）", f" ({len(errors) - 1} more)")
                                            if len(errors) > 1 else ""))
            target = _FIELD_OF_PROBLEM.get(problem.field or "")
            if target:
                for widget in self.query(f"#{target}"):
                    widget.focus()
            return
        delivery = self.session.delivery
        if delivery is not None:
            delivery.send_soon()
        name = self.values.get("v-name", "").strip()
        notes = [p.text(lang) for p in outcome.problems]
        self.app.notify(self.say(f"已登记访客：{name}（访客号 {outcome.visit_id}）",
                                 f"Visitor registered: {name} (visit {outcome.visit_id})")
                        + ("\n" + "\n".join(notes) if notes else ""), timeout=6)
        self.app.pop_screen()

    def _say(self, text: str) -> None:
        self.message = text
        self.query_one("#visit-message", Static).update(text)

    # -- leaving -----------------------------------------------------------------------------------

    def has_unsaved_work(self) -> bool:
        if self.saving:
            return False
        typed = {k: v.strip() for k, v in self.values.items()
                 if v.strip() and k not in ("v-doc_type", "v-arrived")}
        return bool(typed) or self.host is not None or self.values.get("v-arrived", "") != self._arrived_default

    def action_back(self) -> None:
        if self.saving:
            return
        if self.has_unsaved_work():
            self.ask_before_discarding(self.app.pop_screen)
        else:
            self.app.pop_screen()
