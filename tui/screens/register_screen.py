"""Register an arrival: the venue kind's form, rendered from its template, checked as it is typed.

Focus starts in the scan box: a swiped ID card or a scanned passport fills the form, and Enter on an
empty scan box goes to the fields for typing by hand. A card laid on the desk's reader fills it too,
wherever the cursor is (`card_placed`; the reader is watched off the UI thread, tui/card_reading.py),
and the reader's state shows beside the scan box. Enter moves on, Ctrl+S saves. Saving is one
transaction in the agent (the registration and its outbox event) run in a worker thread; the upload
happens in the background afterwards, so the clerk is never kept waiting for the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on, work
from textual.actions import SkipAction
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from agent.domain.codes import label as code_label
from agent.forms.templates import Template, load_template
from agent.validation import Problem, Severity
from agent.validation.arrival_rules import VenueRules
from agent.validation.registration import CheckedRegistration
from agent.validation.venue import venue_rules_of
from agent.validation.words import code_in_table
from tui.caught_up import caught_up
from tui.forms.form_problems import FormProblems
from tui.forms.registration_form import RegistrationForm, is_large_choice
from tui.fresh_reads import show_if_latest
from tui.keys import Key
from tui.messages import Registered
from tui.scanner import (
    ScanReader,
    ScanResult,
)
from tui.screens.base import BACK, DengjiScreen
from tui.screens.register_companions import FindsCompanions
from tui.screens.register_documents import FillsFromDocuments
from tui.widgets.choice_select import ChoiceSelect
from tui.widgets.field_row import key_of
from tui.widgets.reader_status import ReaderStatus
from tui.widgets.registration_fields import RegistrationFields

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.cardreader import IdentityCard
    from agent.register.records import Companion, Outcome, Rejection


class RegisterScreen(FillsFromDocuments, FindsCompanions, DengjiScreen):
    KEYS = (
        Key("ctrl+s", "save", "保存", "Save"),
        Key("enter", "enter_key", "下一项", "Next field", priority=True),
        BACK,
        Key("ctrl+r", "clear", "清空重填", "Clear"),
        Key("tab", "", "下一项（同 Enter）", "Next field (as Enter)", on_bar=False),
        Key("space", "", "在选择框中打开列表", "Open the list of a choice", on_bar=False),
    )
    TITLE_ZH, TITLE_EN = "登记", "Register"
    HELP_ZH = ("把身份证放在读卡器上，证件上的各项自动填好，光标跳到还要填的项（如房号）；“刷卡/扫描”框旁边显示读卡器"
               "是否已连接。\n"
               "也可以刷身份证或扫描护照（光标在“刷卡/扫描”框）；手工录入请在该框按 Enter。\n"
               "每填一项按 Enter 到下一项；选择框按空格键打开列表。带 * 的是必填项。\n"
               "有问题的项标签变红，问题写在这一项下面，改好后消失。填好后按 Ctrl+S 保存，资料会在后台上传。")
    HELP_EN = ("Lay the ID card on the reader: the card's fields fill in and the cursor goes to what is left (the "
               "room); beside the scan box it says whether a reader is connected.\n"
               "Or swipe the ID card or scan the passport (the cursor starts in the scan box); to type by "
               "hand, press Enter there.\nEnter moves to the next field; Space opens a choice's list. Fields "
               "marked * are required.\nA red label means the field needs fixing: what to fix is written under "
               "it until it is fixed. Ctrl+S saves; the upload happens in the background.")

    def __init__(self, scan: ScanResult | None = None, *, card: IdentityCard | None = None,
                 correcting: Rejection | None = None,
                 data: dict | None = None) -> None:  # type: ignore[type-arg]
        """A new arrival (filled from `scan` if given), or the correction of a refused registration:
        `correcting` with `data`, what was sent."""
        super().__init__(id="register")
        self.correcting = correcting
        self._sent_data = data
        if correcting is not None:
            self.TITLE_ZH, self.TITLE_EN = "更正登记", "Correct a registration"
        self.template: Template | None = None
        self.form: RegistrationForm | None = None
        self.problems = FormProblems()
        self.saving = False
        self._scans = ScanReader()
        self._pending_scan = scan
        self._pending_card = card  # a card laid on the reader at the home screen
        self._units: list[str] = []
        self._focus_after_compose: str | None = None
        self._untouched: dict[str, str] = {}  # the form's values before the clerk typed anything
        self._companion_candidates: list[Companion] = []  # who is in the room typed (a minor's companions)

    # -- building ----------------------------------------------------------------------------------

    def _ensure_form(self) -> RegistrationForm:
        if self.form is None:
            venue = self.session.venue
            assert venue is not None, "the register form needs a venue"
            self.template = load_template(venue.kind)
            self.form = RegistrationForm(self.template, self.session.clock(),
                                         venue=VenueRules(*venue_rules_of(venue.subtype, venue.jurisdiction)),
                                         new_arrival=self.correcting is None, lang=self.session.lang)
            if self._sent_data is not None:
                self.form.fill_from_payload(self._sent_data)
            self._untouched = dict(self.form.values)
        return self.form

    def compose_body(self):  # type: ignore[no-untyped-def]
        form = self._ensure_form()
        assert self.template is not None
        lang = self.session.lang
        if self.correcting is not None:
            yield Static(self.say(f"平台退回的原因：{self.correcting.zh}", f"Why the platform rejected it: "
                                  f"{self.correcting.en}"), id="correcting")
        with Horizontal(id="scan-row"):
            yield Label(self.say("刷卡/扫描", "Scan"), id="scan-label")
            # Short enough to be read whole beside the reader's state at 80 columns.
            yield Input(placeholder=self.say("刷身份证或扫护照；手工录入按 Enter", "Swipe ID or passport; "
                                             "Enter: type by hand"), id="scan", compact=True)
            yield ReaderStatus(self.dengji.card_reading, lang)
        yield RegistrationFields(self.template, form, lang, self.say("保存  Ctrl+S", "Save  Ctrl+S"), self._units,
                                 (self.say("同住成年人", "Adults with them"), self._companions_text()))
        yield Static("", id="form-message")

    @property
    def fields(self) -> RegistrationFields:
        return self.query_one(RegistrationFields)

    def on_mount(self) -> None:
        self.app.clear_notifications()  # the last guest's "registered" would cover this form's Save at 60x20
        self.query_one("#scan", Input).focus()
        self._load_units()
        if self._pending_scan is not None:
            scan, self._pending_scan = self._pending_scan, None
            self._apply_scan(scan)
        if self._pending_card is not None:
            card, self._pending_card = self._pending_card, None
            self.call_after_refresh(self.card_placed, card)  # after the scan box has taken the focus
        self._refresh_marks()

    def on_screen_resume(self) -> None:
        if self._focus_after_compose:
            self.fields.focus_field(self._focus_after_compose)
            self._focus_after_compose = None

    @work(thread=True, exclusive=True, group="units")
    def _load_units(self) -> None:
        """The venue's units for the unit field's suggestions (known rooms, flats, beds)."""
        registry = self.session.registry
        if registry is None:
            return
        units = sorted({view.unit for view in registry.registrations()})
        show_if_latest(self.app, self._set_units, units)

    def _set_units(self, units: list[str]) -> None:
        self._units = units
        self.fields.suggest_units(units)

    # -- typing ------------------------------------------------------------------------------------

    def _changed(self, widget: Widget, value: str) -> None:
        key = key_of(widget.id)
        form = self.form
        if key is None or form is None:
            return
        self.problems.typed(key)
        for other in form.set(key, value):
            self.fields.show_value(other)
        if key in ("person.doc_type", "person.doc_number"):
            self.fields.show_applicable()
        if key in ("unit", "person.doc_type", "person.doc_number", "person.birth_date", "arrived_at"):
            self._look_for_companions()
        self._refresh_marks(typing=key)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        self._changed(event.input, event.value)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else ""
        self._changed(event.select, value)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        key = key_of(event.widget.id)
        if key is None or self.form is None:
            return
        self._resolve_choice(key)
        self.problems.leave([key])
        self._refresh_marks()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._show_message()

    def _resolve_choice(self, key: str) -> None:
        """A long code table typed in part (`汉`, `unit`): complete it when only one entry fits."""
        assert self.form is not None and self.template is not None
        form_field = self.template.field(key)
        text = self.form.value(key).strip()
        if not is_large_choice(form_field) or not text:
            return
        lang = self.session.lang
        options = form_field.options()
        if form_field.choices == "countries" and code_in_table("countries", text) in options:
            if self.form.name_countries():  # a code typed (USA), or a name in the other language: its name
                self.fields.show_value(key)
            return
        if form_field.choices is None or code_in_table(form_field.choices, text) in options:
            return  # already a whole word of the table (汉族, 汉, 01, Han): the register reads it the same way
        fits = [entry for code, entry in options.items()
                if code_label(entry, lang).casefold().startswith(text.casefold())]
        if len(fits) == 1:
            self.form.set(key, code_label(fits[0], lang))
            self.fields.show_value(key)

    async def action_enter_key(self) -> None:
        """Enter moves on, decided as the key arrives (a priority binding), not when the Input's
        Submitted message is handled later. Textual hands each key to the widget focused when the key
        arrives, so after "Enter" the next keys must already find the cursor in the next field.

        Where the cursor goes may depend on the text: in the scan box a first MRZ line keeps it there for
        the second, an ID card sends it to the name, a passport to the room; an ID card swiped into
        another field sends it to the first field left empty. The characters typed just before the Enter
        may still wait in the Input's queue, so the binding waits for the Input to take them, then
        decides and moves the focus at once: the app hands on no key meanwhile, and the keys of a burst
        typed after the Enter land where the cursor went (#17 item 10)."""
        focused = self.focused
        if isinstance(focused, Input):
            await caught_up(focused)
            if self.focused is not focused or self.saving:  # the screen moved on meanwhile
                return
            key = key_of(focused.id)
            if focused.id == "scan":
                self._scan_box(focused.value)
            elif key is None or key == "person.doc_number" or not self._swiped_into(focused, key):
                self.focus_next()
        elif isinstance(focused, ChoiceSelect) and not focused.expanded:
            self.focus_next()
        else:
            raise SkipAction()  # a button presses itself; an open list picks its item

    # -- problems ----------------------------------------------------------------------------------

    def _refresh_marks(self, typing: str | None = None) -> None:
        """Mark every field's label by its current problem; show the focused field's message."""
        form = self.form
        if form is None:
            return
        self.fields.mark(self.problems.refresh(form, self.session.clock(), typing))
        self._show_message()

    def _focused_key(self) -> str | None:
        return key_of(self.focused.id) if self.focused is not None else None

    def _show_message(self) -> None:
        if self.form is None:
            return
        lang = self.session.lang
        key = self._focused_key()
        summary = self.problems.summary.strip()
        if key is not None and self.template is not None:
            # The field's problem is written under the field itself; this line gives the hint, and after
            # a refused save how many fields are left to fix.
            form_field = self.template.field(key)
            hint = form_field.hint.text(lang) if form_field.hint else ""
            if key == "person.doc_number" and self.form.native_region():
                hint = self.say(f"籍贯：{self.form.native_region()}", f"Native region: {self.form.native_region()}")
            self._message(f"{summary} {hint}".strip() if summary else hint, error=bool(summary))
            return
        self._message(summary, error=bool(summary))

    def _message(self, text: str, *, error: bool = False, warning: bool = False) -> None:
        message = self.query_one("#form-message", Static)
        message.update(text)
        message.set_class(error, "-error")
        message.set_class(warning, "-warning")

    # -- saving ------------------------------------------------------------------------------------

    @on(Button.Pressed, "#companions")
    def _companions_pressed(self) -> None:
        self.pick_companions()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        form = self.form
        if form is None or self.saving:
            return
        self._take_widget_values()
        self.problems.leave(f.key for f in form.shown())
        self._refresh_marks()
        now = self.session.clock()
        errors = {k: p for k, p in form.problems(now).items() if p.severity is Severity.ERROR}
        if errors:
            self._point_at(errors)
            return
        self.saving = True
        self.problems.store = {}
        self._message(self.say("正在保存……", "Saving..."))
        self._register(form.check(now))  # the check the marks were drawn from: the register trusts it

    def _take_widget_values(self) -> None:
        """Read every field's widget into the form (keys typed just before Ctrl+S)."""
        assert self.form is not None
        typed = self.fields.widget_values(f.key for f in self.form.shown())
        for key, text in typed.items():
            if text != self.form.value(key):
                for other in self.form.set(key, text):
                    self.fields.show_value(other)

    def _point_at(self, errors: dict[str, Problem]) -> None:
        """Focus the first field in form order that has an error, and say how many remain."""
        assert self.form is not None
        first, text = self.problems.first_error(errors, [f.key for f in self.form.shown()],
                                                ("还有 {count} 项需要修改。", "{count} field(s) to fix. "),
                                                self.session.lang)
        if first is not None:
            self.fields.focus_field(first)
        self._message(text, error=True)

    @work(thread=True, exclusive=True, group="save")
    def _register(self, checked: CheckedRegistration) -> None:
        registry = self.session.registry
        assert registry is not None
        if self.correcting is not None:
            outcome = registry.corrections.correct(self.correcting.seq, checked)
        else:
            outcome = registry.register(checked)
        self.app.call_from_thread(self._saved, outcome)

    def _saved(self, outcome: Outcome) -> None:
        self.saving = False
        assert self.form is not None
        if not outcome.ok:
            errors = self.problems.refused(outcome.problems, {f.key for f in self.form.shown()})
            self._refresh_marks()
            self._point_at(errors)
            return
        assert outcome.registration_id is not None
        delivery = self.session.delivery
        if delivery is not None:
            delivery.send_soon()
        name = self.form.value("person.name").strip()
        unit = self.form.value("unit").strip()
        notes = [p.text(self.session.lang) for p in outcome.problems if p.severity is Severity.WARNING]
        done = (self.say(f"已更正：{unit} {name}，将重新上报", f"Corrected: {unit} {name}; it will be sent again")
                if self.correcting is not None else self.say(f"已登记：{unit} {name}", f"Registered: {unit} {name}"))
        self.app.notify(done
                        + ("\n" + "\n".join(notes) if notes else ""), timeout=6)
        self.app.post_message(Registered(outcome.registration_id))
        self.app.pop_screen()

    def has_unsaved_work(self) -> bool:
        """Something typed that is not saved (Esc, Ctrl+R and Ctrl+Q ask before losing it)."""
        if self.form is None or self.saving:
            return False
        self._take_widget_values()
        return self.form.values != self._untouched or bool(self.form.companions)

    def action_back(self) -> None:
        """Esc: leave at once when nothing was typed; else ask first, so a stray key loses no work."""
        if self.form is None or self.saving:
            return
        if self.has_unsaved_work():
            self.ask_before_discarding(self.app.pop_screen)
        else:
            self.app.pop_screen()

    def action_clear(self) -> None:
        """Ctrl+R: an empty form for the next person, after asking when something typed would be lost."""
        if self.has_unsaved_work():
            self.ask_before_discarding(self._clear)
        else:
            self._clear()

    def _clear(self) -> None:
        assert self.form is not None
        self.form.reset(self.session.clock())
        self._companion_candidates = []
        self._untouched = dict(self.form.values)
        self.problems.reset()
        self._scans.reset()
        self.refresh(recompose=True)
        self._focus_after_compose = "scan"
        self.call_after_refresh(lambda: self.query_one("#scan", Input).focus())

    def after_relabel(self) -> None:
        if self.form is not None:
            self.form.lang = self.session.lang
            for key in self.form.name_countries():  # 美国 becomes United States, and back
                self.fields.show_value(key)
        self.fields.show_applicable()
        self._show_companions()
        self._refresh_marks()
