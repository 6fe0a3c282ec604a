"""Correcting a refused visit (访客), visitor leaving (访客离开), room change (换房) or extension (续住,
续租 for a lease): Enter on such a row of the Rejected screen.

One small question, as `StayChangeModal` asks a new room or end: whom it is about, the platform's reason,
and the fields of what was sent, filled with what was sent: the time for a visitor leaving, the room and
the time for a room change, the new end for an extension, and for a visit the visitor's document, name and
arrival (the person visited stays who they were). Enter in a field goes on, from the last one to the
confirming button; Enter there asks the agent (`Corrections.correct`) in a worker thread. Dates are read
as people type them (`agent.validation.datetimes`) before anything is asked; what is wrong, read here or
refused by the agent, is said under its field in the person's language, and nothing is written. Esc goes
back at once when nothing was changed, and asks first (`DiscardModal`) when something was.

`load_fix` gathers, off the UI thread, what the question needs: what was sent (`rejected_data`), the
visitor's name for a leaving, whether the stay ends on a day (a lease).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from agent.domain import DocType, EventType
from agent.domain.codes import doc_types, label
from agent.domain.errors import InvalidDocument
from agent.validation.datetimes import parse_date, parse_datetime, to_iso
from tui.screens.discard_modal import dismiss_unless_changed
from tui.screens.modal import DengjiModal
from tui.screens.stay_change_modal import EXTEND, change_names, is_lease
from tui.widgets.choice_select import ChoiceSelect
from tui.widgets.people_table import short_time

if TYPE_CHECKING:
    from agent.register.records import Outcome, RegistrationView, Rejection
    from agent.register.registry import Registry
    from agent.validation import Problem

# The fields each kind asks, in order, by the key its payload (and the agent's problems) name them.
FIELDS = {EventType.VISIT.value: ("name", "doc_type", "doc_number", "arrived_at"),
          EventType.VISIT_END.value: ("left_at",),
          EventType.UNIT_CHANGED.value: ("unit", "moved_at"),
          EventType.STAY_EXTENDED.value: ("expected_departure",)}
_TIMES = ("arrived_at", "left_at", "moved_at", "expected_departure")
_PERSON = ("doc_type", "doc_number", "name")
_CARD_ONLY = ("sex", "birth_date", "ethnicity", "address")  # facts of the document: not kept for another one


@dataclass(frozen=True)
class StayFix:
    """What the question about one refused stay event needs, read off the UI thread."""

    rejection: Rejection
    sent: dict[str, Any]  # the event's data as sent, decrypted
    stay: RegistrationView | None  # the stay the event is about (the host's, for a visit)
    visitor: str = ""  # a visitor leaving: their name and masked document


def load_fix(registry: Registry, rejection: Rejection) -> StayFix | None:
    """What was sent and about whom; None when it is no longer waiting (corrected meanwhile)."""
    sent = registry.corrections.rejected_data(rejection.seq)
    if sent is None:
        return None
    stay = next((v for v in registry.registrations() if v.id == rejection.registration_id), None)
    visitor = ""
    if rejection.type == EventType.VISIT_END.value:
        visit = next((v for v in registry.visits() if str(v.id) == str(sent.get("visit_id"))), None)
        visitor = f"{visit.name}  {visit.doc_masked}" if visit is not None else ""
    return StayFix(rejection, sent, stay, visitor)


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class StayCorrectionModal(DengjiModal):
    """Dismissed with the agent's `Outcome` once the correction is written, or None (Esc, 取消)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]
    DEFAULT_CSS = """
    StayCorrectionModal { align: center middle; }
    StayCorrectionModal > Vertical { width: 62; max-width: 100%; height: auto; max-height: 100%; overflow-y: auto;
                                     border: round $warning; background: $surface; padding: 0 1; }
    StayCorrectionModal Static { width: 100%; }
    StayCorrectionModal #fix-who { text-style: bold; }
    StayCorrectionModal #fix-reason { color: $warning; margin-bottom: 1; }
    StayCorrectionModal Horizontal { width: 100%; height: auto; }
    StayCorrectionModal Label { width: 14; padding-right: 1; text-align: right; color: $text; }
    StayCorrectionModal Input, StayCorrectionModal ChoiceSelect { width: 1fr; max-width: 36; }
    StayCorrectionModal .fix-problem { color: $error; padding-left: 14; height: auto; display: none; }
    StayCorrectionModal .fix-problem.-said { display: block; }
    StayCorrectionModal #fix-buttons { margin-top: 1; }
    StayCorrectionModal Button { margin-right: 2; }
    StayCorrectionModal #fix-message { color: $error; height: auto; }
    """

    def __init__(self, fix: StayFix) -> None:
        super().__init__(id="stay-correction")
        self.fix = fix
        self.kind = fix.rejection.type
        self.busy = False
        self.first: dict[str, str] = {}  # what the fields held when the question opened

    # -- words -------------------------------------------------------------------------------------

    @property
    def _day_only(self) -> bool:
        """A lease's end is a day, typed without a time."""
        return self.kind == EventType.STAY_EXTENDED.value and self.fix.stay is not None and is_lease(self.fix.stay)

    def _title(self) -> str:
        stay = self.fix.stay
        if self.kind == EventType.VISIT.value:
            return self.say("更正访客登记", "Correct the visit")
        if self.kind == EventType.VISIT_END.value:
            return self.say("更正访客离开时间", "Correct when the visitor left")
        if self.kind == EventType.UNIT_CHANGED.value:
            return self.say("更正换房", "Correct the room change")
        lease = stay is not None and is_lease(stay)
        zh = change_names(stay)[EXTEND][0] if stay is not None else "续住"
        return self.say(f"更正{zh}", "Correct the lease renewal" if lease else "Correct the extension")

    def _who(self) -> str:
        r, sent = self.fix.rejection, self.fix.sent
        host = f"{r.unit or ''} {r.name or ''}".strip()
        if self.kind == EventType.VISIT.value:
            return self.say(f"被访人：{host}", f"Visiting: {host}")
        if self.kind == EventType.VISIT_END.value:
            return self.say(f"访客：{self.fix.visitor}，拜访 {host}", f"Visitor: {self.fix.visitor}, visiting {host}")
        if self.kind == EventType.UNIT_CHANGED.value:
            before = sent.get("previous_unit") or ""
            return f"{r.name or ''}  " + self.say(f"原房号 {before}，报的新房号 {sent.get('unit', '')}",
                                                  f"from {before}, sent as moving to {sent.get('unit', '')}")
        return host

    def _label(self, key: str) -> str:
        words = {"name": ("姓名", "Name"), "doc_type": ("证件类型", "Document"), "doc_number": ("证件号码", "Number"),
                 "arrived_at": ("到访时间", "Came at"), "left_at": ("离开时间", "Left at"),
                 "unit": ("新房号", "New room"), "moved_at": ("换房时间", "Moved at"),
                 "expected_departure": ("新的到期日", "New end date") if self._day_only
                 else ("新的预计离开", "Leaves on")}
        return self.say(*words[key])

    def _sent_value(self, key: str) -> str:
        sent = self.fix.sent
        visitor = sent.get("visitor") or {}
        if key in _PERSON:
            return str(visitor.get(key) or "")
        if key == "unit":
            return str(sent.get("unit") or "")
        moment = _moment(sent.get(key))
        if moment is None:
            return ""
        return moment.date().isoformat() if self._day_only else short_time(moment)

    # -- building ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title() + self.say("：", ":"), id="fix-title")
            yield Static(self._who(), id="fix-who")
            yield Static(self.say("退回原因：", "Why: ") + self.fix.rejection.reason(self.session.lang),
                         id="fix-reason")
            for key in FIELDS[self.kind]:
                with Horizontal():
                    yield Label(self._label(key))
                    yield self._field(key)
                yield Static("", id=f"fix-{key}-problem", classes="fix-problem")
            yield Static(self.say("Enter 到下一项，最后到“保存更正”，再按 Enter 保存；Esc 取消。",
                                  "Enter goes on, then to Save; Enter there saves it. Esc cancels."), id="fix-help")
            with Horizontal(id="fix-buttons"):
                yield Button(self.say("保存更正", "Save"), id="fix-confirm", variant="primary", compact=True)
                yield Button(self.say("取消  Esc", "Cancel  Esc"), id="fix-cancel", compact=True)
            yield Static("", id="fix-message")

    def _field(self, key: str) -> Widget:
        value = self._sent_value(key)
        if key == "doc_type":
            lang = self.session.lang
            kinds = [(label(entry, lang), k) for k, entry in doc_types().items()
                     if k != DocType.NONE_WITH_GUARDIAN.value]
            return ChoiceSelect(kinds, prompt=self.say("请选择", "Choose"), id="fix-doc_type", compact=True,
                                value=value or ChoiceSelect.NULL)
        return Input(value, id=f"fix-{key}", compact=True, select_on_focus=False,
                     max_length=20 if key == "unit" else 64 if key == "name" else 32)

    def on_mount(self) -> None:
        self.first = self._values()
        self.query_one(f"#fix-{FIELDS[self.kind][0]}").focus()

    # -- the keys ----------------------------------------------------------------------------------

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        key = (event.input.id or "").removeprefix("fix-")
        if key in _TIMES and self._read(key) is None:
            return
        if key == FIELDS[self.kind][-1]:
            self.query_one("#fix-confirm", Button).focus()
        else:
            self.focus_next()

    @on(Button.Pressed, "#fix-confirm")
    def _confirmed(self) -> None:
        if self.busy:
            return
        payload = self._payload()
        if payload is None:
            return
        self.busy = True
        self._clear()
        self._save(payload)

    @on(Button.Pressed, "#fix-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        """Esc: back at once when nothing was changed, else ask before the changes are thrown away."""
        if self.busy:
            return
        dismiss_unless_changed(self, self._values() != self.first)

    # -- the values and the agent ------------------------------------------------------------------

    def _values(self) -> dict[str, str]:
        values = {}
        for key in FIELDS[self.kind]:
            widget = self.query_one(f"#fix-{key}")
            value = widget.value if isinstance(widget, Input | ChoiceSelect) else None
            values[key] = value.strip() if isinstance(value, str) else ""
        return values

    def _read(self, key: str) -> str | None:
        """A time as typed, read as the agent takes it (ISO), or None after saying what is wrong under it."""
        text = self.query_one(f"#fix-{key}", Input).value.strip()
        try:
            moment: date | datetime = parse_date(text) if self._day_only else parse_datetime(text)
        except InvalidDocument as invalid:
            self._show(key, invalid.problem.text(self.session.lang))
            return None
        self._show(key, "")
        return moment.isoformat() if isinstance(moment, date) and not isinstance(moment, datetime) else to_iso(moment)

    def _payload(self) -> dict[str, Any] | None:
        """What `Corrections.correct` takes for this kind, or None after saying what is wrong."""
        values = self._values()
        times = {key: self._read(key) for key in FIELDS[self.kind] if key in _TIMES}
        if any(value is None for value in times.values()):
            self.query_one(f"#fix-{next(k for k, v in times.items() if v is None)}").focus()
            return None
        if self.kind == EventType.VISIT.value:
            sent = dict(self.fix.sent.get("visitor") or {})
            if (values["doc_type"], values["doc_number"]) != (str(sent.get("doc_type")), str(sent.get("doc_number"))):
                for fact in _CARD_ONLY:  # what the old document said does not hold for another one
                    sent.pop(fact, None)
            visitor = {**sent, **{k: values[k] for k in _PERSON}}
            return {"visitor": visitor, "arrived_at": times["arrived_at"]}
        if self.kind == EventType.UNIT_CHANGED.value:
            return {"unit": values["unit"], "moved_at": times["moved_at"]}
        return {key: times[key] for key in times}

    @work(thread=True, exclusive=True, group="stay-correction")
    def _save(self, payload: dict[str, Any]) -> None:
        registry = self.session.registry
        assert registry is not None
        outcome = registry.corrections.correct(self.fix.rejection.seq, payload)
        self.app.call_from_thread(self._saved, outcome)

    def _saved(self, outcome: Outcome) -> None:
        self.busy = False
        if outcome.ok:
            self.dismiss(outcome)
            return
        errors = [p for p in outcome.problems if p.severity == "error"] or outcome.problems
        for problem in errors[:1]:
            self._problem(problem)

    def _problem(self, problem: Problem) -> None:
        """Said under the field it is about (a visitor's `visitor.name` is the name's), else under the form."""
        key = (problem.field or "").removeprefix("visitor.")
        text = problem.text(self.session.lang)
        if key in FIELDS[self.kind]:
            self._show(key, text)
            self.query_one(f"#fix-{key}").focus()
        else:
            self.query_one("#fix-message", Static).update(text)

    def _show(self, key: str, text: str) -> None:
        problem = self.query_one(f"#fix-{key}-problem", Static)
        problem.update(text)
        problem.set_class(bool(text), "-said")

    def _clear(self) -> None:
        for key in FIELDS[self.kind]:
            self._show(key, "")
        self.query_one("#fix-message", Static).update("")

