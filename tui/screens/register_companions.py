"""The register screen's companions of a minor: who is checked in to the room typed, offered as the adults
sharing it (a row with a button that opens `CompanionsModal`). Shown only while the form asks for them:
a minor staying at a hotel (issue 18; the rule is agent.validation.arrival_rules).

A part of `RegisterScreen` (tui/screens/register_screen.py); it uses the screen's form and fields.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textual import work

if TYPE_CHECKING:
    from agent.register.records import Companion
    from tui.screens.register_screen import RegisterScreen

    _Base = RegisterScreen
else:
    _Base = object


class FindsCompanions(_Base):
    """The companions row of the register form and what fills it."""

    _companion_candidates: list[Companion]  # who is in the room typed

    def _look_for_companions(self) -> None:
        """A minor in a room: find who is checked in there (a worker); anyone else: no companions row."""
        form = self.form
        if form is None:
            return
        unit = " ".join(form.value("unit").split())
        if not form.asks_companions() or not unit:
            self._companion_candidates = []
            self._show_companions()
            return
        from agent.domain.errors import InvalidDocument
        from agent.validation.datetimes import parse_datetime

        try:
            day = parse_datetime(form.value("arrived_at")).date()
        except InvalidDocument:
            day = self.session.clock().date()
        self._find_companions(unit, day)

    @work(thread=True, exclusive=True, group="companions")
    def _find_companions(self, unit: str, day: date) -> None:
        registry = self.session.registry
        if registry is None:
            return
        candidates = registry.companions(unit, day)
        self.app.call_from_thread(self._found_companions, unit, candidates)

    def _found_companions(self, unit: str, candidates: list[Companion]) -> None:
        form = self.form
        if form is None or " ".join(form.value("unit").split()) != unit:
            return  # the room was changed meanwhile: its own search follows
        self._companion_candidates = candidates
        known = {c.doc_number for c in candidates if c.adult is not False}
        kept = [c for c in form.companions if c.get("doc_number") in known]
        if kept != form.companions:
            form.companions = kept
            self._refresh_marks()
        self._show_companions()

    def _companions_text(self) -> str:
        from tui.screens.companions_modal import companions_text

        form = self.form
        return companions_text(form.companions if form else [], self._companion_candidates, self.session.lang)

    def _show_companions(self) -> None:
        if self.relabelling or self.form is None:
            return
        shown = self.form.asks_companions() and any(c.adult is not False for c in self._companion_candidates)
        self.fields.show_companions(shown, self._companions_text())

    def pick_companions(self) -> None:
        """The companions' button: choose among who is in the room (the screen's handler calls this:
        textual finds `@on` handlers on the screen's own classes only, not on a plain mixin)."""
        from tui.screens.companions_modal import CompanionsModal

        form = self.form
        if form is None:
            return

        def answered(chosen: object) -> None:
            if isinstance(chosen, list) and self.form is not None:
                self.form.companions = chosen
                self._show_companions()
                self._refresh_marks()
                self.focus_next()  # from the companions' button to the next field

        self.app.push_screen(CompanionsModal(" ".join(form.value("unit").split()), self._companion_candidates,
                                             form.companions), answered)
