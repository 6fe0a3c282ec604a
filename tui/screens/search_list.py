"""A search box over a list of registrations, as the departure and people screens share it.

Typing filters the list at once, in memory (names are decrypted once, when the list loads); Enter in the
box or Down goes to the list; Ctrl+F comes back to the box. A screen says which registrations it lists
(`fetch`), which of them are in scope (`pool`) and how it counts them (`note`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from agent.register.search import find
from tui.card_reading import TakesCards
from tui.fresh_reads import show_if_latest
from tui.screens.base import DengjiScreen
from tui.widgets.people_table import PeopleTable
from tui.widgets.reader_status import ReaderStatus

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.register.records import RegistrationView
    from agent.register.registry import Registry


class SearchListScreen(DengjiScreen):
    COLUMNS: ClassVar[tuple[str, ...]] = ()  # all the list can show, on a wide terminal
    DROP_ORDER: ClassVar[tuple[str, ...]] = ()  # what a narrower one leaves out first
    LIST_ID: ClassVar[str] = "list"

    def __init__(self, screen_id: str) -> None:
        super().__init__(id=screen_id)
        self.views: list[RegistrationView] = []
        self.search_text = ""

    def compose_body(self):  # type: ignore[no-untyped-def]
        with Horizontal(classes="search-row"):
            yield Label(self.say("查找", "Find"), classes="search-label")
            unit = self.unit_label()
            yield Input(self.search_text, placeholder=self.say(f"姓名、{unit}或证件号码后几位",
                                                               f"name, {unit.lower()} or last digits"),
                        id="search", compact=True)
            if isinstance(self, TakesCards):  # a card laid on the reader finds its holder
                yield ReaderStatus(self.dengji.card_reading, self.session.lang)
        yield Static("", id="found")
        yield PeopleTable(self.COLUMNS, self.session.lang, self.unit_label(), drop_order=self.DROP_ORDER,
                          id=self.LIST_ID)

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()
        self.load()

    def after_relabel(self) -> None:
        self._filter()

    def fetch(self, registry: Registry) -> list[RegistrationView]:
        """The registrations this screen lists (runs in a worker thread)."""
        raise NotImplementedError

    def pool(self) -> list[RegistrationView]:
        """The listed registrations that searching looks through."""
        return self.views

    def note(self, pool: int, found: int, shown: int) -> str:
        """The line above the list: how many there are, found and shown."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        registry = self.session.registry
        assert registry is not None
        views = self.fetch(registry)
        show_if_latest(self.app, self._loaded, views)

    def _loaded(self, views: list[RegistrationView]) -> None:
        self.views = views
        self._filter()

    def _filter(self) -> None:
        if self.relabelling:
            return
        pool = self.pool()
        matches = find(pool, self.search_text)
        left_out = self.query_one(f"#{self.LIST_ID}", PeopleTable).show(matches)
        self.query_one("#found", Static).update(self.note(len(pool), len(matches), len(matches) - left_out))

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value
        self._filter()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search_entered(event.input)

    def search_entered(self, search: Input) -> None:
        """Enter in the search box: to the list."""
        self.action_to_list()

    def action_to_list(self) -> None:
        table = self.query_one(f"#{self.LIST_ID}", PeopleTable)
        if table.row_count:
            table.focus()

    def action_to_search(self) -> None:
        self.query_one("#search", Input).focus()
