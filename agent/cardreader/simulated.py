"""A simulated ID card reader on a pseudo-terminal: the same GA/T 467 frames as a real one, served by a
thread, for the tests, the bench and `dengji demo` on a machine without a reader (POSIX only).

    with SimulatedReader().start() as simulator:          # simulator.port is e.g. /dev/pts/7
        reader = open_reader(simulator.port)
        simulator.place_card("resident_id")                # a sample card, an IdentityCard, or raw text
        card = reader.wait_for_card(5)
        simulator.lift_card()
        simulator.fault(Fault.CARD_LIFTED, times=1)        # the next read loses its card half-way

A pseudo-terminal has no baud rate: bytes cross it at memory speed. So the simulator paces what it
sends at the wire rate of `baud` 8N1 (10 bits a byte: 11,520 bytes/s at 115200), writing each chunk of
32 bytes no earlier than its last byte would have arrived on a real line, and waits out the time a
command's own bytes would have taken. `baud=None` turns the pacing off. The reader's own reading of the
card over radio is not modelled unless `card_seconds` says how long it takes.

Like most readers, a card that has been read is "not found" until it is lifted (`enforce_lift=True`);
`enforce_lift=False` models readers that keep finding a card that lies there, which the driver must
then not read twice.

`link` names a path made a symbolic link to the pty, as udev names a USB reader in
`/dev/serial/by-id/`: the reader is then at the same path each time it is plugged in, and when it is
unplugged the path is gone. A bare `/dev/pts/N` is reused by the next pty anyone opens, so a driver that
looks for its unplugged reader there may find another program's (in a parallel test run: another
test's reader).
"""

from __future__ import annotations

import logging
import os
import random
import select
import threading
import time
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from agent.cardreader.card import IdentityCard
from agent.cardreader.errors import FrameError
from agent.cardreader.frames import (
    STATUS_CARD_FOUND,
    STATUS_NO_CARD,
    STATUS_READ_FAILED,
    STATUS_SELECT_FAILED,
    STATUS_SUCCESS,
    Command,
    FrameDecoder,
    encode_answer,
    encode_card_data,
)
from agent.cardreader.layouts import encode_card_text
from agent.cardreader.samples import SAMPLE_CARDS, SAMPLE_EXTRAS, sample_text

__all__ = ["SAMPLE_CARDS", "SAMPLE_SAM_ID", "Fault", "SimulatedReader"]

log = logging.getLogger(__name__)

_CHUNK = 32
_COMMANDS = {command.value: command for command in Command}
_STATUS_SAM_FAULT = 0x60
_STATUS_UNKNOWN_COMMAND = 0x21
_STATUS_BAD_CHECKSUM = 0x10
# Stands in for the photo: the real one is a vendor-compressed image nobody here may keep.
_PHOTO = bytes(range(256)) * 4
# A made-up SAM id: 05.01-20240607-0000001234-0000005678 once formatted.
SAMPLE_SAM_ID = (bytes([5, 0, 1, 0]) + (20240607).to_bytes(4, "little") + (1234).to_bytes(4, "little")
                 + (5678).to_bytes(4, "little"))


class Fault(StrEnum):
    """What can go wrong, on purpose."""

    BAD_CHECKSUM = "bad_checksum"  # the answer to a read arrives with a wrong checksum
    CARD_LIFTED = "card_lifted"  # the card is taken away during a read: status 41, then no card
    NO_CARD = "no_card"  # the card lies there but is not found (status 80)
    SAM_FAULT = "sam_fault"  # the security module fails its self-test: every answer is status 60
    GARBAGE = "garbage"  # every command is answered with bytes that are not frames
    SILENT = "silent"  # nothing answers at all


_READ_FAULTS = (Fault.BAD_CHECKSUM, Fault.CARD_LIFTED)


class SimulatedReader:
    """A reader on a pty, served by a thread; see the module's docstring."""

    def __init__(self, *, baud: int | None = 115200, enforce_lift: bool = True, card_seconds: float = 0.0,
                 seed: int = 19, sam_id: bytes = SAMPLE_SAM_ID, link: Path | None = None) -> None:
        self.baud = baud
        self.link = link
        self.sam_id = sam_id  # the 16 bytes answered to 12 FF
        self.enforce_lift = enforce_lift
        self.card_seconds = card_seconds
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._received = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._text: bytes | None = None  # the text of the card on the reader
        self._card_read = False
        self._fault: Fault | None = None
        self._fault_times: int | None = None
        self._counts: dict[Command | None, int] = {}
        self.reads_served = 0
        self._master = self._slave = -1
        self._wake_read = self._wake_write = -1
        self._thread: threading.Thread | None = None
        self._port = ""

    def start(self) -> SimulatedReader:
        """Open the pty and start answering; `port` is then the path a driver opens."""
        import tty  # POSIX only: imported here so that the module itself loads anywhere

        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass as they are
        os.set_blocking(self._master, False)
        self._port = os.ttyname(self._slave)
        if self.link is not None:
            self.link.unlink(missing_ok=True)
            self.link.symlink_to(self._port)
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="simulated-reader", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> str:
        """The path a driver opens: `link`, or the pty's own (`/dev/pts/N`)."""
        return str(self.link) if self.link is not None else self._port

    def place_card(self, card: IdentityCard | bytes | str) -> None:
        """Lay a card on the reader: a sample's key (`resident_id`, ...), an IdentityCard or a raw text."""
        if isinstance(card, str):
            text = sample_text(card)
        elif isinstance(card, IdentityCard):
            key = next((k for k, sample in SAMPLE_CARDS.items() if sample == card), None)
            text = encode_card_text(card, SAMPLE_EXTRAS.get(key) if key else None)
        else:
            text = bytes(card)
        with self._lock:
            self._text = text
            self._card_read = False

    def lift_card(self) -> None:
        with self._lock:
            self._text = None
            self._card_read = False

    def fault(self, kind: Fault | str | None, *, times: int | None = None) -> None:
        """Make `kind` happen from now on (`times=None`) or to the next `times` commands it concerns
        (reads for BAD_CHECKSUM and CARD_LIFTED, finds for NO_CARD, any command otherwise); None clears."""
        with self._lock:
            self._fault = Fault(kind) if kind is not None else None
            self._fault_times = times

    def unplug(self) -> None:
        """Pull the cable: the pty closes (and `link` goes), and a driver that has it open sees its port
        fail."""
        self._stop_thread()
        self._close_fds()

    def stop(self) -> None:
        self._stop_thread()
        self._close_fds()

    def count(self, command: Command | None) -> int:
        """How many times `command` has been received (None: frames that were not a known command)."""
        with self._lock:
            return self._counts.get(command, 0)

    def wait_for_command(self, command: Command, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until `command` has been received `count` times in all; False at the timeout."""
        with self._received:
            return self._received.wait_for(lambda: self._counts.get(command, 0) >= count, timeout)

    def __enter__(self) -> SimulatedReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # The thread.
    def _serve(self) -> None:
        decoder = FrameDecoder()
        while not self._stopping.is_set():
            ready, _, _ = select.select([self._master, self._wake_read], [], [])
            if self._wake_read in ready:
                break
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError:  # the pty was closed under us
                break
            decoder.feed(data)
            while not self._stopping.is_set():
                try:
                    content = decoder.next_frame()
                except FrameError:
                    self._send(encode_answer(_STATUS_BAD_CHECKSUM))
                    continue
                if content is None:
                    break
                self._wait(len(content) + 8)  # the command's own bytes on the wire
                self._send(self._answer(bytes(content)))

    def _answer(self, content: bytes) -> bytes:
        """The bytes to send back for one command frame (empty: send nothing)."""
        command = _COMMANDS.get((content[0], content[1])) if len(content) == 2 else None
        with self._received:
            self._counts[command] = self._counts.get(command, 0) + 1
            self._received.notify_all()
            fault = self._fault
            if fault in (Fault.SILENT, Fault.GARBAGE, Fault.SAM_FAULT):
                self._spend_fault()
                if fault is Fault.SILENT:
                    return b""
                if fault is Fault.GARBAGE:
                    return bytes(self._random.randrange(0, 0xAA) for _ in range(300))
                return encode_answer(_STATUS_SAM_FAULT)
            if command in (Command.SAM_STATUS, Command.RESET_SAM):
                return encode_answer(STATUS_SUCCESS)
            if command is Command.SAM_ID:
                return encode_answer(STATUS_SUCCESS, self.sam_id)
            if command is Command.FIND_CARD:
                if fault is Fault.NO_CARD and self._text is not None:
                    self._spend_fault()
                    return encode_answer(STATUS_NO_CARD)
                if self._text is not None and not (self.enforce_lift and self._card_read):
                    return encode_answer(STATUS_CARD_FOUND, bytes(4))
                return encode_answer(STATUS_NO_CARD)
            if command is Command.SELECT_CARD:
                if self._text is not None:
                    return encode_answer(STATUS_SUCCESS, bytes(8))
                return encode_answer(STATUS_SELECT_FAILED)
            if command is not Command.READ_TEXT_AND_PHOTO:
                return encode_answer(_STATUS_UNKNOWN_COMMAND)
            if self._text is None:
                return encode_answer(STATUS_READ_FAILED)
            if fault is Fault.CARD_LIFTED:
                self._spend_fault()
                self._text = None
                return encode_answer(STATUS_READ_FAILED)
            text = self._text
            self._card_read = True
            self.reads_served += 1
            corrupt = fault is Fault.BAD_CHECKSUM
            if corrupt:
                self._spend_fault()
        self._wait_card()
        frame = bytearray(encode_answer(STATUS_SUCCESS, encode_card_data(text, _PHOTO)))
        if corrupt:
            frame[-1] ^= 0x5A
        return bytes(frame)

    def _spend_fault(self) -> None:
        if self._fault_times is not None:
            self._fault_times -= 1
            if self._fault_times <= 0:
                self._fault, self._fault_times = None, None

    def _wait(self, byte_count: int) -> None:
        if self.baud:
            self._stopping.wait(byte_count * 10 / self.baud)

    def _wait_card(self) -> None:
        if self.card_seconds:
            self._stopping.wait(self.card_seconds)

    def _send(self, data: bytes) -> None:
        """Write `data` to the pty, paced at the wire rate: each chunk no earlier than its last byte
        would have arrived on a real line."""
        rate = self.baud / 10 if self.baud else None
        start = time.monotonic()
        sent = 0
        while sent < len(data):
            chunk = data[sent:sent + _CHUNK]
            if rate is not None:
                delay = start + (sent + len(chunk)) / rate - time.monotonic()
                if delay > 0 and self._stopping.wait(delay):
                    return
            try:
                os.write(self._master, chunk)
            except BlockingIOError:  # nobody is reading and the pty's buffer is full: the bytes are lost,
                pass  # as on a real line with nothing listening
            except OSError:
                return
            sent += len(chunk)

    def _stop_thread(self) -> None:
        self._stopping.set()
        if self._wake_write >= 0:
            os.write(self._wake_write, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _close_fds(self) -> None:
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        for name in ("_master", "_slave", "_wake_read", "_wake_write"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
