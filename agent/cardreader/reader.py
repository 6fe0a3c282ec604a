"""What every reader does, whatever the link: find a card, select it, read it, once per placement.

A backend (serial frames, a vendor library) supplies three steps; this class turns them into the two
calls a desk needs. `poll()` does one round and returns at once: a card, None, or an error. It suits
a timer in a UI's worker. `wait_for_card(timeout)` blocks, polling every `poll_interval`, until a card
has been read, the time is up, or the caller sets `stop`. Reading off the UI thread is the caller's
job; both calls are safe to make from one worker thread while another thread calls `close()`.

A card is read once per placement. Readers differ in how they behave while a read card stays on them:
most answer "no card" until it has been lifted, some keep answering "card found". So the driver
remembers that this placement was read, and forgets only after `lift_polls` rounds in a row without a
card: a reader that alternates found/not found while the card lies still never gets it read twice.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import Self

from agent.cardreader import errors
from agent.cardreader.card import IdentityCard
from agent.cardreader.layouts import parse_card_text
from agent.domain.problems import Problem

log = logging.getLogger(__name__)

_CLOSED = "reader.closed"


def wipe(buffer: bytearray) -> None:
    """Overwrite a buffer that held a card's text or photo before it is let go."""
    buffer[:] = bytes(len(buffer))


class CardReader(ABC):
    """A reader behind some link; subclasses implement `_find_card`, `_select_card`, `_read_card_text`."""

    description: str = "reader"

    def __init__(self, *, poll_interval: float = 0.1, lift_polls: int = 2) -> None:
        self.poll_interval = poll_interval
        self.lift_polls = max(1, lift_polls)
        self._placement_read = False  # the card now on the reader has had its read
        self._rounds_without_card = 0
        self._lock = threading.Lock()
        self._closed = False
        self._gone: errors.ReaderGone | None = None  # once the link has failed, every poll says so

    # The three steps of a backend. Each raises a ReaderError for anything but the expected answers.
    @abstractmethod
    def _find_card(self) -> bool:
        """True when a card lies on the reader, False when none does."""

    @abstractmethod
    def _select_card(self) -> bool:
        """True when the found card was selected, False when it could not be (it is being moved)."""

    @abstractmethod
    def _read_card_text(self) -> bytearray:
        """The card's 256-byte text; the photo read with it is dropped by the backend."""

    @abstractmethod
    def _close_link(self) -> None:
        """Release the port or the library's handle."""

    def sam_id(self) -> str | None:
        """The reader's security-module id, or None when this backend cannot ask for it (the vendor
        library's calls bound here do not include it). `dengji doctor` shows it."""
        return None

    def poll(self, on_reading: Callable[[], object] | None = None) -> IdentityCard | None:
        """One round: the card just placed on the reader, or None (no card, or the card already read).

        `on_reading` is called (in this thread) when a new card has been found and selected, just before
        its text is read: a screen can say "reading" for the fraction of a second the read takes.
        Raises a `ReaderError`; `error.transient` says whether the reader can go on (the card was
        taken away mid-read, an answer was garbled) or must be fixed and opened again.
        """
        with self._lock:
            if self._gone is not None:
                raise errors.ReaderGone(self._gone.problem)
            if self._closed:
                raise errors.ReaderGone(Problem(
                    _CLOSED, "读卡器已关闭：请重新打开读卡器",
                    "the reader has been closed: open it again"))
            try:
                return self._round(on_reading)
            except errors.ReaderGone as gone:
                self._gone = gone
                self._release()
                raise

    def _round(self, on_reading: Callable[[], object] | None = None) -> IdentityCard | None:
        """`poll` under the lock."""
        if not self._find_card():
            self._rounds_without_card += 1
            if self._rounds_without_card >= self.lift_polls:
                self._placement_read = False
            return None
        self._rounds_without_card = 0
        if self._placement_read:
            return None
        if not self._select_card():
            return None
        # From here this placement has had its read, whatever happens: a card whose read failed is
        # lifted and placed again, never read over and over while it lies there. Except when the card
        # went away during the read: whatever is found next is a new placement, however soon.
        self._placement_read = True
        if on_reading is not None:
            on_reading()
        try:
            text = self._read_card_text()
        except errors.CardRemoved:
            self._placement_read = False
            raise
        try:
            card = parse_card_text(text)
        finally:
            wipe(text)
        log.info("card read: %s", card)  # IdentityCard's repr masks the number and omits the name
        return card

    def wait_for_card(self, timeout: float | None = 30.0, *,
                      on_problem: Callable[[errors.ReaderError], None] | None = None,
                      stop: threading.Event | None = None) -> IdentityCard | None:
        """Block until a card has been read (returned), `timeout` seconds have passed or `stop` is set
        (None).

        Transient problems (a card taken away mid-read, a garbled answer, an unreadable card) go to
        `on_problem` and the wait goes on, since the clerk only has to place the card again; without
        `on_problem` they are raised. Problems with the reader itself are always raised, except that a
        reader closed by another thread (the screen that waited went away) ends the wait with None.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        stop = stop if stop is not None else threading.Event()
        while not stop.is_set():
            try:
                card = self.poll()
            except errors.ReaderError as problem:
                if problem.code == _CLOSED:
                    return None
                if not problem.transient or on_problem is None:
                    raise
                on_problem(problem)
                card = None
            if card is not None:
                return card
            pause = self.poll_interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                pause = min(pause, remaining)
            stop.wait(pause)
        return None

    def close(self) -> None:
        """Release the reader; waits for a poll in progress to finish. Closing twice is harmless."""
        with self._lock:
            self._release()

    def _release(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._close_link()
            except Exception:  # a link that already failed may fail again while closing: it is closed
                log.debug("closing the reader's link failed", exc_info=True)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
