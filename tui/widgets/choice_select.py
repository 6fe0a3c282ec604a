"""A drop-down choice that lets Enter move on to the next field, as every other field of our forms does.

Textual's Select opens its list on Enter; in a form filled top to bottom with Enter that traps the
clerk on the field. Here the list opens with Space or the arrow keys (or a click) and Enter goes on.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Select


class ChoiceSelect(Select[str], inherit_bindings=False):
    BINDINGS = [
        Binding("down,up,space", "show_overlay", "Show the list", show=False),
        Binding("enter", "move_on", "Next field", show=False),
    ]

    def action_move_on(self) -> None:
        self.screen.focus_next()
