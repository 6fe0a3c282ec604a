"""Show what a reading worker read only while it is the newest read of its kind.

A screen re-reads the register in an exclusive thread worker (`@work(thread=True, exclusive=True)`): a
new read cancels the one before. A thread cannot be stopped, though: the older read runs to its end and
would show its facts after the newer one - a guest just brought back by an undo drawn as gone again.
Cancelling happens on the UI thread, and so does this check, so nothing older is drawn over newer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.worker import get_current_worker


def show_if_latest(app: App[Any], show: Callable[..., object], *args: Any) -> None:
    """From a reading worker's thread: `show(*args)` on the UI thread (awaited when it is a coroutine),
    unless a newer read replaced this one."""
    worker = get_current_worker()

    def shown() -> object:
        return None if worker.is_cancelled else show(*args)

    app.call_from_thread(shown)
