"""What the platform refused, with its reason in plain words: correct it, or send it again unchanged.

Enter on a refused registration opens the register form filled with what was sent, for the clerk to
fix; a refused departure asks for the right time; a refused visit, visitor leaving, room change or
extension asks its fields again, filled with what was sent (`StayCorrectionModal`). `R` sends a record again as it was, for a refusal
whose cause was put right elsewhere (the room filed at the police station). Either way the agent
writes a new event and retires the refused one in one transaction; the upload happens in the background.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.widgets import DataTable, Input, Label, Static

from tui.fresh_reads import show_if_latest
from tui.keys import Key
from tui.screens.base import BACK, DengjiScreen
from tui.screens.modal import DengjiModal
from tui.widgets.measured_table import MeasuredTable
from tui.widgets.people_table import short_time

if TYPE_CHECKING:  # the registry module loads SQLModel: not before the first frame
    from agent.register.records import Outcome, Rejection
    from tui.screens.stay_correction_modal import StayFix

_WHAT = {"registration": ("登记", "Registration"), "update": ("变更", "Update"), "correction": ("更正", "Correction"),
         "departure": ("离开", "Departure"), "cancellation": ("撤销", "Cancellation"),
         "no_arrivals_report": ("无入住上报", "No-arrivals report"), "visit": ("访客", "Visit"),
         "visit_end": ("访客离开", "Visitor left"), "unit_change": ("换房", "Room change"),
         "stay_extension": ("续住", "Extension"), "departure_cancelled": ("撤销离开", "Check-out undone")}


class RejectedScreen(DengjiScreen):
    KEYS = (
        Key("enter", "", "更正", "Correct"),
        Key("r", "resend", "原样重报", "Send again"),
        BACK,
    )
    TITLE_ZH, TITLE_EN = "被退回", "Rejected"
    HELP_ZH = ("平台退回的记录和原因。其他记录照常上报，不受影响。\n"
               "选中一条按 Enter 更正：登记会打开填好的登记表，改好后按 Ctrl+S；离开记录要求填写正确的离开时间；"
               "访客、访客离开、换房、续住会列出当时报的内容，改好后在“保存更正”上按 Enter。\n"
               "如果原因已在别处解决（例如房间已到派出所备案），按 R 原样重新上报。")
    HELP_EN = ("Records the platform rejected, and why. Everything else keeps being reported.\n"
               "Pick one and press Enter to correct it: a registration opens the filled-in form (fix it, then "
               "Ctrl+S); a departure asks for the right time; a visit, visitor leaving, room change or "
               "extension shows what was sent: fix it, then Enter on Save.\nIf the cause was put right elsewhere (the room "
               "filed at the police station), press R to send the record again unchanged.")

    def __init__(self) -> None:
        super().__init__(id="rejected")
        self.rejections: list[Rejection] = []

    def compose_body(self):  # type: ignore[no-untyped-def]
        yield Static("", id="rejected-count")
        table = MeasuredTable(cursor_type="row", zebra_stripes=True, id="rejected-list")
        for key, zh, en in (("seq", "编号", "No."), ("what", "记录", "Record"), ("unit", "房号", "Unit"),
                            ("name", "姓名", "Name"), ("when", "时间", "When")):
            table.add_column(self.say(zh, en), key=key)
        yield table
        yield Static("", id="rejected-reason")

    def on_mount(self) -> None:
        self.query_one("#rejected-list", DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def after_relabel(self) -> None:
        self._show(self.rejections)

    @work(thread=True, exclusive=True, group="rejected")
    def load(self) -> None:
        registry = self.session.registry
        assert registry is not None
        rejections = registry.corrections.rejections()
        show_if_latest(self.app, self._show, rejections)

    def _show(self, rejections: list[Rejection]) -> None:
        self.rejections = rejections
        if self.relabelling:
            return
        table = self.query_one("#rejected-list", DataTable)
        was = table.cursor_row
        table.clear()
        for r in rejections:
            table.add_row(str(r.seq), self.say(*_WHAT.get(r.type, (r.type, r.type))), r.unit or "", r.name or "",
                          short_time(r.occurred_at), key=str(r.seq))
        if rejections:  # a re-read (back from a question) keeps the cursor where it was
            table.move_cursor(row=min(was, len(rejections) - 1))
        self.query_one("#rejected-count", Static).update(
            self.say(f"被平台退回 {len(rejections)} 条，等待更正", f"{len(rejections)} rejected by the platform, "
                     "waiting for a correction") if rejections else
            self.say("没有被退回的记录", "Nothing was rejected"))
        self._show_reason()

    def _current(self) -> Rejection | None:
        table = self.query_one("#rejected-list", DataTable)
        if not self.rejections or table.cursor_row >= len(self.rejections):
            return None
        return self.rejections[table.cursor_row]

    @on(DataTable.RowHighlighted, "#rejected-list")
    def _show_reason(self) -> None:
        current = self._current()
        reason = self.query_one("#rejected-reason", Static)
        reason.update(self.say(f"原因：{current.reason('zh')}", f"Why: {current.reason('en')}") if current else "")

    @on(DataTable.RowSelected, "#rejected-list")
    def _chosen(self) -> None:
        current = self._current()
        if current is None:
            return
        if not (current.editable or current.stay_event):
            self.notify(self.say("这条记录不能修改，可以按 R 原样重报", "This record cannot be edited; press R "
                                 "to send it again"), timeout=6)
        elif current.type == "departure":
            self.app.push_screen(DepartureTimeModal(current), self._corrected)
        elif current.stay_event:
            self.open_stay_fix(current)
        else:
            self.open_form(current)

    @work(thread=True, exclusive=True, group="rejected-open")
    def open_form(self, rejection: Rejection) -> None:
        registry = self.session.registry
        assert registry is not None
        data = registry.corrections.rejected_data(rejection.seq)
        self.app.call_from_thread(self._open_form, rejection, data)

    def _open_form(self, rejection: Rejection, data: dict | None) -> None:  # type: ignore[type-arg]
        from tui.screens.register_screen import RegisterScreen

        if data is None:  # corrected meanwhile (another desk, the CLI)
            self.load()
            return
        self.app.push_screen(RegisterScreen(correcting=rejection, data=data))

    @work(thread=True, exclusive=True, group="rejected-open")
    def open_stay_fix(self, rejection: Rejection) -> None:
        from tui.screens.stay_correction_modal import load_fix

        registry = self.session.registry
        assert registry is not None
        fix = load_fix(registry, rejection)
        self.app.call_from_thread(self._open_stay_fix, fix)

    def _open_stay_fix(self, fix: StayFix | None) -> None:
        from tui.screens.stay_correction_modal import StayCorrectionModal

        if fix is None:  # corrected meanwhile (another desk, the CLI)
            self.load()
            return
        self.app.push_screen(StayCorrectionModal(fix), self._corrected)

    def action_resend(self) -> None:
        current = self._current()
        if current is not None:
            self.resend(current)

    @work(thread=True, exclusive=True, group="rejected-save")
    def resend(self, rejection: Rejection) -> None:
        registry = self.session.registry
        assert registry is not None
        outcome = registry.corrections.resend(rejection.seq)
        self.app.call_from_thread(self._corrected, outcome)

    def _corrected(self, outcome: Outcome | None) -> None:
        if outcome is None:  # the time was not changed
            return
        if outcome.ok:
            if self.session.delivery is not None:
                self.session.delivery.send_soon()
            self.notify(self.say("已更正，将重新上报", "Corrected: it will be sent again"), timeout=6)
        else:
            self.notify(outcome.problems[0].text(self.session.lang), severity="error", timeout=8)
        self.load()


class DepartureTimeModal(DengjiModal):
    """The right departure time for a refused departure; Enter saves, Esc leaves it as it is."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(id="departure-time")
        self.rejection = rejection

    def compose(self):  # type: ignore[no-untyped-def]
        from textual.containers import Vertical

        with Vertical(id="departure-time-box"):
            yield Label(self.say(f"更正离开时间：{self.rejection.unit or ''} {self.rejection.name or ''}",
                                 f"Correct the departure time: {self.rejection.unit or ''} {self.rejection.name or ''}"))
            yield Static(self.rejection.reason(self.session.lang), id="departure-time-reason")
            yield Input(placeholder="2026-11-25 12:00", id="departure-time-input")
            yield Static(self.say("Enter 保存，Esc 取消", "Enter saves, Esc cancels"), id="departure-time-message")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.save(event.value)

    @work(thread=True, exclusive=True, group="departure-time")
    def save(self, text: str) -> None:
        registry = self.session.registry
        assert registry is not None
        outcome = registry.corrections.correct(self.rejection.seq, {"departed_at": text})
        self.app.call_from_thread(self._saved, outcome)

    def _saved(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.dismiss(outcome)
            return
        self.query_one("#departure-time-message", Static).update(
            Text(outcome.problems[0].text(self.session.lang), style="bold red"))

    def action_cancel(self) -> None:
        self.dismiss(None)
