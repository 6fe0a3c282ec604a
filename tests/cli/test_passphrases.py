"""One passphrase rule everywhere (issue 16, finding 9): at least 10 characters for the key file
(`keys.enc`), backups and the key transfer; said in the prompt and asked twice where a passphrase is set.

The prompts are driven in a real pseudo-terminal (the installed `dengji`, hidden input read from the
terminal as a person types it); the environment's passphrases through the real CLI.
"""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import main
from agent.secrets.keystore import KEY_FILE, MASTER_KEY_NAME, PassphraseFile

DENGJI = str(Path(sys.executable).with_name("dengji"))
DEADLINE = 30.0  # seconds a prompt may take to appear on a slow machine; not a performance check


class Terminal:
    """`dengji` run in a pseudo-terminal of its own, answered prompt by prompt."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.output = ""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal is its controlling terminal, as at a desk
            os.execve(DENGJI, [DENGJI, *args], env)

    def wait_for(self, text: str) -> str:
        """Read what the program writes until `text` shows; a deadline, not a timing assertion."""
        end = time.monotonic() + DEADLINE
        while text not in self.output:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                raise AssertionError(f"{text!r} never appeared; the terminal showed:\n{self.output}")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the program ended
                chunk = b""
            if not chunk:
                raise AssertionError(f"{text!r} never appeared before the end; the terminal showed:\n{self.output}")
            self.output += chunk.decode("utf-8", "replace")
        return self.output

    def answer(self, prompt: str, line: str) -> None:
        self.wait_for(prompt)
        self.output = self.output[self.output.index(prompt) + len(prompt):]  # the next prompt is a new one
        os.write(self.fd, line.encode() + b"\r")

    def finish(self) -> tuple[int, str]:
        """The exit status and what was written after the last answer."""
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk.decode("utf-8", "replace")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status), self.output


@pytest.fixture
def no_keyring_env(private_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A machine without an OS keyring and without DENGJI_PASSPHRASE: the key file's passphrase is typed."""
    monkeypatch.delenv("DENGJI_PASSPHRASE")
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "LANG": "C.UTF-8",
           "DENGJI_HOME": str(private_home), "TERM": "dumb"}
    yield env


def test_init_at_a_terminal_asks_twice_with_the_rule_and_refuses_a_short_passphrase(
        private_home: Path, no_keyring_env: dict[str, str]) -> None:
    terminal = Terminal(["--lang", "en", "init", "--kind", "hotel", "--name", "口令测试宾馆"], no_keyring_env)
    prompt = "Choose a passphrase for the key file (at least 10 characters):"
    terminal.answer(prompt, "short")
    terminal.wait_for("the passphrase has at least 10 characters")
    terminal.answer(prompt, "long enough at last")
    terminal.answer("Type it again:", "long enough at lust")
    terminal.wait_for("the two passphrases differ")
    terminal.answer(prompt, "long enough at last")
    terminal.answer("Type it again:", "long enough at last")
    status, said = terminal.finish()
    assert status == 0, said
    assert "venue set up" in said
    assert PassphraseFile(private_home / KEY_FILE, "long enough at last").get(MASTER_KEY_NAME) is not None


def test_opening_an_existing_key_file_asks_once(private_home: Path, no_keyring_env: dict[str, str]) -> None:
    CliRunner().invoke(main, ["init", "--kind", "hotel", "--name", "口令测试宾馆"],
                       env={"DENGJI_PASSPHRASE": "long enough at last"}, catch_exceptions=False)
    terminal = Terminal(["--lang", "en", "status"], no_keyring_env)
    terminal.answer("Passphrase for the key file:", "long enough at last")
    status, said = terminal.finish()
    assert status == 0, said
    assert "again" not in said and "pending 0" in said


def test_a_short_passphrase_from_the_environment_makes_nothing(private_home: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DENGJI_PASSPHRASE", "x")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    result = CliRunner().invoke(main, ["--lang", "en", "init", "--kind", "hotel", "--name", "口令测试宾馆"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "the passphrase has at least 10 characters" in result.output
    assert not (private_home / KEY_FILE).exists()
    assert not (private_home / "dengji.sqlite3").exists()


def test_a_backup_at_a_terminal_asks_twice_with_the_same_rule(private_home: Path, tmp_path: Path,
                                                              no_keyring_env: dict[str, str]) -> None:
    CliRunner().invoke(main, ["init", "--kind", "hotel", "--name", "口令测试宾馆"],
                       env={"DENGJI_PASSPHRASE": "long enough at last"}, catch_exceptions=False)
    env = {**no_keyring_env, "DENGJI_PASSPHRASE": "long enough at last"}
    terminal = Terminal(["--lang", "en", "backup", str(tmp_path / "b.dengji-backup")], env)
    prompt = "Backup passphrase (at least 10 characters):"
    terminal.answer(prompt, "ninechars")
    terminal.wait_for("the passphrase has at least 10 characters")
    terminal.answer(prompt, "a backup passphrase")
    terminal.answer("Type it again:", "a backup passphrase")
    status, said = terminal.finish()
    assert status == 0, said
    assert (tmp_path / "b.dengji-backup").exists()


def test_a_key_transfer_follows_the_same_rule(private_home: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["init", "--kind", "hotel", "--name", "口令测试宾馆"]).exit_code == 0
    result = CliRunner().invoke(main, ["--lang", "en", "keys", "export", str(tmp_path / "key.transfer")],
                                env={"DENGJI_TRANSFER_PASSPHRASE": "ninechars"})
    assert result.exit_code == 2 and "the passphrase has at least 10 characters" in result.output
    assert not (tmp_path / "key.transfer").exists()
