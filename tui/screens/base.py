"""What every dengji screen shares: the session, the language, the title and key bars.

A screen declares its `KEYS` (bindings, key bar and F1 help all come from them), its title and a
line of help in both languages, and builds its body in `compose_body`. Switching language recomposes
the screen from the session's state, which is why no screen keeps anything that matters in a widget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.screen import Screen

from tui.keys import Key, bindings
from tui.screens.discard_modal import DiscardModal
from tui.session import TuiSession
from tui.widgets.key_bar import KeyBar
from tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from tui.app import DengjiApp

BACK = Key("escape", "back", "返回", "Back")


class DengjiScreen(Screen[None]):
    KEYS: ClassVar[tuple[Key, ...]] = ()
    TITLE_ZH: ClassVar[str] = ""
    TITLE_EN: ClassVar[str] = ""
    HELP_ZH: ClassVar[str] = ""
    HELP_EN: ClassVar[str] = ""

    stale_language = False  # the language changed while another screen was on top
    relabelling = False  # widgets are being rebuilt: workers' results wait in the state until done

    def __init_subclass__(cls, **kwargs: object) -> None:
        cls.BINDINGS = bindings(cls.KEYS)  # before Textual reads them in its own __init_subclass__
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]

    def has_unsaved_work(self) -> bool:
        """Whether leaving this screen would lose something typed (a form says so; most screens hold none)."""
        return False

    def ask_before_discarding(self, then: Callable[[], object]) -> None:
        """Ask whether to throw away what was typed; `then` runs only on a deliberate yes."""
        def answered(discard: object) -> None:
            if discard:
                then()

        self.app.push_screen(DiscardModal(), answered)

    @property
    def dengji(self) -> DengjiApp:
        return cast("DengjiApp", self.app)

    @property
    def session(self) -> TuiSession:
        return self.dengji.session

    def say(self, zh: str, en: str) -> str:
        return self.session.say(zh, en)

    def unit_label(self) -> str:
        """What this venue calls a unit, as its form does: a hotel's 房号/Room, an employer's dormitory."""
        venue = self.session.venue
        if venue is None:
            return self.say("房号", "Unit")
        from agent.forms.templates import load_template

        return load_template(venue.kind).field("unit").label.text(self.session.lang)

    def all_keys(self) -> list[Key]:
        return [*self.KEYS, *self.dengji.APP_KEYS]

    def help_text(self) -> str:
        return self.say(self.HELP_ZH, self.HELP_EN)

    def compose(self) -> ComposeResult:
        venue = self.session.venue
        yield TitleBar(venue.name if venue else "", self.say(self.TITLE_ZH, self.TITLE_EN), self.session.clock,
                       self.session.lang)
        yield from self.compose_body()
        # Help and language first: if a narrow terminal cuts the bar, it cuts the screen's rarer keys.
        yield KeyBar([*self.dengji.APP_KEYS, *self.KEYS], self.session.lang)

    def compose_body(self) -> Iterable[object]:  # pragma: no cover - every screen overrides it
        return ()

    async def _on_screen_resume(self) -> None:
        if self.stale_language:
            self.stale_language = False
            await self.relabel()

    async def relabel(self) -> None:
        """Rebuild in the session's (new) language from the state, and put the cursor back."""
        focused = self.focused.id if self.focused is not None else None
        self.relabelling = True
        try:
            await self.recompose()
        finally:
            self.relabelling = False
        self.after_relabel()
        if focused:
            for widget in self.query(f"#{focused}"):
                widget.focus()

    def after_relabel(self) -> None:
        """Refill what compose leaves empty (tables filled by workers)."""

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
