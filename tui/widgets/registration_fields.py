"""The register form's body: one row per field of the venue kind's template, and the save button.

It mirrors a `RegistrationForm` (the state) and draws what the screen decides: which rows apply, each
field's value after a scan or an automatic fill, each label's mark. The screen keeps the flow (scans,
Enter, saving); this keeps the widgets, so neither grows into the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from textual import events
from textual.containers import Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Static

from agent.forms.templates import Template
from agent.validation import Problem
from tui.forms.registration_form import RegistrationForm
from tui.widgets.choice_select import ChoiceSelect
from tui.widgets.companions_row import CompanionsRow
from tui.widgets.field_row import FieldRow, widget_id


class FormRows(VerticalScroll):
    """The scrolling rows: when what they hold grows or shrinks (a note written under a field, or gone),
    the row with the cursor is brought back into sight."""

    def watch_virtual_size(self) -> None:
        if isinstance(self.parent, RegistrationFields):
            self.parent.keep_focused_in_view()


class RegistrationFields(Vertical):
    """The rows of a registration form (id `form`, scrolling in `form-rows`) with its save button (id
    `save`) always in sight under them."""

    def __init__(self, template: Template, form: RegistrationForm, lang: str, save_label: str,
                 units: Sequence[str] = (), companions: tuple[str, str] = ("", "")) -> None:
        super().__init__(id="form")
        self._companions = companions  # the companions row's label and text
        self._template = template
        self._form = form
        self._lang = lang
        self._save_label = save_label
        self._units = units

    def compose(self):  # type: ignore[no-untyped-def]
        shown = {f.key for f in self._form.shown()}
        with FormRows(id="form-rows", can_focus=False):
            yield Static(self._template.title.text(self._lang), id="form-title")
            for form_field in self._template.fields:
                row = FieldRow(form_field, self._form.value(form_field.key), self._lang,
                               self._units if form_field.key == "unit" else ())
                row.display = form_field.key in shown
                yield row
                if form_field.key == "unit":  # a minor's companions, when the room has adults (the screen shows it)
                    companions = CompanionsRow(self._companions[0], self._companions[1])
                    companions.display = False
                    yield companions
        # Under the rows, not among them: notes under the fields never push it off the screen.
        yield Button(self._save_label, id="save", compact=True)

    def show_value(self, key: str) -> None:
        """Put the form's value of `key` into its widget (after a scan or an automatic fill)."""
        value = self._form.value(key)
        for widget in self.query(f"#{widget_id(key)}"):
            if isinstance(widget, Input):
                widget.value = value
            elif isinstance(widget, ChoiceSelect):
                known = {v for _, v in widget._options}  # noqa: SLF001 - Select keeps no public list
                widget.value = value if value in known else ChoiceSelect.NULL

    def show_applicable(self) -> None:
        """Show the rows that apply to what is typed (a child's guardian, a passport's nationality)."""
        shown = {f.key for f in self._form.shown()}
        for row in self.query(FieldRow):
            row.display = row.form_field.key in shown

    def show_companions(self, shown: bool, text: str) -> None:
        """Show or hide the companions row, naming the adults picked."""
        for row in self.query(CompanionsRow):
            row.display = shown
            row.show(text)

    def mark(self, problems: Mapping[str, Problem]) -> None:
        """Mark each row by the problem shown for its field, if any, and write it under the field."""
        for row in self.query(FieldRow):
            row.show_problem(problems.get(row.form_field.key))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Scroll the focused field's whole row into view: its note is under the input."""
        self.keep_focused_in_view()

    def keep_focused_in_view(self) -> None:
        """The focused field's row (with its note) in sight, once the rows are laid out again: leaving
        a field may just have written or removed a note, moving every row below it."""
        self.call_after_refresh(self._scroll_to_focused)

    def _scroll_to_focused(self) -> None:
        focused = self.screen.focused
        for row in focused.ancestors if focused is not None else ():
            if isinstance(row, FieldRow):
                self.query_one("#form-rows", VerticalScroll).scroll_to_widget(row, animate=False)
                return

    def focus_field(self, key: str) -> None:
        for widget in self.query(f"#{widget_id(key)}"):
            widget.focus()

    def widget_values(self, keys: Iterable[str]) -> dict[str, str]:
        """What each field's widget holds now: keys typed just before Ctrl+S may not have reached the form
        through their Changed messages yet."""
        values = {}
        for key in keys:
            for widget in self.query(f"#{widget_id(key)}"):
                value = widget.value if isinstance(widget, Input) else getattr(widget, "value", None)
                values[key] = value if isinstance(value, str) else ""
        return values

    def suggest_units(self, units: Sequence[str]) -> None:
        """The venue's known units as the unit field's suggestions."""
        self._units = units
        for unit_input in self.query("#f-unit").results(Input):
            unit_input.suggester = SuggestFromList(units, case_sensitive=False)
