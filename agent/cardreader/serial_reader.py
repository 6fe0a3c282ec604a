"""A reader whose security module answers GA/T 467 frames on a serial port (pyserial).

Most desk readers are a SAM behind a UART; USB models show up as a serial port (`/dev/ttyUSB0`,
`/dev/ttyACM0`, `COM3`), 115200 baud 8N1 by default, 9600 on some older modules. Opening a port asks
the SAM for its status first, so a port with nothing on it (`NoAnswer`), a device that speaks
something else (`NotAReader`) and a faulty module (`SamFault`) are told apart before any card is
placed. Every answer is read against a deadline; a port that fails while in use (the reader was
unplugged) raises `ReaderGone`, and the reader is then closed: open it again once it is back.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Iterable

import serial
from serial.tools import list_ports

from agent.cardreader import errors
from agent.cardreader.frames import (
    STATUS_CARD_FOUND,
    STATUS_NO_CARD,
    STATUS_READ_FAILED,
    STATUS_SELECT_FAILED,
    STATUS_SUCCESS,
    Answer,
    Command,
    FrameDecoder,
    decode_answer,
    decode_card_data,
    encode_command,
)
from agent.cardreader.reader import CardReader, wipe
from agent.domain.problems import Problem

log = logging.getLogger(__name__)

DEFAULT_BAUD = 115200
# More bytes than this without a frame: the device streams something that is not GA/T 467 frames.
MAX_NOISE = 256
# How long one read of the port waits before the deadline is looked at again.
_READ_SLICE = 0.05

try:  # what a failing port raises: pyserial's exception, the OS's, and termios's (not an OSError)
    import termios
    _PORT_FAILURES: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:  # Windows
    _PORT_FAILURES = (serial.SerialException, OSError)


class SerialCardReader(CardReader):
    """A GA/T 467 reader on a serial port.

    `answer_timeout` bounds the wait for the answer to a short command (SAM status, find, select);
    `read_timeout` the answer to a read, which includes the reader's own reading of the card.
    """

    def __init__(self, port: str, baud: int = DEFAULT_BAUD, *, answer_timeout: float = 1.0,
                 read_timeout: float = 3.0, poll_interval: float = 0.1, lift_polls: int = 2) -> None:
        super().__init__(poll_interval=poll_interval, lift_polls=lift_polls)
        self.port = port
        self.baud = baud
        self.description = f"{port} @ {baud}"
        self.answer_timeout = answer_timeout
        self.read_timeout = read_timeout
        self._serial = _open_port(port, baud)
        try:
            self.check_sam()
        except BaseException:
            self._serial.close()
            raise

    def check_sam(self) -> None:
        """Ask the security module for its status; raises unless it says all is well."""
        answer = self._exchange(Command.SAM_STATUS, self.answer_timeout)
        if answer.status != STATUS_SUCCESS:
            raise errors.status_error(answer.status)

    def sam_id(self) -> str:
        """The security module's id (command 12 FF), as vendors' tools print it: what a support call or a
        police station asks for to tell one desk's reader from another. Raises a `ReaderError`."""
        with self._lock:
            answer = self._exchange(Command.SAM_ID, self.answer_timeout)
            if answer.status != STATUS_SUCCESS:
                raise errors.status_error(answer.status)
            return format_sam_id(bytes(answer.data))

    def _find_card(self) -> bool:
        answer = self._exchange(Command.FIND_CARD, self.answer_timeout)
        if answer.status == STATUS_CARD_FOUND:
            return True
        if answer.status == STATUS_NO_CARD:
            return False
        raise errors.status_error(answer.status)

    def _select_card(self) -> bool:
        answer = self._exchange(Command.SELECT_CARD, self.answer_timeout)
        if answer.status == STATUS_SUCCESS:
            return True
        if answer.status in (STATUS_SELECT_FAILED, STATUS_NO_CARD):
            return False
        raise errors.status_error(answer.status)

    def _read_card_text(self) -> bytearray:
        content = self._transact(Command.READ_TEXT_AND_PHOTO, self.read_timeout)
        try:
            answer = decode_answer(content)
            if answer.status in (STATUS_READ_FAILED, STATUS_NO_CARD):
                raise errors.card_removed()
            if answer.status != STATUS_SUCCESS:
                raise errors.status_error(answer.status)
            return bytearray(decode_card_data(answer.data).text)
        finally:
            wipe(content)  # the photo (and the text) leave no copy behind in the frame's buffer

    def _exchange(self, command: Command, timeout: float) -> Answer:
        return decode_answer(self._transact(command, timeout))

    def _transact(self, command: Command, timeout: float) -> bytearray:
        """Send a command and return the content of its answer frame, checked for length and checksum."""
        frame = encode_command(command)
        decoder = FrameDecoder()
        try:
            self._serial.reset_input_buffer()  # what a broken earlier answer left behind
            self._serial.write(frame)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    content = decoder.next_frame()
                except errors.FrameError:
                    self._serial.reset_input_buffer()
                    raise
                if content is not None:
                    if bytes(content) == bytes(command.value):
                        raise errors.not_a_reader(self.port, "它把发出的命令原样送回", "it echoes what it is sent")
                    return content
                if decoder.noise > MAX_NOISE:
                    raise errors.not_a_reader(self.port, f"收到 {decoder.noise} 字节无法识别的数据",
                                              f"{decoder.noise} bytes of something that is not a frame")
                if time.monotonic() >= deadline:
                    if decoder.in_frame:
                        raise errors.truncated(self.port)
                    if decoder.received:
                        raise errors.not_a_reader(self.port, f"收到 {decoder.received} 字节无法识别的数据",
                                                  f"{decoder.received} bytes of something that is not a frame")
                    raise errors.no_answer(self.port, timeout)
                decoder.feed(self._serial.read(decoder.wanted()))
        except serial.SerialTimeoutException:
            raise errors.no_answer(self.port, timeout) from None
        except _PORT_FAILURES as failure:
            log.info("port %s failed: %s", self.port, failure)
            raise errors.reader_gone(self.port) from None
        finally:
            decoder.clear()

    def _close_link(self) -> None:
        self._serial.close()


def format_sam_id(data: bytes) -> str:
    """A SAM id's 16 bytes as vendors' `SDT_GetSAMIDToStr` writes them: `05.01-20101012-0011223344-1234567890`
    (two 2-byte numbers, then three 4-byte numbers, each little-endian). The byte order follows the
    vendors' SDK samples and has not been checked against a physical reader; an answer of another length
    is shown in hex rather than refused, since the id only names the reader."""
    if len(data) != 16:
        return data.hex().upper() or "?"
    first, second = int.from_bytes(data[0:2], "little"), int.from_bytes(data[2:4], "little")
    third, fourth, fifth = (int.from_bytes(data[i:i + 4], "little") for i in (4, 8, 12))
    return f"{first:02d}.{second:02d}-{third:08d}-{fourth:010d}-{fifth:010d}"


def _open_port(port: str, baud: int) -> serial.Serial:
    """The port opened 8N1 at `baud`, exclusively where the OS allows it (a second program reading the
    same reader would steal its answers); raises `PortUnavailable` with what to do."""
    try:
        return serial.Serial(port, baud, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
                             stopbits=serial.STOPBITS_ONE, timeout=_READ_SLICE, write_timeout=1.0,
                             exclusive=True if os.name == "posix" else None)
    except (serial.SerialException, OSError, ValueError) as failure:
        code = getattr(failure, "errno", None)
        log.info("cannot open %s: %s", port, failure)
        if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or (os.name == "nt" and "FileNotFound" in str(failure)):
            raise errors.PortUnavailable(Problem(
                "reader.port_missing",
                f"没有端口 {port}：请插好读卡器；不确定端口时不要加 --port，让程序自动查找",
                f"there is no port {port}: plug the reader in; if unsure of the port, leave out --port to "
                "let it be found",
            )) from None
        if code in (errno.EACCES, errno.EPERM):
            raise errors.PortUnavailable(Problem(
                "reader.port_denied",
                f"没有权限打开端口 {port}：在 Linux 上请把当前用户加入 dialout 组"
                "（sudo usermod -aG dialout 用户名），重新登录后再试",
                f"no permission to open {port}: on Linux add the user to the dialout group "
                "(sudo usermod -aG dialout USER), log in again and retry",
            )) from None
        if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY):
            raise errors.PortUnavailable(Problem(
                "reader.port_busy",
                f"端口 {port} 正被另一个程序使用（另一个登记窗口？）：请关闭它再试",
                f"{port} is in use by another program (another dengji window?): close it and retry",
            )) from None
        raise errors.PortUnavailable(Problem(
            "reader.port_unusable",
            f"无法打开端口 {port}（{type(failure).__name__}）：请检查端口名和波特率",
            f"cannot open {port} ({type(failure).__name__}): check the port name and the baud rate",
        )) from None


def usb_serial_ports() -> list[str]:
    """The serial ports that belong to a USB device (readers are USB; built-in UARTs are left out)."""
    return sorted(port.device for port in list_ports.comports() if port.vid is not None)


def find_reader_port(baud: int = DEFAULT_BAUD, candidates: Iterable[str] | None = None, *,
                     probe_timeout: float = 0.5) -> str:
    """The first port among `candidates` (default: every USB serial port) where a reader's security
    module answers; raises `NoReaderFound` naming the ports tried and what each said."""
    ports = list(usb_serial_ports() if candidates is None else candidates)
    tried: list[str] = []
    for port in ports:
        try:
            SerialCardReader(port, baud, answer_timeout=probe_timeout).close()
        except errors.ReaderError as problem:
            log.info("no reader at %s: %s", port, problem.code)
            tried.append(f"{port}: {problem.code}")
            continue
        return port
    if not ports:
        raise errors.NoReaderFound(Problem(
            "reader.not_found",
            "没有找到 USB 串口设备：请插好读卡器；如果读卡器要用厂家的动态库，请设置 reader_backend = library",
            "no USB serial device found: plug the reader in; if the reader needs its vendor's library, set "
            "reader_backend = library",
        ))
    listed = "; ".join(tried)
    raise errors.NoReaderFound(Problem(
        "reader.not_found",
        f"这些端口上都没有读卡器应答（{listed}）：请插好读卡器，或用 --port 指定端口、--baud 指定波特率",
        f"no reader answers at any of these ports ({listed}): plug the reader in, or give its port with "
        "--port and its baud rate with --baud",
    ))
