"""`dengji demo --no-tui` through the real command: a reference platform on 127.0.0.1, the walk-through's
lines in order, a guest read off a sample card by the real driver from the simulated reader."""

from __future__ import annotations

import re

from agent.cardreader.samples import SAMPLE_CARDS
from tests.uploader.processes import dengji


def test_the_walk_through_reads_a_card_registers_its_guest_and_uploads() -> None:
    out = dengji("demo", "--no-tui")
    assert "Traceback" not in out.stderr
    lines = out.stdout.splitlines()
    steps = [line.split(" ", 1)[0] for line in lines if re.match(r"\d\. ", line)]
    assert steps == ["1.", "2.", "3.", "3.", "3.", "3.", "3.", "4.", "5.", "6."], out.stdout
    card = SAMPLE_CARDS["resident_id"]
    read = [line for line in lines if line.startswith("3. card reader:")]
    assert len(read) == 1 and re.fullmatch(
        rf"3\. card reader: read {card.name}'s ID card \(number {re.escape(card.masked_number)}\), registered in "
        r"room 205: registration \d+", read[0]), read
    assert card.doc_number not in out.stdout + out.stderr  # the number is only ever shown masked
    assert "6. uploaded encrypted and signed: 6 events sent, the platform holds 6" in out.stdout, out.stdout
