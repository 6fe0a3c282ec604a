"""A reader driven through its vendor's `sdtapi` library (ctypes): for readers whose link is not a plain
serial port (USB HID models), or where the vendor's library is required.

The binding uses the calls that hand back the same things the serial frames carry, so one parser and
one status table serve both backends:

    int SDT_OpenPort(int port)                                      0x90: opened
    int SDT_ClosePort(int port)
    int SDT_StartFindIDCard(int port, unsigned char *iin, int open) 0x9F: found, 0x80: no card
    int SDT_SelectIDCard(int port, unsigned char *sn, int open)     0x90: selected, 0x81: failed
    int SDT_ReadBaseMsg(int port, unsigned char *text, unsigned int *text_len,
                        unsigned char *photo, unsigned int *photo_len, int open)   0x90: read

`port` is 1-16 for a serial port and 1001-1016 for USB; `open` = 0 uses the port opened by
SDT_OpenPort. Besides the reader's own status bytes the library returns 0x01 (port not open or not
valid), 0x02 (no answer in time), 0x03 (data transfer error), 0x04 (USB device not configured), 0x05
(SAM serial port unusable) and 0x06 (USB device disabled).

`termb`'s `CVR_*` calls are not bound: `CVR_Read_Content` writes the decoded photo to a file in the
working directory (which must not happen here) and hands the fields back as GBK strings through
getters whose set differs per card kind; the raw text of `SDT_ReadBaseMsg` avoids both.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from pathlib import Path

from agent.cardreader import errors
from agent.cardreader.frames import (
    STATUS_CARD_FOUND,
    STATUS_NO_CARD,
    STATUS_READ_FAILED,
    STATUS_SELECT_FAILED,
    STATUS_SUCCESS,
    TEXT_LENGTH,
)
from agent.cardreader.reader import CardReader
from agent.domain.problems import Problem

log = logging.getLogger(__name__)

USB_PORTS = tuple(range(1001, 1017))
SERIAL_PORTS = tuple(range(1, 17))
_PORT_GONE = (0x01, 0x04, 0x06)  # the port is no longer open or the USB device went away
_NO_ANSWER = 0x02
_TRANSFER_ERROR = 0x03
_TEXT_BUFFER = 1024  # the text is 256 bytes; vendors' samples give 1024, room for a library that pads
_PHOTO_BUFFER = 4096  # the photo is 1024 bytes


def load_sdtapi(library_path: str | os.PathLike[str] | None) -> ctypes.CDLL:
    """The vendor library with its five functions bound to their C types; raises `LibraryError`."""
    path = str(library_path) if library_path else ctypes.util.find_library("sdtapi")
    if not path:
        raise errors.LibraryError(Problem(
            "reader.library_missing",
            "没有找到读卡器厂家的动态库（sdtapi）：请安装厂家驱动，并在设置中填写 reader_library_path",
            "the reader vendor's library (sdtapi) was not found: install the vendor's driver and set "
            "reader_library_path",
        ))
    try:
        library = ctypes.WinDLL(path) if os.name == "nt" else ctypes.CDLL(path)  # type: ignore[attr-defined]
    except OSError:
        raise errors.LibraryError(Problem(
            "reader.library_missing",
            f"无法加载读卡器厂家的动态库 {Path(path).name}：请检查 reader_library_path，"
            "以及动态库与本程序是否同为 64 位（或同为 32 位）",
            f"cannot load the reader vendor's library {Path(path).name}: check reader_library_path, and "
            "that the library and this program are both 64-bit (or both 32-bit)",
        )) from None
    byte_pointer = ctypes.POINTER(ctypes.c_ubyte)
    length_pointer = ctypes.POINTER(ctypes.c_uint)
    signatures = {
        "SDT_OpenPort": [ctypes.c_int],
        "SDT_ClosePort": [ctypes.c_int],
        "SDT_StartFindIDCard": [ctypes.c_int, byte_pointer, ctypes.c_int],
        "SDT_SelectIDCard": [ctypes.c_int, byte_pointer, ctypes.c_int],
        "SDT_ReadBaseMsg": [ctypes.c_int, byte_pointer, length_pointer, byte_pointer, length_pointer,
                            ctypes.c_int],
    }
    for name, argtypes in signatures.items():
        try:
            function = getattr(library, name)
        except AttributeError:
            raise errors.LibraryError(Problem(
                "reader.library_unusable",
                f"动态库 {Path(path).name} 中没有 {name}：它不是 sdtapi 接口的读卡器库，请换用厂家的 sdtapi 库",
                f"the library {Path(path).name} has no {name}: it is not an sdtapi reader library; use the "
                "vendor's sdtapi library",
            )) from None
        function.argtypes = argtypes
        function.restype = ctypes.c_int
    return library


class LibraryCardReader(CardReader):
    """A reader behind the vendor's sdtapi library. `port` None tries USB 1001-1016, then serial 1-16."""

    def __init__(self, library_path: str | os.PathLike[str] | None = None, port: int | None = None, *,
                 poll_interval: float = 0.1, lift_polls: int = 2) -> None:
        super().__init__(poll_interval=poll_interval, lift_polls=lift_polls)
        self._library = load_sdtapi(library_path)
        self._text = (ctypes.c_ubyte * _TEXT_BUFFER)()
        self._photo = (ctypes.c_ubyte * _PHOTO_BUFFER)()
        self._scratch = (ctypes.c_ubyte * 64)()  # the card's IIN and serial number: not used
        tried = (port,) if port is not None else USB_PORTS + SERIAL_PORTS
        for candidate in tried:
            status = self._library.SDT_OpenPort(candidate)
            if status == STATUS_SUCCESS:
                self.port = candidate
                self.description = f"sdtapi port {candidate}"
                return
            log.info("SDT_OpenPort(%d) returned 0x%02X", candidate, status & 0xFF)
        where = str(port) if port is not None else "1001-1016, 1-16"
        raise errors.NoAnswer(Problem(
            "reader.no_answer",
            f"厂家动态库在端口 {where} 上都打不开读卡器：请检查读卡器的 USB 线和电源，以及端口号"
            "（1-16 为串口，1001-1016 为 USB）",
            f"the vendor library opens no reader at port {where}: check the reader's USB cable and power, "
            "and the port number (1-16 serial, 1001-1016 USB)",
        ))

    def _status(self, status: int) -> int:
        """The status, or the error for the library's own failure codes."""
        if status in _PORT_GONE:
            raise errors.reader_gone(self.description)
        if status == _NO_ANSWER:
            raise errors.no_answer(self.description)
        if status == _TRANSFER_ERROR:
            raise errors.bad_checksum()
        return status

    def _find_card(self) -> bool:
        status = self._status(self._library.SDT_StartFindIDCard(self.port, self._scratch, 0))
        if status == STATUS_CARD_FOUND:
            return True
        if status == STATUS_NO_CARD:
            return False
        raise errors.status_error(status)

    def _select_card(self) -> bool:
        status = self._status(self._library.SDT_SelectIDCard(self.port, self._scratch, 0))
        if status == STATUS_SUCCESS:
            return True
        if status in (STATUS_SELECT_FAILED, STATUS_NO_CARD):
            return False
        raise errors.status_error(status)

    def _read_card_text(self) -> bytearray:
        text_length = ctypes.c_uint(_TEXT_BUFFER)
        photo_length = ctypes.c_uint(_PHOTO_BUFFER)
        try:
            status = self._status(self._library.SDT_ReadBaseMsg(
                self.port, self._text, ctypes.byref(text_length), self._photo, ctypes.byref(photo_length), 0))
            if status in (STATUS_READ_FAILED, STATUS_NO_CARD):
                raise errors.card_removed()
            if status != STATUS_SUCCESS:
                raise errors.status_error(status)
            if text_length.value != TEXT_LENGTH:
                raise errors.card_unreadable(f"文字信息长度为 {text_length.value} 字节，应为 256",
                                             f"the text is {text_length.value} bytes, not 256", "reader.text_length")
            return bytearray(self._text[:TEXT_LENGTH])
        finally:
            # The photo has no lawful use here: it is dropped, and the buffers keep nothing of the card.
            ctypes.memset(self._photo, 0, _PHOTO_BUFFER)
            ctypes.memset(self._text, 0, _TEXT_BUFFER)

    def _close_link(self) -> None:
        self._library.SDT_ClosePort(self.port)
