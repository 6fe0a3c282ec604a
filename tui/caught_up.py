"""Wait until a widget has handled every message posted to it so far (the keys typed into it, above all).

Textual hands a key to the focused widget by posting it to that widget's queue; the widget handles it
a moment later, in its own task. A priority binding runs while the app holds the next keys back, so
one that awaits `caught_up(widget)` sees the widget's text with every key typed before the binding's
key, and can move the focus before any key typed after it is handed on.
"""

from __future__ import annotations

import asyncio

from textual.widget import Widget


async def caught_up(widget: Widget, timeout: float = 1.0) -> None:
    """Return once `widget` has handled the messages posted to it before this call (at most `timeout`
    seconds: a widget that is being removed never gets there, and the keyboard must not stay held)."""
    done = asyncio.Event()
    if not widget.call_later(done.set):  # the widget no longer takes messages
        return
    try:
        await asyncio.wait_for(done.wait(), timeout)
    except TimeoutError:
        pass
