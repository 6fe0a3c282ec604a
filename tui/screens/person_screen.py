"""One person's registration in detail, with their earlier stays here (the history).

What a list row carries (masked numbers) is all that is shown: the agent's API gives no decrypted
detail yet, and a screen that shows less cannot leak more. The history is matched on the masked
number, the document type and the name. Opening it is a look at one person's record: the audit trail
notes it (`inspect`, with the registration's number).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from agent.domain.codes import doc_types, label, sexes
from tui.keys import Key
from tui.messages import PersonInspected
from tui.screens.base import BACK, DengjiScreen
from tui.screens.modal import DengjiModal
from tui.screens.undoing import UNDO_KEY, UndoesThisDeparture
from tui.widgets.people_table import PeopleTable, leaving, short_time

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.register.records import RegistrationView
    from agent.register.registry import PermitCheckResult

_KINDS = {"tenancy": ("租住", "Tenancy"), "stay": ("住宿", "Stay"), "employment": ("从业", "Employment")}


class PersonScreen(UndoesThisDeparture, DengjiScreen):
    KEYS = (Key("f7", "check_permit", "查居住证", "Check permit"), UNDO_KEY, BACK)
    TITLE_ZH, TITLE_EN = "人员详情", "Person"
    HELP_ZH = ("一位人员的登记详情，以及此人在本场所的历次登记。\n"
               "F7 向平台查询此人的居住证是否有效（一证通），结果和查询时间会保存下来。"
               "离开登记后 15 分钟内按 Ctrl+Z 可以撤销。按 Esc 返回。")
    HELP_EN = ("One registration in detail, and the person's registrations here over time.\nF7 asks the "
               "platform whether the person's residence permit is valid (一证通); the answer is kept with its "
               "time. Ctrl+Z undoes a check-out recorded in the last 15 minutes. Esc goes back.")

    def __init__(self, view: RegistrationView, history: list[RegistrationView]) -> None:
        super().__init__(id="person")
        self.view = view
        self.history = history
        self.checks: list[PermitCheckResult] = []

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
            ((self.unit_label(), self.unit_label()), view.unit),
            (("到达", "Arrived"), short_time(view.arrived_at)),
            (("预计离开", "Expected to leave"), leaving(view)),
            (("离开", "Left"), short_time(view.departed_at) if view.departed_at else self.say("在住", "present")),
        ]
        for (zh, en), value in rows:
            grid.add_row(self.say(zh, en), value)
        with VerticalScroll(id="person-body"):
            yield Static(grid, id="person-details")
            yield from self.undo_offer_lines()
            yield Static("", id="permit")
            yield Static(self.say(f"在本场所的登记（{len(self.history)} 次）", f"Registrations here ({len(self.history)})"),
                         id="history-title")
            yield PeopleTable(("id", "unit", "arrived", "departed"), lang, self.unit_label(), id="history")

    def on_mount(self) -> None:
        self.after_relabel()
        self.load_checks()
        self.post_message(PersonInspected(self.view.id))

    def after_relabel(self) -> None:
        self.query_one("#history", PeopleTable).show(self.history)
        self._show_checks(self.checks)

    @work(thread=True, exclusive=True, group="permit")
    def load_checks(self) -> None:
        registry = self.session.registry
        assert registry is not None
        checks = registry.permit_checks(self.view.id)
        self.app.call_from_thread(self._show_checks, checks)

    def _show_checks(self, checks: list[PermitCheckResult]) -> None:
        self.checks = checks
        if self.relabelling:
            return
        text = (self.say("居住证核验：", "Residence permit: ") + checks[0].text(self.session.lang) if checks
                else self.say("居住证核验：未查询（按 F7 查询）", "Residence permit: not checked (F7 to check)"))
        self.query_one("#permit", Static).update(text)

    def action_check_permit(self) -> None:
        if self.session.delivery is None:
            self.notify(self.say("没有连接上报程序，无法查询", "Not connected to the uploader: cannot check"),
                        severity="error")
            return
        self.app.push_screen(PermitCheckModal(self.view), lambda _: self.load_checks())


class PermitCheckModal(DengjiModal):
    """Ask the platform about a person's residence permit; the number recorded is used unless one is typed."""

    BINDINGS = [("escape", "close", "Close")]

    def __init__(self, view: RegistrationView) -> None:
        super().__init__(id="permit-check")
        self.view = view

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical(id="permit-check-box"):
            yield Label(self.say(f"查询居住证（一证通）：{self.view.unit} {self.view.name}",
                                 f"Check the residence permit: {self.view.unit} {self.view.name}"))
            yield Input(placeholder=self.say("居住证号码（留空则用登记时的号码）",
                                             "permit number (empty: the one recorded)"), id="permit-number")
            yield Static(self.say("Enter 查询，Esc 关闭", "Enter checks, Esc closes"), id="permit-answer")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_one("#permit-answer", Static).update(self.say("正在向平台查询……", "Asking the platform..."))
        self.ask(event.value.strip() or None)

    @work(exclusive=True, group="permit-ask")
    async def ask(self, permit_number: str | None) -> None:
        """On the app's loop: the uploader's client is asyncio; the TUI only awaits it."""
        from agent.validation import Problem

        delivery, registry = self.session.delivery, self.session.registry
        assert delivery is not None and registry is not None
        result = await delivery.check_permit(self.view.id, permit_number, registry.operator)
        answer = self.query_one("#permit-answer", Static)
        if isinstance(result, Problem):
            answer.update(Text(result.text(self.session.lang), style="bold red"))
        else:
            answer.update(Text(result.text(self.session.lang), style="bold green" if result.valid else "bold red"))

    def action_close(self) -> None:
        self.dismiss(None)
