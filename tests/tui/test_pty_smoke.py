"""Smoke test in a real pseudo-terminal: the installed entry point, real keys, a real store.

tmux gives the app a terminal of 80x24 and lets the test read the screen as a person would see it.
The test sets up a hotel with `dengji init`, starts the TUI (`dengji tui`), registers a guest by typing,
quits, and finds the registration and its outbox event through `dengji list` and `dengji status`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent.cli.demo_people import resident_id_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

BIN = Path(sys.executable).parent
DEADLINE = 30.0  # seconds a screen may take to appear on a slow CI machine; not a performance check


class Terminal:
    """One tmux server on a private socket, holding one 80x24 window."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True, text=True,
                              env=self.env, check=True).stdout

    def start(self, command: list[str]) -> None:
        self.tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "smoke", *command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "smoke")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "smoke", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "smoke", "-l", text)

    def wait_for(self, text: str) -> str:
        """Poll the screen until `text` shows (a deadline, not a timing assertion)."""
        pause = threading.Event()
        end = time.monotonic() + DEADLINE
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > end:
                raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")
            pause.wait(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, env=self.env)


def _tui_command(home: Path) -> list[str]:
    return [str(BIN / "dengji"), "--home", str(home), "tui"]


def test_register_a_guest_by_typing_in_a_real_terminal(private_home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "DENGJI_HOME": str(private_home),
           "TMUX_TMPDIR": str(tmp_path)}
    env.pop("TMUX", None)
    dengji = str(BIN / "dengji")
    subprocess.run([dengji, "init", "--kind", "hotel", "--name", "烟测宾馆"], check=True, env=env,
                   capture_output=True)
    number, born, _ = resident_id_for(42)
    term = Terminal(f"dengji-smoke-{os.getpid()}", env)
    try:
        term.start(_tui_command(private_home))
        term.wait_for("现在在住 0 人")
        term.keys("F2")
        term.wait_for("刷卡/扫描")
        term.type(number)  # an ID card reader types the number and Enter
        term.keys("Enter")
        term.wait_for(born.isoformat())  # filled in from the number
        term.type("王伟")
        for _ in range(6):  # sex, birth date, ethnicity, address, phone: filled or optional
            term.keys("Enter")
        term.type("302")
        term.keys("C-s")
        screen = term.wait_for("现在在住 1 人")
        assert "302" in screen and "王伟" in screen
        term.keys("C-q")
    finally:
        term.close()
    listed = json.loads(subprocess.run([dengji, "list", "--json"], check=True, env=env, capture_output=True,
                                       text=True).stdout)
    assert [(row["name"], row["unit"]) for row in listed] == [("王伟", "302")]
    status = json.loads(subprocess.run([dengji, "status", "--json"], check=True, env=env, capture_output=True,
                                       text=True).stdout)
    assert status["pending"] == 1


def test_a_register_that_cannot_be_opened_ends_the_tui_with_status_2_and_says_why(private_home: Path,
                                                                                   tmp_path: Path) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "DENGJI_HOME": str(private_home),
           "TMUX_TMPDIR": str(tmp_path)}
    env.pop("TMUX", None)
    subprocess.run([str(BIN / "dengji"), "init", "--kind", "hotel", "--name", "烟测宾馆"], check=True, env=env,
                   capture_output=True)
    env["DENGJI_PASSPHRASE"] = "not the passphrase of this key file"
    status = tmp_path / "status"
    term = Terminal(f"dengji-smoke-{os.getpid()}-2", env)
    try:  # the shell around dengji keeps the window open with what dengji said and its exit status
        term.start(["sh", "-c", " ".join(_tui_command(private_home)) + f"; echo $? > {status}; sleep 60"])
        screen = term.wait_for("口令不对")
        assert "Traceback" not in screen
        pause = threading.Event()
        for _ in range(int(DEADLINE * 10)):  # poll for the status the shell writes (a deadline, not a timing)
            if status.exists() and status.read_text().strip():
                break
            pause.wait(0.1)
        assert status.read_text().strip() == "2"
    finally:
        term.close()
