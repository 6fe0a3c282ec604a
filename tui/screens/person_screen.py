"""One person's registration in detail, with their earlier stays here (the history).

What a list row carries (masked numbers) is all that is shown: the agent's API gives no decrypted
detail yet, and a screen that shows less cannot leak more. The history is matched on the masked
number, the document type and the name. Opening it is a look at one person's record: the audit trail
notes it (`inspect`, with the registration's number).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from textual.containers import VerticalScroll
from textual.widgets import Static

from agent.codes import doc_types, label, sexes
from tui.screens.base import BACK, DengjiScreen
from tui.widgets.people_table import PeopleTable, short_time

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.registry import RegistrationView

_KINDS = {"tenancy": ("租住", "Tenancy"), "stay": ("住宿", "Stay"), "employment": ("从业", "Employment")}


class PersonScreen(DengjiScreen):
    KEYS = (BACK,)
    TITLE_ZH, TITLE_EN = "人员详情", "Person"
    HELP_ZH = "一位人员的登记详情，以及此人在本场所的历次登记。按 Esc 返回。"
    HELP_EN = "One registration in detail, and the person's registrations here over time. Esc goes back."

    def __init__(self, view: RegistrationView, history: list[RegistrationView]) -> None:
        super().__init__(id="person")
        self.view = view
        self.history = history

    def compose_body(self):  # type: ignore[no-untyped-def]
        lang = self.session.lang
        view = self.view
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        doc = doc_types().get(view.doc_type)
        sex = sexes().get(view.sex or "")
        kind = _KINDS.get(view.kind, (view.kind, view.kind))
        rows = [
            (("登记号", "Registration"), str(view.id)),
            (("登记类型", "Kind"), self.say(*kind)),
            (("姓名", "Name"), view.name),
            (("性别", "Sex"), label(sex, lang) if sex else ""),
            (("证件", "Document"), f"{label(doc, lang) if doc else view.doc_type}  {view.doc_masked}"),
            (("电话", "Phone"), view.phone_masked or ""),
            (("房号", "Unit"), view.unit),
            (("到达", "Arrived"), short_time(view.arrived_at)),
            (("预计离开", "Expected to leave"), short_time(view.expected_departure)),
            (("离开", "Left"), short_time(view.departed_at) if view.departed_at else self.say("在住", "present")),
        ]
        for (zh, en), value in rows:
            grid.add_row(self.say(zh, en), value)
        with VerticalScroll(id="person-body"):
            yield Static(grid, id="person-details")
            yield Static(self.say(f"在本场所的登记（{len(self.history)} 次）", f"Registrations here ({len(self.history)})"),
                         id="history-title")
            yield PeopleTable(("id", "unit", "arrived", "departed"), lang, id="history")

    def on_mount(self) -> None:
        self.after_relabel()
        self.dengji.record_action("inspect", registration_id=self.view.id)  # agent.audit.INSPECT

    def after_relabel(self) -> None:
        self.query_one("#history", PeopleTable).show(self.history)
