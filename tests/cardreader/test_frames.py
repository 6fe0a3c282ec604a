"""The GA/T 467 frames, checked against the bytes docs/cardreader.md (and ID-READER.md) give."""

from __future__ import annotations

import pytest

from agent.cardreader import errors
from agent.cardreader.frames import (
    Command,
    FrameDecoder,
    decode_answer,
    decode_card_data,
    encode_answer,
    encode_card_data,
    encode_command,
)


def test_a_command_is_ten_bytes_with_the_xor_of_len_and_content() -> None:
    assert encode_command(Command.FIND_CARD) == bytes.fromhex("AA AA AA 96 69 00 03 20 01 22")
    assert encode_command(Command.SELECT_CARD) == bytes.fromhex("AA AA AA 96 69 00 03 20 02 21")
    assert encode_command(Command.READ_TEXT_AND_PHOTO) == bytes.fromhex("AA AA AA 96 69 00 03 30 01 32")
    assert encode_command(Command.SAM_STATUS) == bytes.fromhex("AA AA AA 96 69 00 03 11 FF ED")


def test_a_full_read_answer_is_1295_bytes_with_len_0508() -> None:
    frame = encode_answer(0x90, encode_card_data(bytes(256), bytes(1024)))
    assert len(frame) == 1295
    assert frame[5:7] == b"\x05\x08"
    assert frame[7:10] == b"\x00\x00\x90"
    assert frame[10:14] == b"\x01\x00\x04\x00"  # TEXT_LEN 256, PHOTO_LEN 1024


def test_frames_are_found_in_noise_and_across_any_split() -> None:
    stream = b"\x00\x13noise\xaa\xaa" + encode_answer(0x9F, bytes(4)) + encode_answer(0x90, bytes(8))
    decoder = FrameDecoder()
    found = []
    for byte in stream:  # one byte at a time: the worst split a port can deliver
        decoder.feed(bytes([byte]))
        while (content := decoder.next_frame()) is not None:
            found.append(decode_answer(content).status)
    assert found == [0x9F, 0x90]
    assert decoder.noise == 9


def test_wanted_asks_for_exactly_the_rest_of_a_frame() -> None:
    frame = encode_answer(0x90, encode_card_data(bytes(256), bytes(1024)))
    decoder = FrameDecoder()
    decoder.feed(frame[:100])
    assert decoder.wanted() == len(frame) - 100
    decoder.feed(frame[100:])
    assert decoder.next_frame() is not None


def test_a_bad_checksum_is_an_error_and_the_next_frame_still_comes_through() -> None:
    bad = bytearray(encode_answer(0x90, bytes(8)))
    bad[-1] ^= 0xFF
    decoder = FrameDecoder()
    decoder.feed(bytes(bad) + encode_answer(0x9F, bytes(4)))
    with pytest.raises(errors.FrameError) as raised:
        decoder.next_frame()
    assert raised.value.code == "reader.bad_checksum" and raised.value.transient
    assert decode_answer(decoder.next_frame()).status == 0x9F


def test_an_impossible_length_is_an_error() -> None:
    decoder = FrameDecoder()
    decoder.feed(b"\xaa\xaa\xaa\x96\x69\xff\xff")
    with pytest.raises(errors.FrameError) as raised:
        decoder.next_frame()
    assert raised.value.code == "reader.bad_length"


def test_read_data_whose_lengths_do_not_add_up_is_refused() -> None:
    with pytest.raises(errors.FrameError):
        decode_card_data(encode_card_data(bytes(256), bytes(1024))[:-1])
    with pytest.raises(errors.CardUnreadable) as raised:
        decode_card_data(encode_card_data(bytes(200), bytes(1024)))
    assert raised.value.code == "reader.text_length"
    assert decode_card_data(encode_card_data(b"T" * 256, b"P" * 1024)).text == b"T" * 256


def test_every_listed_status_has_its_own_message_in_both_languages() -> None:
    for status in (0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x60, 0x66, 0x91):
        problem = errors.status_error(status)
        assert problem.text("zh") and problem.text("en") and problem.text("zh") != problem.text("en")
    assert isinstance(errors.status_error(0x60), errors.SamFault)
    assert isinstance(errors.status_error(0x66), errors.SamFault)
    assert isinstance(errors.status_error(0x41), errors.CardRemoved)
    assert errors.status_error(0x31).transient and not errors.status_error(0x60).transient
    assert "0x5A" in errors.status_error(0x5A).text("en")
