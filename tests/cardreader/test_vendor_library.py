"""The sdtapi binding (ctypes) against a stub library compiled from C for this run: argument types,
return codes and error paths run for real. The stub returns 0x24 for any argument it does not expect."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import pytest

from agent.cardreader import errors, open_reader
from agent.cardreader.samples import SAMPLE_CARDS, sample_text
from agent.cardreader.vendor_library import LibraryCardReader


def test_a_card_is_read_through_the_library(stub: ctypes.CDLL, stub_library_path: Path) -> None:
    with open_reader("1001", backend="library", library_path=stub_library_path) as reader:
        assert stub.stub_open_port() == 1001
        assert reader.poll() is None
        stub.stub_place_card(sample_text("foreign_permanent_2023"))
        assert reader.poll() == SAMPLE_CARDS["foreign_permanent_2023"]
        assert stub.stub_photo_wiped() == 1  # the photo the library handed over was dropped
    assert stub.stub_open_port() == 0  # closing the reader closed the library's port


def test_the_reader_is_looked_for_on_every_usb_port(stub: ctypes.CDLL, stub_library_path: Path) -> None:
    stub.stub_plug_at(1005)
    with LibraryCardReader(stub_library_path) as reader:
        assert reader.port == 1005 and reader.description == "sdtapi port 1005"


def test_once_per_placement_even_though_the_library_keeps_finding_the_card(
        stub: ctypes.CDLL, stub_library_path: Path) -> None:
    with LibraryCardReader(stub_library_path, 1001) as reader:
        stub.stub_place_card(sample_text("resident_id"))
        assert reader.poll() == SAMPLE_CARDS["resident_id"]
        assert [reader.poll() for _ in range(4)] == [None] * 4
        assert stub.stub_reads() == 1
        stub.stub_lift_card()
        reader.poll(), reader.poll()
        stub.stub_place_card(sample_text("hmt_residence_permit"))
        assert reader.poll() == SAMPLE_CARDS["hmt_residence_permit"]


@pytest.mark.parametrize(("status", "kind", "code"), [
    (0x60, errors.SamFault, "reader.sam_fault"),
    (0x66, errors.SamFault, "reader.sam_unauthorised"),
    (0x02, errors.NoAnswer, "reader.no_answer"),
    (0x03, errors.FrameError, "reader.bad_checksum"),
    (0x31, errors.CardRejected, "reader.status.card_auth"),
    (0x24, errors.FrameError, "reader.status.unrecognised"),
])
def test_library_and_reader_statuses_become_errors(stub: ctypes.CDLL, stub_library_path: Path, status: int,
                                                   kind: type[errors.ReaderError], code: str) -> None:
    with LibraryCardReader(stub_library_path, 1001) as reader:
        stub.stub_fail_next(status)
        with pytest.raises(kind) as raised:
            reader.poll()
        assert raised.value.code == code


def test_a_card_taken_away_mid_read(stub: ctypes.CDLL, stub_library_path: Path) -> None:
    with LibraryCardReader(stub_library_path, 1001) as reader:
        stub.stub_place_card(sample_text("resident_id"))
        stub.stub_fail_next_read(0x41)
        with pytest.raises(errors.CardRemoved):
            reader.poll()
        assert stub.stub_photo_wiped() == -1  # no photo was ever handed over
        stub.stub_place_card(sample_text("resident_id"))
        assert reader.poll() == SAMPLE_CARDS["resident_id"]


def test_unplugging_raises_reader_gone(stub: ctypes.CDLL, stub_library_path: Path) -> None:
    with LibraryCardReader(stub_library_path, 1001) as reader:
        stub.stub_unplug()
        for _ in range(2):
            with pytest.raises(errors.ReaderGone):
                reader.poll()


def test_no_reader_at_any_port(stub: ctypes.CDLL, stub_library_path: Path) -> None:
    stub.stub_unplug()
    with pytest.raises(errors.NoAnswer) as raised:
        LibraryCardReader(stub_library_path)
    assert "1001-1016" in raised.value.text("en")
    with pytest.raises(errors.PortUnavailable):
        open_reader("COM3", backend="library", library_path=stub_library_path)


def test_a_missing_or_foreign_library_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(errors.LibraryError) as missing:
        LibraryCardReader(tmp_path / "libsdtapi.so")
    assert missing.value.code == "reader.library_missing" and "reader_library_path" in missing.value.text("en")
    libm = ctypes.util.find_library("m")
    if libm is None:
        pytest.skip("no C maths library to stand in for a library without the sdtapi calls")
    with pytest.raises(errors.LibraryError) as foreign:
        LibraryCardReader(libm)
    assert foreign.value.code == "reader.library_unusable" and "SDT_OpenPort" in foreign.value.text("en")
