"""The register screen's documents: an ID card swiped or a passport scanned into the scan box (or an
ID card swiped into another field), and a card laid on the desk's reader. Each fills the form's fields
it holds and sends the cursor to the first field left to fill.

A part of `RegisterScreen` (tui/screens/register_screen.py), kept apart so the screen reads as the form's
typing and saving; it uses the screen's form, fields and messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget
from textual.widgets import Button, Input

from agent.domain import RegistrationKind
from agent.validation import Severity
from tui.card_reading import TakesCards
from tui.scanner import (
    AwaitingSecondLine,
    IdCardScan,
    PassportScan,
    ScanFailed,
    ScanResult,
)
from tui.widgets.field_row import widget_id

if TYPE_CHECKING:
    from agent.cardreader import IdentityCard, ReaderError
    from tui.screens.register_screen import RegisterScreen

    _Base = RegisterScreen
else:
    _Base = object


class FillsFromDocuments(TakesCards, _Base):
    """Scans and cards fill the register form."""

    def _swiped_into(self, field_input: Input, key: str) -> bool:
        """An ID card swiped while the cursor was in another text field: take the number out of it."""
        swiped = self._scans.swiped_into(field_input.value)
        if swiped is None:
            return False
        field_input.value = swiped.field_text
        self._apply_scan(swiped.scan)
        return True

    def _scan_box(self, text: str) -> None:
        scan_input = self.query_one("#scan", Input)
        if not text.strip():
            self._scans.reset()
            self.focus_next()
            return
        result = self._scans.feed(text)
        scan_input.value = ""
        if isinstance(result, AwaitingSecondLine):
            self._message(self.say("已读到护照第一行，正在读第二行……", "First passport line read, reading the second..."))
            return
        if result is None:
            self._message(self.say("没有认出证件。请重新刷卡，或按 Enter 后手工录入",
                                   "That was not a document scan. Swipe again, or press Enter to type by hand"),
                          error=True)
            return
        self._apply_scan(result)

    def _apply_scan(self, scan: ScanResult) -> None:
        form = self._ensure_form()
        if isinstance(scan, ScanFailed):
            self._message(scan.problem.text(self.session.lang), error=True)
            return
        if isinstance(scan, IdCardScan):
            changed = form.fill_from_id_card(scan.number)
        elif isinstance(scan, PassportScan):
            changed = form.fill_from_passport(scan.passport)
        else:
            return
        self._filled(changed)

    def card_placed(self, card: IdentityCard) -> None:
        """A card read by the desk's reader fills every field it holds (document, number, name, sex,
        ethnic group, birth date, address, nationality) and the cursor goes to the first required field
        left, usually the room. An expired card is refused for a stay: it is not a valid document."""
        if self.saving:
            return
        form = self._ensure_form()
        assert self.template is not None
        lang = self.session.lang
        expired = card.expired_on(self.session.clock().date())
        if expired and self.template.registration is RegistrationKind.STAY:
            until = card.valid_until.isoformat() if card.valid_until else ""
            self._message(self.say(f"这张证件已过期（有效期至 {until}），不能用于住宿登记：请客人出示有效证件",
                                   f"This card expired on {until}: a stay cannot be registered with it. Ask "
                                   "for a valid document"), error=True)
            return
        self._scans.reset()
        self.query_one("#scan", Input).value = ""
        changed = form.fill_from_card(card.person_fields(), lang)
        self._filled(changed)
        notes = [warning.text(lang) for warning in card.warnings]
        if expired:
            notes.append(self.say(f"证件已过期（有效期至 {card.valid_until}）", f"the card expired on {card.valid_until}"))
        if notes:
            self.app.notify("\n".join(notes), title=self.say("读卡器", "Card reader"), severity="warning", timeout=8)

    def _filled(self, changed: set[str]) -> None:
        """What a document filled: shown, its fields' problems judged, the companions looked for, and the
        cursor on the first field still to fill."""
        assert self.form is not None
        self.fields.show_applicable()
        for key in changed:
            self.fields.show_value(key)
        self.problems.leave(k for k in changed if self.form.value(k))
        self._look_for_companions()
        self._refresh_marks()
        self._focus_first_empty()

    def card_problem(self, problem: ReaderError) -> None:
        """A reading that failed while the reader works (the card lifted too soon...): what to do."""
        self._message(problem.text(self.session.lang), error=True)

    def _focus_first_empty(self) -> None:
        """After a scan: the first field still to fill (usually the name, or the room; for a foreign
        passport the visa, which the shared check requires). The focus moves now, not after the app's
        queue (as `Widget.focus` would): the keys of a burst still waiting there go to the new field."""
        assert self.form is not None
        target: Widget = self.query_one("#save", Button)
        problems = self.form.problems(self.session.clock())
        for form_field in self.form.shown():
            problem = problems.get(form_field.key)
            needed = form_field.required or (problem is not None and problem.severity is Severity.ERROR)
            if needed and not self.form.value(form_field.key).strip():
                target = self.query_one(f"#{widget_id(form_field.key)}")
                break
        self.set_focus(target)
