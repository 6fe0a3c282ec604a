"""`dengji demo --no-tui` through the real command: a reference platform on 127.0.0.1, the walk-through's
lines in order, a guest read off a sample card by the real driver from the simulated reader."""

from __future__ import annotations

import re

from agent.cardreader.samples import SAMPLE_CARDS
from tests.uploader.processes import dengji


def test_the_walk_through_reads_a_card_registers_its_guest_and_uploads() -> None:
    out = dengji("demo", "--no-tui", process=True)  # the README's first command, as a newcomer runs it
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


def test_the_walk_through_waits_for_enter_before_the_tui_covers_it_and_says_what_next(monkeypatch) -> None:
    """In a terminal: the steps, then a question that waits for Enter; the TUI only after it; on the way
    out, what to do next."""
    from click.testing import CliRunner

    from agent.cli import terminal_ui
    from agent.cli.demo import run_demo
    from agent.domain.language import Say

    monkeypatch.setenv("DENGJI_PASSPHRASE", "not used by the test's own home")
    shown_before_the_tui: list[str] = []

    with CliRunner().isolation(input="\n") as (out, _err, _):
        def launch_tui(home, lang):  # type: ignore[no-untyped-def]
            shown_before_the_tui.append(out.getvalue().decode())
            return 0

        monkeypatch.setattr(terminal_ui, "launch_tui", launch_tui)
        run_demo(Say("en"), open_tui=True)
        text = out.getvalue().decode()
    [before] = shown_before_the_tui
    assert "5. registration" in before and before.rstrip().endswith("Press Enter to open the terminal UI...")
    after = text[len(before):]
    assert "The demo is over." in after and "dengji --help" in after and "dengji demo --keep" in after


def test_the_walk_through_ends_without_the_tui_when_enter_never_comes(monkeypatch) -> None:
    from click.testing import CliRunner

    from agent.cli import terminal_ui
    from agent.cli.demo import run_demo
    from agent.domain.language import Say

    monkeypatch.setenv("DENGJI_PASSPHRASE", "not used by the test's own home")
    monkeypatch.setattr(terminal_ui, "launch_tui", lambda home, lang: (_ for _ in ()).throw(AssertionError))
    with CliRunner().isolation(input="") as (out, _err, _):  # Ctrl+D at the question
        run_demo(Say("zh"), open_tui=True)
        assert "演示结束" in out.getvalue().decode()
