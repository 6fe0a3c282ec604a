"""What a person at the keyboard can do, and what they can read: the journeys' only way into the app.

A journey types, presses Tab, Enter, Esc, Space and the F keys, and reads the screen; it never calls a
screen's method or sets a widget's value. Every key is counted (`keys`), so a journey can state how
many keystrokes a task took. `cut_texts` compares the text each visible label, line and button holds
with what was drawn in its place: a label cut to "Residence permit num…" or a key hint that fell off the
edge of an 80x24 terminal fails the journey.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from textual.app import App
from textual.widgets import Button, Label, Static

SETTLE_ROUNDS = 3  # frames a new screen needs to lay out its text; a journey waits on work, not on time
TAB_LIMIT = 40  # more Tabs than this without reaching a control means the control is not reachable


@dataclass
class Hands:
    """One person at one app, through Textual's pilot."""

    app: App  # type: ignore[type-arg]
    pilot: object
    keys: int = 0
    typed: list[str] = field(default_factory=list)

    async def settle(self) -> None:
        """Wait until the app has done what the last key started (its workers, then the frames after);
        the sender's worker runs as long as the app and is not waited for."""
        for _ in range(SETTLE_ROUNDS):
            running = [w for w in self.app.workers if w.group != "delivery" and not w.is_finished]
            await asyncio.gather(*(w.wait() for w in running), return_exceptions=True)
            await self.pilot.pause()  # type: ignore[attr-defined]

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)  # type: ignore[attr-defined]
        await self.settle()

    async def type(self, text: str) -> None:
        """Type `text` key by key (each character one keystroke)."""
        self.keys += len(text)
        self.typed.append(text)
        await self.pilot.press(*text)  # type: ignore[attr-defined]
        await self.settle()

    async def tab_to(self, widget_id: str) -> None:
        """Tab until the cursor is on `widget_id`, as a person Tabs while watching where it goes."""
        for _ in range(TAB_LIMIT):
            if self.focused_id() == widget_id:
                return
            await self.press("tab")
        raise AssertionError(f"Tab never reached #{widget_id}; the screen:\n{self.screen()}")

    def focused_id(self) -> str | None:
        focused = self.app.focused
        return focused.id if focused is not None else None

    def screen(self) -> str:
        """What the terminal shows, one line per row."""
        strips = self.app.screen._compositor.render_strips()  # noqa: SLF001 - what was drawn
        return "\n".join(strip.text.rstrip() for strip in strips)

    def sees(self, text: str) -> bool:
        """Whether `text` is on the screen (a line break in the terminal is not a break in the text)."""
        return _flat(text) in _flat(self.screen())

    def cut_texts(self) -> list[str]:
        """The texts of visible labels, lines and buttons that were not drawn whole in their place."""
        compositor = self.app.screen._compositor  # noqa: SLF001
        strips = compositor.render_strips()
        cut = []
        # A notice (a toast) lies over what is under it for a few seconds: covered is not cut.
        notices = [region for widget, (region, _) in compositor.visible_widgets.items()
                   if type(widget).__name__ == "Toast" and region.area]
        for widget, (region, clip) in compositor.visible_widgets.items():
            if not isinstance(widget, Label | Static | Button) or clip.intersection(region) != region:
                continue  # partly scrolled out of view: scrolling shows the rest, nothing is cut
            if type(widget).__name__ == "Toast" or any(region.overlaps(notice) for notice in notices):
                continue
            held = _flat(_text_of(widget))
            if not held:
                continue
            inner = region.shrink(widget.styles.gutter)  # a border or padding is not part of the text
            drawn = "".join(strips[row].crop(inner.x, inner.right).text
                            for row in range(inner.y, min(inner.bottom, len(strips))))
            if held not in _flat(drawn):
                cut.append(f"#{widget.id or type(widget).__name__}: {held!r} drawn as {_flat(drawn)!r}")
        return cut


def _text_of(widget: Label | Static | Button) -> str:
    """The text a widget holds; "" for one that draws something else (a table, the title bar's grid)."""
    if isinstance(widget, Button):
        return str(widget.label)
    shown = widget.render()
    if isinstance(shown, str):
        return shown
    plain = getattr(shown, "plain", None)
    return plain if isinstance(plain, str) else ""


def _flat(text: str) -> str:
    return "".join(text.split())

