"""The GA/T 467 serial frames that carry commands to an ID card reader and its answers back.

Every frame, both ways: the preamble `AA AA AA 96 69`, `LEN` (2 bytes, big-endian: the bytes that
follow it, the checksum included), the content, and `CHK`, the XOR of every byte from the first `LEN`
byte through the last content byte. A command's content is `CMD PARA`; an answer's is `SW1 SW2 SW3`
then data. The decoder checks every frame's length and checksum before anything reads its content,
and skips line noise before a preamble, counting it, so that a port whose device speaks something
else is told apart from a reader.

>>> encode_command(Command.FIND_CARD).hex(' ')
'aa aa aa 96 69 00 03 20 01 22'
>>> decoder = FrameDecoder()
>>> decoder.feed(b'noise' + encode_answer(0x9F, bytes(4)))
>>> answer = decode_answer(decoder.next_frame())
>>> hex(answer.status), bytes(answer.data)
('0x9f', b'\\x00\\x00\\x00\\x00')
>>> decoder.noise
5
"""

from __future__ import annotations

import logging
from enum import Enum
from functools import reduce
from operator import xor
from typing import NamedTuple

from agent.cardreader import errors

log = logging.getLogger(__name__)

PREAMBLE = b"\xAA\xAA\xAA\x96\x69"
# The largest answer a reader sends is text + photo + fingerprints (30 10): 3 + 6 + 256 + 1024 + 1024 + 1.
# Anything longer is not a reader's frame: a preamble-like pattern in noise, or a corrupted length.
MAX_LENGTH = 4096
MIN_ANSWER_LENGTH = 4  # SW1 SW2 SW3 and the checksum
TEXT_LENGTH = 256
PHOTO_LENGTH = 1024

STATUS_SUCCESS = 0x90
STATUS_CARD_FOUND = 0x9F
STATUS_NO_CARD = 0x80
STATUS_SELECT_FAILED = 0x81
STATUS_READ_FAILED = 0x41


class Command(Enum):
    """`CMD PARA` of each command the driver sends (GA/T 467; see docs/cardreader.md)."""

    # One module's sample code sends 01 FF to reset the SAM; the standard's 10 FF is kept here, the one
    # place a vendor's difference would go.
    RESET_SAM = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_TEXT_AND_PHOTO = (0x30, 0x01)
    READ_WITH_FINGERPRINTS = (0x30, 0x10)


class Answer(NamedTuple):
    """A reader's answer: its status byte (SW3) and the data after it (a view into the frame's content,
    which the driver zeroes once it is done with a card's text)."""

    status: int
    data: memoryview


class CardData(NamedTuple):
    """The data of a successful read: the 256-byte text. The photo is checked for length and dropped."""

    text: bytes


def checksum(data: bytes | bytearray | memoryview) -> int:
    """XOR of the bytes: LEN and the content of a frame."""
    return reduce(xor, data, 0)


def encode_frame(content: bytes) -> bytes:
    """A whole frame around `content`: preamble, length, content, checksum."""
    body = (len(content) + 1).to_bytes(2, "big") + content
    return PREAMBLE + body + bytes([checksum(body)])


def encode_command(command: Command) -> bytes:
    """The 10 bytes of a command frame."""
    return encode_frame(bytes(command.value))


def encode_answer(status: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """An answer frame as a reader sends it (used by the simulated reader and the tests)."""
    return encode_frame(bytes([sw1, sw2, status]) + data)


def encode_card_data(text: bytes, photo: bytes) -> bytes:
    """The data of a successful `30 01` answer: text and photo lengths, the text, the photo."""
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


class FrameDecoder:
    """Finds checked frames in a byte stream, fed as bytes arrive.

    `next_frame()` returns the content of the next whole frame (None until one is complete), or
    raises `FrameError` for a frame whose length or checksum is wrong; that frame is dropped and the
    search goes on after its preamble. Bytes before a preamble are noise, counted in `noise`.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.noise = 0
        self.received = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data
        self.received += len(data)

    def wanted(self) -> int:
        """How many more bytes the frame being received needs, at least 1: what to ask the port for."""
        start = self._buffer.find(PREAMBLE)
        if start < 0 or len(self._buffer) < start + len(PREAMBLE) + 2:
            return max(1, len(PREAMBLE) + 2 - len(self._buffer))
        length = int.from_bytes(self._buffer[start + 5:start + 7], "big")
        if not MIN_ANSWER_LENGTH - 1 <= length <= MAX_LENGTH:
            return 1
        return max(1, start + 7 + length - len(self._buffer))

    @property
    def in_frame(self) -> bool:
        """True once a preamble has arrived: a frame has begun (it may still be cut short)."""
        return self._buffer.find(PREAMBLE) >= 0

    def next_frame(self) -> bytearray | None:
        """The content of the next whole frame (a fresh buffer the caller may zero), or None."""
        start = self._buffer.find(PREAMBLE)
        if start < 0:
            # Keep what could be the start of a preamble split between two reads.
            keep = len(PREAMBLE) - 1
            if len(self._buffer) > keep:
                self.noise += len(self._buffer) - keep
                del self._buffer[:-keep]
            return None
        if start:
            self.noise += start
            del self._buffer[:start]
        if len(self._buffer) < 7:
            return None
        length = int.from_bytes(self._buffer[5:7], "big")
        if not 3 <= length <= MAX_LENGTH:  # a command's LEN is 3; an answer's at least 4
            del self._buffer[:len(PREAMBLE)]
            raise errors.bad_length(length)
        end = 7 + length
        if len(self._buffer) < end:
            return None
        good = checksum(memoryview(self._buffer)[5:end - 1]) == self._buffer[end - 1]
        content = self._buffer[7:end - 1] if good else None
        self._buffer[:end] = bytes(end)  # zeroed before it is let go: a card's text may be in it
        del self._buffer[:end]
        if content is None:
            raise errors.bad_checksum()
        return content

    def clear(self) -> None:
        """Forget buffered bytes (zeroed first: a card's text may be among them)."""
        self._buffer[:] = bytes(len(self._buffer))
        self._buffer.clear()


def decode_answer(content: bytes | bytearray | None) -> Answer:
    """The status and data of an answer's content; raises `FrameError` for content too short."""
    if content is None or len(content) < 3:
        raise errors.bad_length(0 if content is None else len(content) + 1)
    if content[0] or content[1]:
        log.debug("answer with SW1 SW2 = %02X %02X (normally 00 00)", content[0], content[1])
    return Answer(content[2], memoryview(content)[3:])


def decode_card_data(data: bytes | memoryview) -> CardData:
    """The text of a `30 01` answer after checking that both lengths add up; the photo is dropped.

    The photo (a wavelet image only the vendor's decoder reads) has no lawful use here yet, so it is
    never kept: the caller zeroes its receive buffer after this.
    """
    if len(data) < 4:
        raise errors.bad_length(len(data))
    text_length = int.from_bytes(data[0:2], "big")
    photo_length = int.from_bytes(data[2:4], "big")
    if len(data) != 4 + text_length + photo_length:
        raise errors.bad_length(len(data))
    if text_length != TEXT_LENGTH:
        raise errors.card_unreadable(f"文字信息长度为 {text_length} 字节，应为 256",
                                     f"the text is {text_length} bytes, not 256", "reader.text_length")
    return CardData(bytes(data[4:4 + TEXT_LENGTH]))
