"""Ctrl+Z: undo a check-out, for the screens that offer it (home and departure: the last check-out made
here; a departed person's screen: that person's).

The key only asks (`UndoDepartureModal`: who comes back, with name, room and masked number); Enter on
the focused 撤销离开 button undoes it through the register (`Registry.undo_departure`, once per person of
a room checked out at once). What the register refuses - 15 minutes have passed, the guest has been
registered again - is said in its words; the people it reopened are present again everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from textual import work
from textual.content import Content
from textual.widgets import Static

from tui.keys import Key
from tui.messages import DepartureUndone
from tui.screens.undo_modal import UndoDepartureModal

if TYPE_CHECKING:
    from agent.register.records import Outcome, RegistrationView
    from tui.screens.base import DengjiScreen

    _Base = DengjiScreen
else:
    _Base = object

UNDO_KEY = Key("ctrl+z", "undo_departure", "撤销离开", "Undo check-out", on_bar=False)


def undo_hint(lang: str, until: datetime) -> str:
    """The words that tell the clerk how to undo, and until when (notifications, status lines)."""
    from agent.domain import CHINA_TIME

    at = until.astimezone(CHINA_TIME).strftime("%H:%M")
    return (f"Ctrl+Z undoes it until {at}" if lang == "en" else f"按 Ctrl+Z 可撤销（{at} 前）")


class UndoesDepartures(_Base):
    """A screen on which Ctrl+Z undoes the last check-out made at this desk (home, departure)."""

    def action_undo_departure(self) -> None:
        now = self.session.clock()
        recent = self.session.departures
        departure = recent.latest_undoable(now)
        if departure is None:
            latest = recent.latest()
            problem = latest.too_late(now) if latest is not None else None
            self.notify(problem.text(self.session.lang) if problem is not None else self.say(
                "没有可以撤销的离开（离开登记后 15 分钟内可以撤销）",
                "No check-out to undo (one can be undone for 15 minutes after it is recorded)"),
                severity="warning", timeout=8)
            return
        self.ask_to_undo(departure.people, departure.until)

    def ask_to_undo(self, people: Sequence[RegistrationView], until: datetime | None) -> None:
        """The question; on a deliberate yes, the undo (in a worker: the register writes)."""
        def answered(undo: object) -> None:
            if undo is True:
                self._undo(tuple(people))

        self.app.push_screen(UndoDepartureModal(people, until), answered)

    @work(thread=True, group="undo")
    def _undo(self, people: tuple[RegistrationView, ...]) -> None:
        registry = self.session.registry
        assert registry is not None
        outcomes = [(view, registry.undo_departure(view.id)) for view in people]
        self.app.call_from_thread(self._undone, outcomes)

    def _undone(self, outcomes: list[tuple[RegistrationView, Outcome]]) -> None:
        back = [view for view, outcome in outcomes if outcome.ok]
        lang = self.session.lang
        if back:
            self.session.departures.forget({view.id for view in back})
            delivery = self.session.delivery
            if delivery is not None:
                delivery.send_soon()
            names = self.say("、", ", ").join(view.name for view in back)
            self.app.clear_notifications()  # one notice at a time: a stack of them hides the list at 60x20
            self.notify(self.say(f"已撤销离开：{back[0].unit} {names}（重新在住）",
                                 f"Check-out undone: {back[0].unit} {names} (present again)"), timeout=8)
            for view in back:
                self.app.post_message(DepartureUndone(view.id))
        for view, outcome in outcomes:
            if not outcome.ok:
                self.notify(f"{view.unit} {view.name}：{outcome.problems[0].text(lang)}", severity="error",
                            timeout=10)
        if back:
            self.departures_undone(back)

    def departures_undone(self, people: list[RegistrationView]) -> None:
        """These stays are open again: show them so (each screen refreshes what it lists)."""


class UndoesThisDeparture(UndoesDepartures):
    """A person's screen: Ctrl+Z undoes this stay's departure (the register says whether it still can:
    15 minutes after it was recorded). The screen has `view` and `history` (RegistrationViews)."""

    view: RegistrationView
    history: list[RegistrationView]

    def undo_offer(self) -> str:
        """The line that offers the undo while this desk knows it is possible ("" otherwise)."""
        if self.view.present:
            return ""
        known = self.session.departures.of(self.view.id)
        if known is None or not known.undoable(self.session.clock()):
            return ""
        return self.say(f"离开刚办理：{undo_hint('zh', known.until)}",
                        f"Checked out just now: {undo_hint('en', known.until)}")

    def undo_offer_lines(self) -> Iterator[Static]:
        """The offer as a line of the person's screen, while there is one."""
        offer = self.undo_offer()
        if offer:
            line = Static(Content.from_markup("[b $warning]$offer[/]", offer=offer), id="undo-offer")
            line.styles.padding = (0, 2)
            yield line

    def action_undo_departure(self) -> None:
        if self.view.present:
            self.notify(self.say("此人在住：没有离开可以撤销", "This person is present: no check-out to undo"),
                        severity="warning", timeout=8)
            return
        known = self.session.departures.of(self.view.id)
        self.ask_to_undo([self.view], known.until if known is not None else None)

    async def _reopened(self, people: list[RegistrationView]) -> None:
        from dataclasses import replace

        back = {view.id for view in people}
        self.view = replace(self.view, departed_at=None) if self.view.id in back else self.view
        self.history = [replace(v, departed_at=None) if v.id in back else v for v in self.history]
        await self.relabel()
        from tui.screens.search_list import SearchListScreen

        for screen in self.app.screen_stack:  # the lists beneath (People) show them present again
            if isinstance(screen, SearchListScreen):
                screen.load()

    def departures_undone(self, people: list[RegistrationView]) -> None:
        self.run_worker(self._reopened(people), group="undo-shown")
