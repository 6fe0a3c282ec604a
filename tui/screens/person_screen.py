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
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from agent.domain.codes import countries, doc_types, label, sexes
from tui.fresh_reads import show_if_latest
from tui.keys import Key
from tui.messages import PersonInspected
from tui.screens.base import BACK, DengjiScreen
from tui.screens.modal import DengjiModal
from tui.screens.stay_change_modal import EXTEND, MOVE, StayChangeModal, change_names
from tui.screens.undoing import UNDO_KEY, UndoesThisDeparture
from tui.widgets.people_table import PeopleTable, leaving, short_time

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.register.records import RegistrationView
    from agent.register.registry import PermitCheckResult

_KINDS = {"tenancy": ("租住", "Tenancy"), "stay": ("住宿", "Stay"), "employment": ("从业", "Employment")}


class PersonScreen(UndoesThisDeparture, DengjiScreen):
    KEYS = (Key("f7", "check_permit", "查居住证", "Check permit"),
            # Off the bar: the buttons under the details carry these keys' names (present people only).
            Key("ctrl+t", "change_room", "换房", "Change room", on_bar=False),
            Key("ctrl+e", "extend", "续住/续租", "Extend/renew", on_bar=False),
            UNDO_KEY, BACK)
    TITLE_ZH, TITLE_EN = "人员详情", "Person"
    HELP_ZH = ("一位人员的登记详情，以及此人在本场所的历次登记。\n"
               "在住的人：Ctrl+T 换房；Ctrl+E 续住（租户为续租，填写新的租约到期日，如 2026-12-31）。"
               "也可以按 Tab 到下面的按钮，再按 Enter。\n"
               "F7 向平台查询此人的居住证是否有效（一证通），结果和查询时间会保存下来。"
               "离开登记后 15 分钟内按 Ctrl+Z 可以撤销。按 Esc 返回。")
    HELP_EN = ("One registration in detail, and the person's registrations here over time.\n"
               "For someone present: Ctrl+T changes the room; Ctrl+E extends the stay (for a tenant, renews the "
               "lease: type the new end date, e.g. 2026-12-31). Or Tab to the buttons below and press Enter.\n"
               "F7 asks the platform whether the person's residence permit is valid (一证通); the answer is kept "
               "with its time. Ctrl+Z undoes a check-out recorded in the last 15 minutes. Esc goes back.")

    def __init__(self, view: RegistrationView, history: list[RegistrationView]) -> None:
        super().__init__(id="person")
        self.view = view
        self.history = history
        self.checks: list[PermitCheckResult] = []
        self.changed_text = ""  # what the last room change or extension did, in the session's language

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
            *((((("国籍(地区)", "Nationality"), _country(view.nationality, lang)),)
               if view.nationality and view.nationality != "CHN" else ())),
            (("电话", "Phone"), view.phone_masked or ""),
            ((self.unit_label(), self.unit_label()), view.unit),
            (("到达", "Arrived"), short_time(view.arrived_at)),
            ((("租约到期", "Lease ends") if view.kind == "tenancy" else ("预计离开", "Expected to leave")),
             leaving(view)),
            (("离开", "Left"), short_time(view.departed_at) if view.departed_at else self.say("在住", "present")),
        ]
        for (zh, en), value in rows:
            grid.add_row(self.say(zh, en), value)
        with VerticalScroll(id="person-body"):
            yield Static(grid, id="person-details")
            yield from self.undo_offer_lines()
            if view.present:
                names = change_names(view)
                with Horizontal(id="stay-changes"):
                    yield Button(f"{self.say(*names[MOVE])}  Ctrl+T", id="change-room", compact=True)
                    yield Button(f"{self.say(*names[EXTEND])}  Ctrl+E", id="extend", compact=True)
            yield Static(self.changed_text, id="stay-changed")
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
        show_if_latest(self.app, self._show_checks, checks)

    def _show_checks(self, checks: list[PermitCheckResult]) -> None:
        self.checks = checks
        if self.relabelling:
            return
        text = (self.say("居住证核验：", "Residence permit: ") + checks[0].text(self.session.lang) if checks
                else self.say("居住证核验：未查询（按 F7 查询）", "Residence permit: not checked (F7 to check)"))
        self.query_one("#permit", Static).update(text)

    # -- room changes and extensions ----------------------------------------------------------------

    @on(Button.Pressed, "#change-room")
    def action_change_room(self) -> None:
        self._ask_change(MOVE)

    @on(Button.Pressed, "#extend")
    def action_extend(self) -> None:
        self._ask_change(EXTEND)

    def _ask_change(self, change: str) -> None:
        view = self.view
        if not view.present:
            self.notify(self.say("此人已离开：不能换房或续住", "This person has left: no room change or extension"),
                        severity="warning")
            return

        def answered(outcome: object) -> None:
            if outcome is not None:
                self._changed(change)

        self.app.push_screen(StayChangeModal(view, change), answered)

    def _changed(self, change: str) -> None:
        delivery = self.session.delivery
        if delivery is not None:
            delivery.send_soon()
        self.reload_view(change)

    @work(thread=True, exclusive=True, group="person-view")
    def reload_view(self, change: str) -> None:
        """The registration as the agent now holds it (its room or its end), then the screen again."""
        registry = self.session.registry
        assert registry is not None
        view = next((v for v in registry.registrations(present_only=True) if v.id == self.view.id), None)
        show_if_latest(self.app, self._reloaded, view, change)

    async def _reloaded(self, view: RegistrationView | None, change: str) -> None:
        if view is not None:
            self.history = [view if v.id == view.id else v for v in self.history]
            self.view = view
        names = change_names(self.view)
        self.changed_text = (
            self.say(f"已换房：现在住 {self.view.unit}", f"Room changed: now in {self.view.unit}")
            if change == MOVE else
            self.say(f"已{names[EXTEND][0]}：至 {leaving(self.view)}", f"Done ({names[EXTEND][1].lower()}): until "
                     f"{leaving(self.view)}"))
        await self.relabel()

    def action_check_permit(self) -> None:
        if self.session.delivery is None:
            self.notify(self.say("没有连接上报程序，无法查询", "Not connected to the uploader: cannot check"),
                        severity="error")
            return
        self.app.push_screen(PermitCheckModal(self.view), lambda _: self.load_checks())


def _country(code: str | None, lang: str) -> str:
    """A nationality by its name (美国, United States), the code itself when the table lacks it."""
    entry = countries().get(code or "")
    return label(entry, lang) if entry is not None else (code or "")


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
