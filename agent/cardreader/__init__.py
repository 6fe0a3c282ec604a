"""ID card readers (二代证阅读器): read a resident ID card, a residence permit of Hong Kong, Macau and
Taiwan residents, or a foreigner's permanent residence ID card into the fields of a registration.

    from agent.cardreader import open_reader, ReaderError

    with open_reader() as reader:                 # the first USB serial port where a reader answers
        card = reader.wait_for_card(30)           # an IdentityCard, or None when none came
        card.doc_type, card.doc_number, card.name, card.expired

Two backends behind one interface (`CardReader`: `poll()`, `wait_for_card()`, `close()`): GA/T 467
frames on a serial port (`backend="serial"`, pyserial) and the vendor's sdtapi library
(`backend="library"`, ctypes). `agent.cardreader.simulated` is a reader on a pseudo-terminal for
machines without one. Errors are `ReaderError` values with a code and zh/en messages; see
`agent.cardreader.errors`. docs/cardreader.md says which readers work and how to set them up.

May import: `agent.validation` and `agent.domain` only (a device driver: the TUI and the command line
call it, it calls nothing above it).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Literal

from agent.cardreader.errors import (
    CardRejected,
    CardRemoved,
    CardUnreadable,
    FrameError,
    LibraryError,
    NoAnswer,
    NoReaderFound,
    NotAReader,
    PortUnavailable,
    ReaderError,
    ReaderGone,
    SamFault,
)
from agent.domain.problems import Problem

if TYPE_CHECKING:
    from agent.cardreader.card import CardLayout, IdentityCard
    from agent.cardreader.reader import CardReader

# The card, its parser and the validators load on first use: the command line registers `dengji reader`
# at start-up, and `dengji --help` should not pay for them.
_LAZY = {
    "CardLayout": "agent.cardreader.card",
    "IdentityCard": "agent.cardreader.card",
    "CardReader": "agent.cardreader.reader",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DEFAULT_BAUD = 115200
Backend = Literal["serial", "library"]

__all__ = [
    "DEFAULT_BAUD",
    "Backend",
    "CardLayout",
    "CardReader",
    "CardRejected",
    "CardRemoved",
    "CardUnreadable",
    "FrameError",
    "IdentityCard",
    "LibraryError",
    "NoAnswer",
    "NoReaderFound",
    "NotAReader",
    "PortUnavailable",
    "ReaderError",
    "ReaderGone",
    "SamFault",
    "open_reader",
]


def open_reader(port: str | None = None, *, baud: int = DEFAULT_BAUD, backend: Backend | str = "serial",
                library_path: str | os.PathLike[str] | None = None, poll_interval: float = 0.1,
                answer_timeout: float = 1.0, read_timeout: float = 3.0) -> CardReader:
    """Open a reader and check that its security module answers; raises a `ReaderError` otherwise.

    `backend="serial"`: `port` is a serial port's path or name (None: the first USB serial port where a
    reader answers, at `baud`). `backend="library"`: the vendor's sdtapi library at `library_path`
    (None: the system's `sdtapi`); `port` is the library's port number as text ("1001" for the first
    USB reader; None: tried in turn). The config keys `reader_backend`, `reader_port`, `reader_baud`
    and `reader_library_path` map onto these arguments.
    """
    if backend == "library":
        from agent.cardreader.vendor_library import LibraryCardReader

        number = None
        if port is not None:
            if not str(port).strip().isdigit():
                raise PortUnavailable(_library_port_problem(str(port)))
            number = int(port)
        return LibraryCardReader(library_path, number, poll_interval=poll_interval)
    if backend != "serial":
        raise ValueError(f"unknown reader backend {backend!r}: serial or library")
    from agent.cardreader.serial_reader import SerialCardReader, find_reader_port

    if port is None:
        port = find_reader_port(baud, probe_timeout=min(answer_timeout, 0.5))
    return SerialCardReader(port, baud, answer_timeout=answer_timeout, read_timeout=read_timeout,
                            poll_interval=poll_interval)


def _library_port_problem(port: str) -> Problem:
    return Problem(
        "reader.port_unusable",
        f"厂家动态库的端口应为数字（1-16 为串口，1001-1016 为 USB），现在是 {port}：请改正 reader_port",
        f"the vendor library's port is a number (1-16 serial, 1001-1016 USB), not {port}: correct reader_port",
    )
