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
