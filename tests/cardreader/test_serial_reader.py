"""The serial driver against the simulated reader on a real pty: every card kind, once per placement,
every fault, unplugging, port detection. No mocks; threads meet on events, never on sleeps."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from agent.cardreader import errors, open_reader
from agent.cardreader.card import IdentityCard
from agent.cardreader.frames import Command
from agent.cardreader.samples import SAMPLE_CARDS
from agent.cardreader.serial_reader import SerialCardReader, find_reader_port
from agent.cardreader.simulated import Fault, SimulatedReader


@pytest.mark.parametrize("key", sorted(SAMPLE_CARDS))
def test_every_kind_of_card_is_read(simulator: SimulatedReader, serial_reader: SerialCardReader, key: str) -> None:
    assert serial_reader.poll() is None
    simulator.place_card(key)
    assert serial_reader.poll() == SAMPLE_CARDS[key]


@pytest.mark.parametrize("enforce_lift", [True, False], ids=["reader-enforces-lift", "reader-keeps-finding"])
def test_a_card_is_read_once_per_placement(enforce_lift: bool) -> None:
    with SimulatedReader(baud=None, enforce_lift=enforce_lift).start() as simulator:
        with SerialCardReader(simulator.port, answer_timeout=0.5) as reader:
            simulator.place_card("resident_id")
            assert reader.poll() == SAMPLE_CARDS["resident_id"]
            assert [reader.poll() for _ in range(5)] == [None] * 5
            assert simulator.reads_served == 1
            simulator.lift_card()
            assert [reader.poll() for _ in range(2)] == [None, None]
            simulator.place_card("resident_id")
            assert reader.poll() == SAMPLE_CARDS["resident_id"]
            assert simulator.reads_served == 2


def test_a_bad_checksum_is_reported_and_the_card_read_when_placed_again(
        simulator: SimulatedReader, serial_reader: SerialCardReader) -> None:
    simulator.place_card("hmt_residence_permit")
    simulator.fault(Fault.BAD_CHECKSUM, times=1)
    with pytest.raises(errors.FrameError) as raised:
        serial_reader.poll()
    assert raised.value.code == "reader.bad_checksum" and raised.value.transient
    assert serial_reader.poll() is None  # not read again while it lies there
    simulator.lift_card()
    serial_reader.poll(), serial_reader.poll()
    simulator.place_card("hmt_residence_permit")
    assert serial_reader.poll() == SAMPLE_CARDS["hmt_residence_permit"]


def test_a_card_taken_away_mid_read(simulator: SimulatedReader, serial_reader: SerialCardReader) -> None:
    simulator.place_card("foreign_permanent_2017")
    simulator.fault(Fault.CARD_LIFTED, times=1)
    with pytest.raises(errors.CardRemoved) as raised:
        serial_reader.poll()
    assert "taken away" in raised.value.text("en") and "拿开" in raised.value.text("zh")
    assert serial_reader.poll() is None and serial_reader.poll() is None
    simulator.place_card("foreign_permanent_2017")
    assert serial_reader.poll() == SAMPLE_CARDS["foreign_permanent_2017"]


def test_a_card_that_is_not_found_is_no_card(simulator: SimulatedReader, serial_reader: SerialCardReader) -> None:
    simulator.place_card("resident_id")
    simulator.fault(Fault.NO_CARD, times=2)
    assert serial_reader.poll() is None and serial_reader.poll() is None
    assert serial_reader.poll() == SAMPLE_CARDS["resident_id"]


def test_a_sam_fault_stops_the_reader_while_in_use_and_at_opening(simulator: SimulatedReader,
                                                                   serial_reader: SerialCardReader) -> None:
    simulator.fault(Fault.SAM_FAULT)
    with pytest.raises(errors.SamFault) as raised:
        serial_reader.poll()
    assert raised.value.code == "reader.sam_fault" and not raised.value.transient
    simulator.fault(None)
    assert serial_reader.poll() is None  # the fault is the module's: the driver goes on once it clears
    serial_reader.close()
    simulator.fault(Fault.SAM_FAULT)
    with pytest.raises(errors.SamFault):
        SerialCardReader(simulator.port, answer_timeout=0.5)


def test_a_device_that_sends_garbage_is_not_a_reader(simulator: SimulatedReader) -> None:
    simulator.fault(Fault.GARBAGE)
    started = time.monotonic()
    with pytest.raises(errors.NotAReader) as raised:
        SerialCardReader(simulator.port, answer_timeout=2.0)
    assert time.monotonic() - started < 1.5  # told by the noise, not by waiting for the deadline
    assert "not an ID card reader" in raised.value.text("en")


def test_nothing_answering_is_no_answer_after_the_timeout(simulator: SimulatedReader) -> None:
    simulator.fault(Fault.SILENT)
    started = time.monotonic()
    with pytest.raises(errors.NoAnswer) as raised:
        SerialCardReader(simulator.port, answer_timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 2.0
    assert raised.value.code == "reader.no_answer" and simulator.port in raised.value.text("zh")


def test_unplugging_mid_shift_raises_reader_gone_every_time_and_never_crashes(
        simulator: SimulatedReader, serial_reader: SerialCardReader) -> None:
    simulator.place_card("resident_id")
    assert serial_reader.poll() is not None
    simulator.unplug()
    for _ in range(3):
        with pytest.raises(errors.ReaderGone) as raised:
            serial_reader.poll()
        assert raised.value.code == "reader.gone"
    assert serial_reader.closed
    serial_reader.close()  # closing again is harmless


def test_unplugging_while_waiting_ends_the_wait_with_reader_gone(simulator: SimulatedReader,
                                                                  serial_reader: SerialCardReader) -> None:
    outcome: list[BaseException | IdentityCard | None] = []

    def wait() -> None:
        try:
            outcome.append(serial_reader.wait_for_card(10))
        except errors.ReaderError as problem:
            outcome.append(problem)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert simulator.wait_for_command(Command.FIND_CARD, 2)
    simulator.unplug()
    waiter.join(5)
    assert not waiter.is_alive()
    assert isinstance(outcome[0], errors.ReaderGone)


def test_wait_for_card_returns_the_card_placed_while_waiting(simulator: SimulatedReader,
                                                             serial_reader: SerialCardReader) -> None:
    result: list[IdentityCard | None] = []
    waiter = threading.Thread(target=lambda: result.append(serial_reader.wait_for_card(10)))
    waiter.start()
    assert simulator.wait_for_command(Command.FIND_CARD, 3)  # it is polling: now the card arrives
    simulator.place_card("foreign_permanent_2023")
    waiter.join(10)
    assert result == [SAMPLE_CARDS["foreign_permanent_2023"]]


def test_wait_for_card_gives_none_at_the_timeout_or_when_stopped(simulator: SimulatedReader,
                                                                 serial_reader: SerialCardReader) -> None:
    started = time.monotonic()
    assert serial_reader.wait_for_card(0.2) is None
    assert 0.2 <= time.monotonic() - started < 2.0
    stop = threading.Event()
    result: list[IdentityCard | None] = []
    waiter = threading.Thread(target=lambda: result.append(serial_reader.wait_for_card(None, stop=stop)))
    waiter.start()
    assert simulator.wait_for_command(Command.FIND_CARD, simulator.count(Command.FIND_CARD) + 2)
    stop.set()
    waiter.join(5)
    assert result == [None]


def test_wait_for_card_passes_transient_problems_on_and_goes_on_waiting(simulator: SimulatedReader,
                                                                        serial_reader: SerialCardReader) -> None:
    problems: list[errors.ReaderError] = []
    simulator.place_card("resident_id_long_term")
    simulator.fault(Fault.CARD_LIFTED, times=1)
    placed_again = threading.Thread(target=lambda: simulator.wait_for_command(Command.READ_TEXT_AND_PHOTO)
                                    and simulator.place_card("resident_id_long_term"))
    placed_again.start()
    card = serial_reader.wait_for_card(10, on_problem=problems.append)
    placed_again.join(5)
    assert card == SAMPLE_CARDS["resident_id_long_term"]
    assert [problem.code for problem in problems] == ["reader.card_removed"]


def test_wait_for_card_raises_transient_problems_without_a_handler_and_reader_problems_always(
        simulator: SimulatedReader, serial_reader: SerialCardReader) -> None:
    simulator.place_card("resident_id")
    simulator.fault(Fault.CARD_LIFTED, times=1)
    with pytest.raises(errors.CardRemoved):
        serial_reader.wait_for_card(5)
    simulator.fault(Fault.SAM_FAULT)
    with pytest.raises(errors.SamFault):
        serial_reader.wait_for_card(5, on_problem=lambda problem: None)


def test_a_missing_port_and_a_busy_port_say_what_to_do(simulator: SimulatedReader,
                                                       serial_reader: SerialCardReader) -> None:
    with pytest.raises(errors.PortUnavailable) as missing:
        SerialCardReader("/dev/ttyUSB_no_such_reader")
    assert missing.value.code == "reader.port_missing"
    with pytest.raises(errors.PortUnavailable) as busy:
        SerialCardReader(simulator.port)  # the fixture's reader holds it
    assert busy.value.code == "reader.port_busy"


def test_the_reader_is_found_among_the_candidate_ports() -> None:
    with SimulatedReader(baud=None).start() as silent, SimulatedReader(baud=None).start() as noisy, \
            SimulatedReader(baud=None).start() as reader:
        silent.fault(Fault.SILENT)
        noisy.fault(Fault.GARBAGE)
        candidates = ["/dev/ttyUSB_no_such_reader", silent.port, noisy.port, reader.port]
        assert find_reader_port(candidates=candidates, probe_timeout=0.2) == reader.port
        with pytest.raises(errors.NoReaderFound) as raised:
            find_reader_port(candidates=candidates[:3], probe_timeout=0.2)
        message = raised.value.text("en")
        assert silent.port in message and "reader.no_answer" in message and "reader.not_a_reader" in message
    with pytest.raises(errors.NoReaderFound):
        find_reader_port(candidates=[])


def test_open_reader_opens_the_serial_backend_at_the_given_baud() -> None:
    with SimulatedReader(baud=9600).start() as simulator, open_reader(simulator.port, baud=9600) as reader:
        assert reader.description == f"{simulator.port} @ 9600"
        simulator.place_card("resident_id")
        assert reader.wait_for_card(10) == SAMPLE_CARDS["resident_id"]
    with pytest.raises(ValueError):
        open_reader("x", backend="bluetooth")


def test_a_read_at_115200_baud_takes_at_least_its_wire_time() -> None:
    # find (10 out, 15 back) + select (10, 19) + read (10, 1295): 1,359 bytes at 11,520 bytes/s.
    wire_seconds = 1359 * 10 / 115200
    with SimulatedReader(baud=115200).start() as simulator, SerialCardReader(simulator.port) as reader:
        simulator.place_card("resident_id")
        started = time.monotonic()
        assert reader.poll() == SAMPLE_CARDS["resident_id"]
        assert time.monotonic() - started >= wire_seconds


def test_nothing_personal_reaches_the_logs(simulator: SimulatedReader, serial_reader: SerialCardReader,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="agent.cardreader")
    card = SAMPLE_CARDS["resident_id"]
    simulator.place_card("resident_id")
    assert serial_reader.poll() == card
    simulator.fault(Fault.BAD_CHECKSUM, times=1)
    simulator.lift_card()
    serial_reader.poll(), serial_reader.poll()
    simulator.place_card("resident_id")
    with pytest.raises(errors.FrameError):
        serial_reader.poll()
    assert caplog.records, "the driver logs what it does"
    logged = caplog.text
    assert card.doc_number not in logged and card.name not in logged and card.address not in logged
    assert card.masked_number in logged


def test_closing_the_reader_from_another_thread_ends_a_wait_quietly(simulator: SimulatedReader,
                                                                    serial_reader: SerialCardReader) -> None:
    result: list[IdentityCard | None] = []
    waiter = threading.Thread(target=lambda: result.append(serial_reader.wait_for_card(30)))
    waiter.start()
    assert simulator.wait_for_command(Command.FIND_CARD, 2)
    serial_reader.close()
    waiter.join(5)
    assert result == [None]
    with pytest.raises(errors.ReaderGone) as raised:
        serial_reader.poll()
    assert raised.value.code == "reader.closed"


def test_the_sam_id_is_read_and_printed_as_vendors_print_it(serial_reader: SerialCardReader) -> None:
    assert serial_reader.sam_id() == "05.01-20240607-0000001234-0000005678"


def test_a_sam_id_of_another_length_is_shown_in_hex_rather_than_refused() -> None:
    from agent.cardreader.serial_reader import format_sam_id

    assert format_sam_id(bytes.fromhex("0102ab")) == "0102AB"


def test_poll_says_when_a_card_is_being_read(simulator: SimulatedReader, serial_reader: SerialCardReader) -> None:
    """`on_reading` comes once per placement, before the read (a screen says "reading" meanwhile)."""
    calls: list[int] = []

    def reading() -> None:
        calls.append(simulator.reads_served)  # the card's text has not been served yet

    assert serial_reader.poll(reading) is None and calls == []  # no card: nothing to say
    simulator.place_card("resident_id")
    assert serial_reader.poll(reading) == SAMPLE_CARDS["resident_id"]
    assert calls == [0]
    assert serial_reader.poll(reading) is None and calls == [0]  # the same placement is not read again
