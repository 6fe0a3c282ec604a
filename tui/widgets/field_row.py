"""One line of a form: the label, then the input that suits the field's type.

Rendered from a template's `FormField`, so a venue kind's form is whatever its TOML file says. Every
input is one line high (`compact`) so that a whole form fits 80x24. A field with a problem shows it on
a line of its own under the input (`FieldNote`), with the label in red, until the field is fixed; the
field with the cursor has its label in reverse and its input on a coloured ground, in both themes.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Label

from agent.domain.codes import label as code_label
from agent.forms.templates import FieldType, FormField
from agent.validation import Problem, Severity
from tui.forms.registration_form import is_large_choice
from tui.widgets.choice_select import ChoiceSelect
from tui.widgets.field_note import LABEL_WIDTH, FieldNote

_PLACEHOLDERS = {
    FieldType.DATE: ("如 2026-12-01", "e.g. 2026-12-01"),
    FieldType.DATETIME: ("如 2026-12-01 14:30", "e.g. 2026-12-01 14:30"),
    FieldType.PHONE: ("11位手机号", "11-digit mobile"),
}


def widget_id(key: str) -> str:
    """The DOM id of a field's input (`person.doc_number` -> `f-person--doc_number`)."""
    return "f-" + key.replace(".", "--")


def key_of(widget_id_: str | None) -> str | None:
    """The field key of an input's DOM id, None for widgets that are not form inputs."""
    if not widget_id_ or not widget_id_.startswith("f-"):
        return None
    return widget_id_[2:].replace("--", ".")


def choice_options(form_field: FormField, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs of a choice or yes/no field, in the table's order."""
    if form_field.type is FieldType.BOOL:
        return [("是", "true"), ("否", "false")] if lang == "zh" else [("Yes", "true"), ("No", "false")]
    return [(code_label(entry, lang), value) for value, entry in form_field.options().items()]


def make_input(form_field: FormField, value: str, lang: str, suggestions: Sequence[str] = ()) -> Widget:
    """The input widget for a field, holding `value`."""
    wid = widget_id(form_field.key)
    say = (lambda zh, en: en if lang == "en" else zh)
    if (form_field.type is FieldType.CHOICE and not is_large_choice(form_field)) or form_field.type is FieldType.BOOL:
        options = choice_options(form_field, lang)
        known = {v for _, v in options}
        return ChoiceSelect(options, prompt=say("请选择", "Choose"), id=wid, compact=True,
                            value=value if value in known else ChoiceSelect.NULL)
    suggester = None
    if is_large_choice(form_field):
        words: list[str] = []
        for code, entry in form_field.options().items():
            words += [code_label(entry, lang), code]
        suggester = SuggestFromList(words, case_sensitive=False)
    elif suggestions:
        suggester = SuggestFromList(suggestions, case_sensitive=False)
    placeholder = say(*_PLACEHOLDERS[form_field.type]) if form_field.type in _PLACEHOLDERS else ""
    return Input(value, placeholder=placeholder, id=wid, compact=True, suggester=suggester,
                 max_length=form_field.max_length or 0, select_on_focus=False)


class FieldRow(Vertical):
    """Label and input of one field, and its note under them; hidden (not removed) when the field does
    not apply."""

    DEFAULT_CSS = """
    FieldRow { height: auto; }
    FieldRow > .field-line { height: 1; }
    FieldRow > .field-line > Label { width: %d; padding: 0 1 0 0; text-align: right; color: $text-muted;
                                     text-wrap: nowrap; text-overflow: ellipsis; }
    FieldRow.-required > .field-line > Label { color: $text; }
    FieldRow.-invalid > .field-line > Label { color: $text-error; text-style: bold; }
    FieldRow.-warning > .field-line > Label { color: $text-warning; }
    FieldRow > .field-line > Input, FieldRow > .field-line > ChoiceSelect { width: 1fr; max-width: 50; }
    """ % LABEL_WIDTH

    def __init__(self, form_field: FormField, value: str, lang: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(id="row-" + widget_id(form_field.key)[2:], classes="-required" if form_field.required else "")
        self.form_field = form_field
        self._value = value
        self._lang = lang
        self._suggestions = suggestions

    def compose(self):  # type: ignore[no-untyped-def]
        mark = "*" if self.form_field.required else " "
        with Horizontal(classes="field-line"):
            yield Label(f"{self.form_field.label.text(self._lang)}{mark}")
            yield make_input(self.form_field, self._value, self._lang, self._suggestions)
        yield FieldNote()

    def show_problem(self, problem: Problem | None) -> None:
        """Mark the label and write the problem under the field (None: the field is fine)."""
        self.set_class(problem is not None and problem.severity is Severity.ERROR, "-invalid")
        self.set_class(problem is not None and problem.severity is Severity.WARNING, "-warning")
        note = self.query_one(FieldNote)
        if note.problem != problem or (problem is not None and note.note == ""):
            note.say(problem, self._lang)

    @property
    def note(self) -> str:
        """What the note under the field says now ("" when nothing)."""
        return self.query_one(FieldNote).note
