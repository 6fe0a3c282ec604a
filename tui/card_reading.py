"""The desk's ID card reader as the screens that ask for a document meet it (issue 19, item 5).

One `CardReading` per app (`DengjiApp.card_reading`) watches the reader while the screen on top takes
cards (`TakesCards`: the home screen, the register form, the departure search; a visitors' screen
later only has to say so too). The blocking driver (`agent.cardreader`, pyserial or the vendor's library) runs in a
thread (`asyncio.to_thread`), driven by one asyncio task on the app's loop, so no reader, however
slow or broken, can hold up typing. What it finds is handed to the screen on the loop: a card
(`card_placed`), or a problem with one reading (`card_problem`: the card was taken away mid-read, an
answer was garbled); the clerk places the card again. The reader's state (`ReaderState`) is drawn by
the `ReaderStatus` widgets the screens show beside their scan or search box.

While no screen takes cards, the reader is closed (another program, `dengji doctor`, may open it),
and a card laid on it meanwhile is left unread until a screen wants it. Opening follows `config.toml`
(`HomeSettings.card_reader`): a port named there, or the port where a reader answered before, is
tried again every few seconds until it answers; without one, the USB serial ports are searched again
only when they change (a reader was plugged in), so that no other device is sent a reader's frames
over and over. A reader unplugged mid-shift is a message with what to do and the state `GONE`, and is
looked for again; it is never an exception in the app.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from agent.cardreader.errors import ReaderError, ReaderGone
from agent.domain.errors import DengjiError
from agent.domain.problems import Problem

if TYPE_CHECKING:
    from agent.cardreader.card import IdentityCard
    from agent.cardreader.reader import CardReader
    from agent.register.settings import ReaderSettings
    from tui.session import TuiSession

log = logging.getLogger(__name__)


class ReaderState(StrEnum):
    OFF = "off"  # no screen takes cards: the reader is closed
    SEARCHING = "searching"  # being opened (or looked for among the USB serial ports)
    CONNECTED = "connected"  # open, waiting for a card
    READING = "reading"  # a card was found: its text is being read (a fraction of a second)
    ABSENT = "absent"  # no reader found, or the one named in config.toml does not answer
    GONE = "gone"  # it was there and went away (unplugged): being looked for again


STATE_WORDS: dict[ReaderState, tuple[str, str]] = {
    ReaderState.OFF: ("读卡器：查找中", "Reader: looking"),
    ReaderState.SEARCHING: ("读卡器：查找中", "Reader: looking"),
    ReaderState.CONNECTED: ("读卡器：已连接", "Reader: connected"),
    ReaderState.READING: ("读卡器：正在读卡", "Reader: reading"),
    ReaderState.ABSENT: ("无读卡器", "No reader"),
    ReaderState.GONE: ("读卡器已断开", "Reader unplugged"),
}


# The driver's own words end with "open the reader again": here the watch does that by itself.
_UNPLUGGED = Problem(
    "reader.gone",
    "读卡器断开了：请插好 USB 线，插好后会自动重新连接；在此之前请手工录入",
    "The card reader was unplugged: plug its USB cable back in and it reconnects by itself. Meanwhile, type by hand",
)


class TakesCards:
    """A screen that asks for a document: while it is on top, the reader is watched for its cards."""

    def card_placed(self, card: IdentityCard) -> None:
        """A card was read (on the UI loop)."""
        raise NotImplementedError

    def card_problem(self, problem: ReaderError) -> None:
        """One reading failed but the reader works (the card was lifted too soon, ...): say so."""
        raise NotImplementedError


class _App(Protocol):
    """What the watcher needs of the app (a `DengjiApp`)."""

    @property
    def screen(self) -> object: ...

    @property
    def screen_stack(self) -> list[object]: ...

    def notify(self, message: str, *, title: str = ..., severity: str = ..., timeout: float | None = ...) -> None:
        ...


class StateListener(Protocol):
    def show_state(self, state: ReaderState) -> None: ...


class CardReading:
    """Watches the desk's reader for the screen on top; see the module's docstring."""

    RETRY_SECONDS = 2.0  # how often a reader that should be there is opened again
    IDLE_SECONDS = 0.25  # how often the screen on top is looked at while none takes cards
    POLL_SECONDS = 0.1  # between two rounds of asking the reader for a card

    def __init__(self, app: _App, session: TuiSession,
                 open_reader: Callable[[ReaderSettings, str | None], CardReader] | None = None) -> None:
        self._app = app
        self._session = session
        self._open_reader = open_reader or _open_reader
        self.state = ReaderState.OFF
        self._reader: CardReader | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._pulse = asyncio.Event()  # set at every change a screen or a test may wait for
        self._listeners: list[StateListener] = []
        self._last_port: str | None = None  # where a reader answered before
        self._ports_tried: list[str] | None = None  # the USB serial ports when a search last found nothing
        self._told: str | None = None  # the code of the last problem told in a message (told once)
        self.cards_read = 0

    # -- the app and its screens -------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="card-reading")

    async def stop(self) -> None:
        """End the watch and close the reader (waits for a round in progress, at most its timeouts)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self._close()

    def wake(self) -> None:
        """A screen that takes cards has just come on top: look at once rather than at the next tick."""
        self._wake.set()

    def listen(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def unlisten(self, listener: StateListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait until `condition()` holds, checked after each change of the reader's state and each card
        or problem handed on (for the tests and the snapshots: no sleeping); False at the timeout."""
        async def until() -> None:
            while not condition():
                self._pulse.clear()
                await self._pulse.wait()

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            return False
        return True

    async def settled(self, timeout: float = 10.0) -> bool:
        """Wait until the reader is found or known to be absent when the screen on top takes cards."""
        return await self.wait_for(
            lambda: self._taker() is None or self.state not in (ReaderState.OFF, ReaderState.SEARCHING), timeout)

    def _taker(self) -> TakesCards | None:
        try:
            screen = self._app.screen
        except Exception:  # no screen yet, or the app is closing
            return None
        return screen if isinstance(screen, TakesCards) else None

    def _kept(self) -> bool:
        """Whether a screen that takes cards is open under the one on top (a question asked over the
        form): the reader stays open, unpolled, for when it comes back on top."""
        try:
            stack = list(self._app.screen_stack)
        except Exception:
            return False
        return any(isinstance(screen, TakesCards) for screen in stack)

    def _set_state(self, state: ReaderState) -> None:
        if state is not self.state:
            self.state = state
            for listener in list(self._listeners):
                listener.show_state(state)
        self._pulse.set()

    def _say(self, zh: str, en: str) -> str:
        return self._session.say(zh, en)

    def _tell(self, problem: DengjiError | Problem, *, severity: str = "warning") -> None:
        """A message about the reader, once per kind of problem until the reader works again."""
        if self._told == problem.code:
            return
        self._told = problem.code
        self._app.notify(problem.text(self._session.lang), title=self._say("读卡器", "Card reader"),
                         severity=severity, timeout=10)

    # -- the watch ---------------------------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            try:
                if self._taker() is None:
                    if not self._kept():
                        await self._close()
                        self._set_state(ReaderState.OFF)
                    await self._idle(self.IDLE_SECONDS)
                elif self._reader is None:
                    if not await self._open():
                        await self._idle(self.RETRY_SECONDS)
                else:
                    await self._round()
                    await self._idle(self.POLL_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception:  # a flaw here must never take the app down: log it, start over
                log.exception("the card reader's watch failed")
                await self._close()
                self._set_state(ReaderState.ABSENT)
                await self._idle(self.RETRY_SECONDS)

    async def _idle(self, seconds: float) -> None:
        """Pause between rounds; a screen coming on top (`wake`) cuts the pause short."""
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _open(self) -> bool:
        if self.state is ReaderState.OFF:
            self._set_state(ReaderState.SEARCHING)
            self._ports_tried = None  # a screen just asked: search once more whatever the ports
        try:
            settings = await asyncio.to_thread(self._session.settings.card_reader)
        except DengjiError as problem:  # config.toml cannot be read: said once, the form still works
            self._set_state(ReaderState.ABSENT)
            self._tell(problem)
            return False
        if settings.port or settings.backend != "serial":
            candidates: list[str | None] = [settings.port]
            ports = None
        else:  # where a reader answered before, then a search when the USB serial ports changed
            candidates = [self._last_port] if self._last_port else []
            ports = await asyncio.to_thread(_usb_serial_ports)
            if ports != self._ports_tried:
                candidates.append(None)
        reader: CardReader | None = None
        failure: ReaderError | None = None
        for port in candidates:
            try:
                reader = await self._opened(settings, port)
                break
            except ReaderError as problem:
                log.info("no card reader at %s: %s", port or "any USB serial port", problem.code)
                failure = problem
        if reader is None:
            if None in candidates:
                self._ports_tried = ports
            if self.state is not ReaderState.GONE:  # an unplugged reader stays "unplugged" until it is back
                self._set_state(ReaderState.ABSENT)
                if settings.configured and failure is not None:  # a named reader that does not answer is news
                    self._tell(failure)
            return False
        if self._taker() is None:  # the screen went away while the reader was opened
            await asyncio.to_thread(reader.close)
            return True
        self._reader = reader
        self._last_port = getattr(reader, "port", None) if settings.backend == "serial" else None
        if self.state is ReaderState.GONE:
            self._app.notify(self._say("读卡器已重新连接，可以放证件了", "The card reader is back: place the card"),
                             title=self._say("读卡器", "Card reader"), timeout=5)
        self._told = None
        self._set_state(ReaderState.CONNECTED)
        return True

    async def _opened(self, settings: ReaderSettings, port: str | None) -> CardReader:
        """The reader opened in a thread. Should the watch end meanwhile (the app quits), the reader
        is closed as soon as it is open, rather than left holding the port."""
        opening = asyncio.ensure_future(asyncio.to_thread(self._open_reader, settings, port))
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            def close_it(done: asyncio.Future[CardReader]) -> None:
                if not done.cancelled() and done.exception() is None:
                    done.result().close()

            opening.add_done_callback(close_it)
            raise

    async def _round(self) -> None:
        """Ask the reader once for a card; hand on what comes."""
        reader = self._reader
        assert reader is not None
        loop = asyncio.get_running_loop()

        def reading() -> None:  # in the driver's thread: a card was found and is being read
            loop.call_soon_threadsafe(self._set_state, ReaderState.READING)

        try:
            card = await asyncio.to_thread(reader.poll, reading)
        except ReaderError as problem:
            if problem.transient:
                self._set_state(ReaderState.CONNECTED)
                taker = self._taker()
                if taker is not None:
                    taker.card_problem(problem)
                self._pulse.set()
                return
            log.info("the card reader failed: %s", problem.code)
            await self._close()
            self._set_state(ReaderState.GONE)
            self._tell(_UNPLUGGED if isinstance(problem, ReaderGone) else problem, severity="error")
            return
        self._set_state(ReaderState.CONNECTED)
        if card is None:
            return
        self.cards_read += 1
        taker = self._taker()
        if taker is not None:  # else the screen went away during the read: the card is placed again
            taker.card_placed(card)
        self._pulse.set()

    async def _close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await asyncio.to_thread(reader.close)


def _open_reader(settings: ReaderSettings, port: str | None) -> CardReader:
    """The driver's `open_reader` with the desk's settings (in a worker thread: it talks to the port)."""
    from agent.cardreader import open_reader

    return open_reader(port, baud=settings.baud, backend=settings.backend, library_path=settings.library_path)


def _usb_serial_ports() -> list[str]:
    try:
        from agent.cardreader.serial_reader import usb_serial_ports

        return usb_serial_ports()
    except Exception:  # no pyserial port listing here: the search itself says "no reader"
        log.debug("cannot list the serial ports", exc_info=True)
        return []
