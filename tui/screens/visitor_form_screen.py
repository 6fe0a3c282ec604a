"""Registering a visitor (访客): the visitor's document, typed or filled by a card laid on the reader
(`card_placed`), and the person visited, found among those present as the departure screen finds them
(name, room or the document's last digits; `agent.register.search.find`) and picked with Enter. Ctrl+S
saves (`Registry.visit`); what the agent refuses is said under the form, at the field it is about. Esc
leaves at once when nothing was typed, else asks first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, Static

from agent.domain import DocType
from agent.domain.codes import countries, doc_types, label, sexes
from agent.register.search import find
from agent.validation.words import code_in_table
from tui.card_reading import TakesCards
from tui.fresh_reads import show_if_latest
from tui.keys import Key
from tui.screens.base import BACK, DengjiScreen
from tui.widgets.choice_select import ChoiceSelect
from tui.widgets.people_table import PeopleTable, short_time
from tui.widgets.reader_status import ReaderStatus

if TYPE_CHECKING:
    from agent.cardreader import IdentityCard, ReaderError
    from agent.register.records import RegistrationView, VisitOutcome

_FOREIGN = (DocType.PASSPORT.value, DocType.FOREIGN_PERMANENT_ID.value)
_FIELD_OF_PROBLEM = {"visitor.doc_type": "v-doc_type", "visitor.doc_number": "v-doc_number",
                     "visitor.name": "v-name", "visitor.sex": "v-sex", "visitor.nationality": "v-nationality",
                     "visitor.phone": "v-phone", "arrived_at": "v-arrived", "host": "host-search"}


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
        show_if_latest(self.app, self._loaded, present)

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
