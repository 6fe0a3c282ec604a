"""The checker processes: they open and check batches (the validators' CPU work) on every core, and
record the batches they check whole.

Each starts by importing the checks (`warm_up`), watching the server's process and opening the
database (`start_checker`). A checker outlives nothing: when the server's process ends, even by
SIGKILL or the out-of-memory killer, its checkers end too. Without the watch they stayed, idle and
holding the database open, for good: a pool's worker waits on a pipe whose writing end it holds itself,
so it never sees the server go.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait

from receiver.ingest import start_recorder


def checker_pool(workers: int, url: str) -> ProcessPoolExecutor:
    """`workers` checker processes on the database at `url`, every one started now."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=start_checker, initargs=(url,))
    # The pool starts a process only when no started one is idle, and counts idleness by finished tasks:
    # with batches sent one at a time, a second process was never started (measured: one checker busy,
    # the other core idle). Tasks submitted together before any has finished start every process now,
    # and each imports the validators and opens the database before the first batch comes.
    for _ in range(workers):
        pool.submit(warm_up)
    return pool


def start_checker(url: str) -> None:
    """The first thing a checker process does: end with the server, open the database."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="parent-watch", daemon=True).start()
    start_recorder(url)


def _exit_with(sentinel: int) -> None:
    wait([sentinel])  # ready when the server's process has ended
    os._exit(1)  # a transaction in progress is rolled back by the database, as after a crash


def warm_up() -> None:
    """Nothing: run in each new checker process, it makes the pool start them all."""
