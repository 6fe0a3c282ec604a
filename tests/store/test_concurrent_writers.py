"""Two processes (a TUI and a daemon, or two CLI runs) write the same SQLite file at once."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from agent.registry import Registry
from agent.sample_people import sample_registration
from agent.store.models import Venue
from agent.store.opening import open_store

PER_PROCESS = 40


def _register_many(home: str, start: int, passphrase: str, ready, go) -> None:  # type: ignore[no-untyped-def]
    os.environ["DENGJI_PASSPHRASE"] = passphrase
    registry = Registry(open_store(Path(home)))
    ready.set()
    go.wait()
    for i in range(start, start + PER_PROCESS):
        outcome = registry.register(sample_registration(i, "stay", "2026-11-20 10:00"))
        assert outcome.ok, outcome.problems


def test_two_processes_register_at_once_without_losing_or_locking(private_home: Path) -> None:
    store = open_store(private_home, create=True)
    registry = Registry(store)
    registry.set_venue(Venue(kind="hotel", name="并发宾馆", created_at=None))  # type: ignore[arg-type]
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    readies = [ctx.Event(), ctx.Event()]
    procs = [ctx.Process(target=_register_many,
                         args=(str(private_home), n * 1000, os.environ["DENGJI_PASSPHRASE"], readies[n], go))
             for n in range(2)]
    for p in procs:
        p.start()
    for r in readies:
        assert r.wait(60)
    go.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert len(registry.registrations()) == 2 * PER_PROCESS
    assert registry.outbox_counts()["pending"] == 2 * PER_PROCESS
