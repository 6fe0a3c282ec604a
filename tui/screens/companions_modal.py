"""A minor's companions: which adults already in the room accompany the minor, and how they are related.

The register form asks this of a minor at a hotel or an overnight venue when the room typed has adults
checked in (`Registry.companions`). Each adult has one choice: no relation picked (not accompanying), or
the relation from the code table `relations` (父母, (外)祖父母, 其他亲属, 老师, 其他). Enter moves from
choice to choice and to 确定; Enter there gives the form `[{doc_number, relation}]` for its payload's
`companions`. Document numbers are shown masked; the full number goes only into the record. Esc goes back
with nothing changed, asking first when a choice was changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from agent.domain.codes import label, relations
from tui.screens.discard_modal import dismiss_unless_changed
from tui.screens.modal import DengjiModal
from tui.widgets.choice_select import ChoiceSelect

if TYPE_CHECKING:
    from agent.register.records import Companion


def companions_text(chosen: Sequence[dict[str, str]], candidates: Sequence[Companion], lang: str) -> str:
    """The companions picked, as the form's row shows them: `王伟（父母）`, or what to do."""
    names = {c.doc_number: c.view.name for c in candidates}
    table = relations()
    parts = [f"{names.get(c['doc_number'], '?')}（{label(table[c['relation']], lang)}）" if lang == "zh"
             else f"{names.get(c['doc_number'], '?')} ({label(table[c['relation']], lang)})"
             for c in chosen if c.get("relation") in table]
    if parts:
        return "、".join(parts) if lang == "zh" else ", ".join(parts)
    return "未选择：Enter 选择同住的成年人" if lang == "zh" else "None picked: Enter to pick"


class CompanionsModal(DengjiModal):
    """Dismissed with the companions `[{doc_number, relation}]` (empty: none accompanies), or None (Esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]
    DEFAULT_CSS = """
    CompanionsModal { align: center middle; }
    CompanionsModal > Vertical { width: 64; max-width: 100%; height: auto; max-height: 100%;
                                 border: round $accent; background: $surface; padding: 0 1; }
    CompanionsModal Static { width: 100%; }
    CompanionsModal #companions-list { height: auto; max-height: 10; }
    CompanionsModal .companion { height: 1; width: 100%; }
    CompanionsModal .companion Label { width: 1fr; color: $text; text-wrap: nowrap; text-overflow: ellipsis; }
    CompanionsModal .companion ChoiceSelect { width: 22; }
    CompanionsModal #companions-buttons { margin-top: 1; height: auto; }
    CompanionsModal Button { margin-right: 2; }
    """

    def __init__(self, unit: str, candidates: Sequence[Companion], chosen: Sequence[dict[str, str]]) -> None:
        super().__init__(id="companions-question")
        self.unit = unit
        self.candidates = [c for c in candidates if c.adult is not False]
        self.minors = len(candidates) - len(self.candidates)
        self.start = {c["doc_number"]: c["relation"] for c in chosen}

    def compose(self) -> ComposeResult:
        lang = self.session.lang
        options = [(label(entry, lang), code) for code, entry in relations().items()]
        with Vertical():
            yield Static(self.say(f"同住成年人：房间 {self.unit} 已入住的人中，谁陪同这位未成年人？",
                                  f"Adults in room {self.unit}: who accompanies this minor?"))
            yield Static(self.say("为陪同的人选择关系（空格打开列表），不陪同的不选。",
                                  "Pick the relation of each adult who accompanies (Space opens the list); leave "
                                  "the others empty."), id="companions-help")
            with VerticalScroll(id="companions-list"):
                for index, candidate in enumerate(self.candidates):
                    view = candidate.view
                    relation = self.start.get(candidate.doc_number)
                    with Horizontal(classes="companion"):
                        yield Label(f"{view.name}  {view.doc_masked}")
                        yield ChoiceSelect(options, prompt=self.say("不陪同", "Not with them"), compact=True,
                                           id=f"companion-{index}",
                                           value=relation if relation is not None else ChoiceSelect.NULL)
            if self.minors:
                yield Static(self.say(f"另有 {self.minors} 名未成年人在此房间，不能作为陪同人。",
                                      f"{self.minors} more in the room are minors and cannot accompany."))
            with Horizontal(id="companions-buttons"):
                yield Button(self.say("确定", "Done"), id="companions-done", variant="primary", compact=True)
                yield Button(self.say("取消  Esc", "Cancel  Esc"), id="companions-cancel", compact=True)

    def on_mount(self) -> None:
        selects = self.query(ChoiceSelect)
        (selects.first() if selects else self.query_one("#companions-done", Button)).focus()

    def chosen(self) -> list[dict[str, str]]:
        picked = []
        for index, candidate in enumerate(self.candidates):
            value = self.query_one(f"#companion-{index}", ChoiceSelect).value
            if isinstance(value, str) and value:
                picked.append({"doc_number": candidate.doc_number, "relation": value})
        return picked

    @on(Button.Pressed, "#companions-done")
    def _done(self) -> None:
        self.dismiss(self.chosen())

    @on(Button.Pressed, "#companions-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        dismiss_unless_changed(self, {c["doc_number"]: c["relation"] for c in self.chosen()} != self.start)
