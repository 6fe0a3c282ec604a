"""The register form's row for a minor's companions: a label and a button naming the adults picked.

Shown only for a minor whose room already has adults checked in (the screen decides); Enter on the
button opens `CompanionsModal`. The row mirrors the form's `companions`, as every row mirrors its field.
"""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widgets import Button, Label


class CompanionsRow(Horizontal):
    DEFAULT_CSS = """
    CompanionsRow { height: 1; }
    CompanionsRow > Label { width: 22; padding: 0 1 0 0; text-align: right; color: $text;
                            text-wrap: nowrap; text-overflow: ellipsis; }
    CompanionsRow > Button { width: 1fr; max-width: 50; text-align: left; content-align: left middle; }
    """

    def __init__(self, label: str, text: str) -> None:
        super().__init__(id="row-companions")
        self._label = label
        self._text = text

    def compose(self):  # type: ignore[no-untyped-def]
        yield Label(self._label)
        yield Button(self._text, id="companions", compact=True)

    def show(self, text: str) -> None:
        self._text = text
        self.query_one("#companions", Button).label = text
