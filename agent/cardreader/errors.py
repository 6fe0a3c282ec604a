"""What goes wrong between the desk and an ID card reader, said so that a clerk knows what to do.

Every error is a `DengjiError` (`agent.domain.errors`): it carries one `Problem` (a stable code such as
`reader.card_removed`, a Chinese and an English sentence that ends with what to do), and its class tells
the caller how bad it is:

    ReaderError
     +-- (transient: the reader still works; the card is placed again or the next poll retries)
     |    FrameError        an answer with a bad checksum, a bad length, or cut short
     |    CardRemoved       the card was taken away (or could not be read) in the middle of the read
     |    CardRejected      the card and the reader's security module did not accept each other
     |    CardUnreadable    the card's text could not be understood, or its number is not valid
     +-- (the reader cannot go on: fix something, then open the reader again)
          NoAnswer          nothing answers at the port
          NotAReader        something answers, but not in the GA/T 467 frames
          SamFault          the reader's security module (SAM) reports a fault
          ReaderGone        the reader was unplugged or the port failed while in use
          PortUnavailable   the port does not exist, is in use, or may not be opened
          NoReaderFound     auto-detection found no reader among the USB serial ports
          LibraryError      the vendor library cannot be loaded or lacks a function

Messages never contain the card's number or name: only codes, port names and counts.
"""

from __future__ import annotations

from typing import ClassVar

from agent.domain.errors import DengjiError
from agent.domain.problems import Problem


class ReaderError(DengjiError):
    """A reader problem with a code, a Chinese and an English message (see the module's tree)."""

    transient: ClassVar[bool] = False

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        Exception.__init__(self, problem.en)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.problem.code!r})"


class TransientReaderError(ReaderError):
    """The reader still works: `wait_for_card` reports it and keeps waiting."""

    transient = True


class FrameError(TransientReaderError):
    pass


class CardRemoved(TransientReaderError):
    pass


class CardRejected(TransientReaderError):
    pass


class CardUnreadable(TransientReaderError):
    pass


class NoAnswer(ReaderError):
    pass


class NotAReader(ReaderError):
    pass


class SamFault(ReaderError):
    pass


class ReaderGone(ReaderError):
    pass


class PortUnavailable(ReaderError):
    pass


class NoReaderFound(ReaderError):
    pass


class LibraryError(ReaderError):
    pass


def no_answer(port: str, seconds: float | None = None) -> NoAnswer:
    waited_zh = f"（等了 {seconds:g} 秒）" if seconds is not None else ""
    waited_en = f" (waited {seconds:g} s)" if seconds is not None else ""
    return NoAnswer(Problem(
        "reader.no_answer",
        f"{port} 上没有读卡器应答{waited_zh}：请检查读卡器的 USB 线和电源，确认端口和波特率（常见 115200，老款 9600）",
        f"nothing answers at {port}{waited_en}: check the reader's USB cable and power, and the port and "
        "baud rate (usually 115200, 9600 on older readers)",
    ))


def not_a_reader(port: str, why_zh: str, why_en: str) -> NotAReader:
    return NotAReader(Problem(
        "reader.not_a_reader",
        f"端口 {port} 上的设备不是身份证阅读器（{why_zh}）：请用 --port 指定读卡器所在的端口，"
        "或核对波特率",
        f"the device at {port} is not an ID card reader ({why_en}): give the reader's port with --port, "
        "or check the baud rate",
    ))


def reader_gone(port: str) -> ReaderGone:
    return ReaderGone(Problem(
        "reader.gone",
        f"读卡器（{port}）断开了：请插好 USB 线，再重新打开读卡器",
        f"the reader ({port}) was disconnected: plug its USB cable back in, then open the reader again",
    ))


def bad_checksum() -> FrameError:
    return FrameError(Problem(
        "reader.bad_checksum",
        "读卡器的应答校验和不对（线路受干扰）：请把证件拿起再放上；反复出现请换一根 USB 线或换个 USB 口",
        "the reader's answer has a bad checksum (a noisy line): lift the card and place it again; if it "
        "keeps happening, try another USB cable or port",
    ))


def bad_length(length: int) -> FrameError:
    return FrameError(Problem(
        "reader.bad_length",
        f"读卡器的应答长度不对（{length} 字节）：请把证件拿起再放上；反复出现请换一根 USB 线",
        f"the reader's answer has an impossible length ({length} bytes): lift the card and place it "
        "again; if it keeps happening, try another USB cable",
    ))


def truncated(port: str) -> FrameError:
    return FrameError(Problem(
        "reader.truncated",
        f"读卡器（{port}）的应答中途断了：请把证件拿起再放上；反复出现请检查 USB 线",
        f"the reader's answer ({port}) stopped short: lift the card and place it again; if it keeps "
        "happening, check the USB cable",
    ))


def card_removed() -> CardRemoved:
    return CardRemoved(Problem(
        "reader.card_removed",
        "证件在读取过程中被拿开（或没有读完）：请把证件平放在读卡器上，等读完再拿开",
        "the card was taken away before it was read (or the read failed): lay it flat on the reader and "
        "leave it until it has been read",
    ))


def card_unreadable(detail_zh: str, detail_en: str, code: str = "reader.card_text") -> CardUnreadable:
    return CardUnreadable(Problem(
        code,
        f"证件内容无法识别（{detail_zh}）：请把证件拿起再放上；仍然如此请手工录入并核对证件",
        f"the card's content cannot be understood ({detail_en}): lift the card and place it again; if "
        "that does not help, enter the person by hand and check the card",
    ))


# What the reader's status byte (SW3) means, for every status the standard and the vendor manuals
# list. 90 (success), 9F (card found), 80 (no card) and 81 (select failed) are answers the driver
# expects and handles before it gets here; here they are errors only where they arrive at a step
# that should not give them.
_LINE_ZH = "：请把证件拿起再放上；反复出现请换一根 USB 线，或重启读卡器（拔插 USB）"
_LINE_EN = ": lift the card and place it again; if it keeps happening, try another USB cable or restart the " \
           "reader (unplug and plug it in)"
_CARD_ZH = "：请把证件拿起重新放好；反复出现，证件可能损坏或不是真实证件，请人工核验"
_CARD_EN = ": lift the card and place it again; if it keeps happening, the card may be damaged or not " \
           "genuine: check it by hand"
_SAM_ZH = "：请重启读卡器（拔插 USB）；仍然如此请联系读卡器厂家"
_SAM_EN = ": restart the reader (unplug and plug it in); if that does not help, contact the reader's vendor"

STATUS_ERRORS: dict[int, tuple[type[ReaderError], str, str, str]] = {
    0x10: (FrameError, "reader.status.checksum", "读卡器收到的命令校验和错误" + _LINE_ZH,
           "the reader received a command with a bad checksum" + _LINE_EN),
    0x11: (FrameError, "reader.status.length", "读卡器收到的命令长度错误" + _LINE_ZH,
           "the reader received a command with a bad length" + _LINE_EN),
    0x21: (NotAReader, "reader.status.unknown_command",
           "读卡器不认识这条命令：它可能不是 GA/T 467 串口读卡器，请改用厂家动态库（reader_backend = library）",
           "the reader does not know this command: it may not speak GA/T 467 frames; use the vendor's "
           "library instead (reader_backend = library)"),
    0x23: (ReaderError, "reader.status.not_permitted", "读卡器拒绝了这个操作（越权）" + _SAM_ZH,
           "the reader refused the operation as not permitted" + _SAM_EN),
    0x24: (FrameError, "reader.status.unrecognised", "读卡器报告无法识别的错误" + _LINE_ZH,
           "the reader reports an unrecognised error" + _LINE_EN),
    0x31: (CardRejected, "reader.status.card_auth", "证件认证读卡器失败" + _CARD_ZH,
           "the card failed to authenticate the reader" + _CARD_EN),
    0x32: (CardRejected, "reader.status.reader_auth", "读卡器认证证件失败" + _CARD_ZH,
           "the reader failed to authenticate the card" + _CARD_EN),
    0x33: (CardRejected, "reader.status.info_check", "证件信息验证失败" + _CARD_ZH,
           "the card's information failed its check" + _CARD_EN),
    0x40: (CardRejected, "reader.status.card_type",
           "不认识的卡片类型：请放居民身份证、港澳台居民居住证或外国人永久居留身份证",
           "unknown card type: place a resident ID card, a residence permit for Hong Kong, Macau and "
           "Taiwan residents, or a foreigner's permanent residence ID card"),
    0x41: (CardRemoved, "reader.card_removed", card_removed().problem.zh, card_removed().problem.en),
    0x47: (CardRejected, "reader.status.random", "读卡器取随机数失败" + _CARD_ZH,
           "the reader could not get a random number from the card" + _CARD_EN),
    0x60: (SamFault, "reader.sam_fault", "读卡器的安全模块（SAM）自检失败" + _SAM_ZH,
           "the reader's security module (SAM) failed its self-test" + _SAM_EN),
    0x66: (SamFault, "reader.sam_unauthorised",
           "读卡器的安全模块（SAM）未获授权：读卡器需要厂家授权，请联系读卡器厂家",
           "the reader's security module (SAM) is not authorised: the reader needs its vendor's "
           "authorisation; contact the vendor"),
    0x80: (CardRemoved, "reader.card_removed", card_removed().problem.zh, card_removed().problem.en),
    0x81: (CardRemoved, "reader.card_removed", card_removed().problem.zh, card_removed().problem.en),
    0x91: (CardRejected, "reader.status.no_item", "证件中没有这一项内容" + _CARD_ZH,
           "the card has no such item" + _CARD_EN),
}


def status_error(status: int) -> ReaderError:
    """The error for a status byte a step did not expect (every listed SW3 has its own message)."""
    if status in STATUS_ERRORS:
        kind, code, zh, en = STATUS_ERRORS[status]
        return kind(Problem(code, zh, en))
    return ReaderError(Problem(
        "reader.status.unknown",
        f"读卡器返回了未知的状态码 0x{status:02X}" + _SAM_ZH,
        f"the reader returned an unknown status 0x{status:02X}" + _SAM_EN,
    ))
