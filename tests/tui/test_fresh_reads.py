"""An older read that ends after a newer one is not drawn over it (the home screen drew a guest just
brought back by an undo as gone again, when the read started before the undo finished last)."""

from __future__ import annotations

import asyncio
import threading

from textual import work
from textual.app import App

from tui.fresh_reads import show_if_latest


class _Reads(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []
        self.release_old = threading.Event()
        self.old_started = threading.Event()
        self.old_done = threading.Event()  # set once the old read's show was handled (or skipped)

    @work(thread=True, exclusive=True, group="read")
    def read(self, facts: str, wait: bool) -> None:
        if wait:
            self.old_started.set()
            self.release_old.wait(10)
        show_if_latest(self, self.shown.append, facts)  # returns once the UI thread has run it
        if wait:
            self.old_done.set()


async def test_the_older_read_finishing_last_is_not_shown() -> None:
    app = _Reads()
    async with app.run_test():
        old = app.read("before the undo", wait=True)
        assert await asyncio.to_thread(app.old_started.wait, 10)  # it is reading when the newer one starts
        new = app.read("after the undo", wait=False)
        await new.wait()
        assert old.is_cancelled  # the newer read replaced it; its thread still runs to its end
        app.release_old.set()
        assert await asyncio.to_thread(app.old_done.wait, 10)
        assert app.shown == ["after the undo"]


async def test_a_read_alone_is_shown() -> None:
    app = _Reads()
    async with app.run_test() as pilot:
        await app.read("facts", wait=False).wait()
        await pilot.pause()
        assert app.shown == ["facts"]


async def test_a_coroutine_show_is_awaited() -> None:
    """A screen whose show is async (the person screen relabels itself) gets it run, not dropped."""
    app = _Reads()

    async def shown_later(facts: str) -> None:
        app.shown.append(facts)

    async with app.run_test() as pilot:
        def read() -> None:
            show_if_latest(app, shown_later, "the person")

        await app.run_worker(read, thread=True).wait()
        await pilot.pause()
        assert app.shown == ["the person"]
