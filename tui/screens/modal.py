"""What every dengji modal shares: the session at hand and its language (help, lock, confirmations)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import ModalScreen

from tui.session import TuiSession

if TYPE_CHECKING:
    from tui.app import DengjiApp


class DengjiModal(ModalScreen[object]):
    """A modal with the session at hand (help, lock, confirmations)."""

    @property
    def session(self) -> TuiSession:
        return cast("DengjiApp", self.app).session

    def say(self, zh: str, en: str) -> str:
        return self.session.say(zh, en)

    async def relabel(self) -> None:
        """F9 while the modal is up: rebuild it in the new language, keeping what was typed and the cursor."""
        from textual.widgets import Input, Select

        typed = {field.id: field.value for field in self.query(Input) if field.id}
        chosen = {choice.id: choice.value for choice in self.query(Select) if choice.id}
        focused = self.focused.id if self.focused is not None else None
        await self.recompose()
        for field in self.query(Input):
            if field.id in typed:
                field.value = typed[field.id]
        for choice in self.query(Select):
            if choice.id in chosen:
                choice.value = chosen[choice.id]
        if focused:
            for widget in self.query(f"#{focused}"):
                widget.focus()
