"""Real processes for delivery tests: `dengji-receiver serve` and the `dengji` command, on 127.0.0.1."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.cli.demo_people import sample_registration

BIN = Path(sys.executable).parent


@dataclass
class Receiver:
    """A `dengji-receiver serve` subprocess with its own database; restartable on the same port."""

    db: str
    faults: str | None = None
    port: int = 0
    require_suite: str | None = None
    # The batches checked in the server's own threads (`--workers 0`): the agent's tests need a platform,
    # not its pool of checker processes, which tests/receiver tests (and which cost two spawned
    # interpreters per start). None: the server's default pool, for a test about the real deployment.
    workers: int | None = 0
    proc: subprocess.Popen[str] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        args = [str(BIN / "dengji-receiver"), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", self.db]
        if self.faults:
            args += ["--faults", self.faults]
        if self.require_suite:
            args += ["--require-suite", self.require_suite]
        if self.workers is not None:
            args += ["--workers", str(self.workers)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # the server says where it listens once it does: no sleeping
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                return self
        raise AssertionError(f"receiver did not start (exit {self.proc.wait()})")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def admin(self, *args: str) -> str:
        out = subprocess.run([str(BIN / "dengji-receiver"), *args, "--db", self.db], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    def issue_code(self, venue: str = "测试宾馆", kind: str = "hotel") -> str:
        return self.admin("issue-code", "--venue", venue, "--kind", kind).split()[-1]

    def event_ids(self) -> list[str]:
        return [e["event_id"] for e in json.loads(self.admin("events", "--json"))]


def dengji(*args: str, input: str | None = None, check: bool = True, program: Path | None = None,
           process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real `dengji` command (home and passphrase come from the test's environment).

    By default the command's own `main` runs in this process, as a script calling it would (click's
    CliRunner: its exit status, its stdout and stderr apart): a new interpreter costs a second of
    imports, and the suite runs hundreds of commands. `process=True` runs it as its own process, for
    what only a process shows; `program`: another build of it, e.g. the PyInstaller binary.
    """
    if program is None and not process:
        return _in_process(["--lang", "en", *args], input, check)
    out = subprocess.run([str(program or BIN / "dengji"), "--lang", "en", *args], capture_output=True, text=True,
                         input=input, timeout=120)
    if check:
        assert out.returncode == 0, f"dengji {' '.join(args)} -> {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


def _in_process(args: list[str], input: str | None, check: bool) -> subprocess.CompletedProcess[str]:
    from click.testing import CliRunner

    from agent.cli.root import main

    result = CliRunner().invoke(main, args, input=input, catch_exceptions=False)  # a traceback fails the test
    out = subprocess.CompletedProcess(["dengji", *args], result.exit_code, result.stdout, result.stderr)
    if check:
        assert out.returncode == 0, f"dengji {' '.join(args)} -> {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


def register_guests(count: int, start: int = 0, program: Path | None = None) -> None:
    records = [sample_registration(start + i, "stay", "2026-11-20 10:00") for i in range(count)]
    out = dengji("register", "--json", "-", input=json.dumps(records, ensure_ascii=False), program=program)
    assert out.stdout.count("registered as") == count


def local_event_ids(home: Path) -> list[str]:
    """The event ids the venue's store holds, read through the agent's own store."""
    from sqlmodel import select

    from agent.store.models import Event
    from agent.store.opening import open_store

    store = open_store(home)
    with store.read() as session:
        ids = list(session.exec(select(Event.event_id)))
    store.dispose()
    return ids


def assert_delivered_exactly_once(home: Path, receiver: Receiver) -> None:
    """The platform holds every event of the venue's store, each once, and nothing else."""
    held = receiver.event_ids()
    duplicates = [event_id for event_id, n in Counter(held).items() if n > 1]
    assert not duplicates, f"the platform holds {len(duplicates)} events more than once"
    assert set(held) == set(local_event_ids(home))


def status() -> dict[str, object]:
    """What `dengji status --json` prints (a subprocess: slow, use `sent_count` in polling loops)."""
    return json.loads(dengji("status", "--json").stdout)


def sent_count(home: Path) -> int:
    """Events the store marks as sent, read in this process (cheap enough to poll)."""
    from agent.register.delivery import delivery_state
    from agent.store.opening import open_store

    store = open_store(home)
    try:
        return delivery_state(store).sent
    finally:
        store.dispose()



def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll `condition` until it holds; fail after `seconds` (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.1)  # polling observable state, bounded by the deadline


def daemon_sends_a_registration_made_while_idle(home: Path, log: Path, program: Path = BIN / "dengji") -> str:
    """Start `dengji agent run` on an enrolled home with nothing to send, register one guest once it idles,
    wait until that guest is sent, stop it with SIGTERM; returns what the daemon wrote to stderr.

    The send interval is an hour, so only the scheduler's `watch` job can wake the sender in time.
    """
    from agent.store.opening import open_store
    from uploader import lease

    with open(log, "w", encoding="utf-8") as stderr:
        daemon = subprocess.Popen([str(program), "agent", "run", "--send-interval", "3600", "--watch-interval", "0.2"],
                                  stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        store = open_store(home)
        try:
            wait_until(lambda: daemon.poll() is not None or lease.current_holder(store) is not None,
                       "the daemon takes the sender lease")
        finally:
            store.dispose()
        assert daemon.poll() is None, log.read_text(encoding="utf-8")
        register_guests(1, program=program)
        wait_until(lambda: daemon.poll() is not None or sent_count(home) == 1, "the daemon sends the registration")
        assert daemon.poll() is None, log.read_text(encoding="utf-8")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(15) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    return log.read_text(encoding="utf-8")
