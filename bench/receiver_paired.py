"""Two versions of the receiver side by side: ingest rates in paired rounds, for a machine whose speed drifts.

On a shared virtual machine the same code can run 2x faster or slower a few minutes later, so two runs
of `receiver_ingest.py` minutes apart compare the machine, not the code. This script starts both
servers at once (`--before` and `--after` are source trees, put first on `PYTHONPATH` of their server),
warms each, then sends `--per-round` batches to one and the same number to the other, switching the
order every round. Each round prints both rates and their ratio; the median ratio is the comparison.

    git worktree add /tmp/before <rev>
    .venv/bin/python bench/receiver_paired.py --before /tmp/before --after . --rounds 8 --per-round 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp

from agent.domain import VenueKind
from protocol.enrollment import ENROLL_PATH, enroll_request, read_enrollment
from protocol.keys import generate_device_key
from protocol.messages import Batch, Enrollment
from protocol.receipts import verify_receipts
from protocol.sealing import SealedBatch, seal_batch
from protocol.signatures import sign_request
from receiver.enrollment import issue_code
from receiver.keyring import ensure_keys
from receiver.storage import Storage
from receiver_ingest import SCRIPT, build_batches, cpu_seconds, start


@dataclass
class Side:
    """One server under test, its device and its sealed batches."""

    name: str
    server: asyncio.subprocess.Process
    base: str
    key: Any
    enrollment: Enrollment
    warm: list[SealedBatch]
    timed: list[SealedBatch]


async def start_side(name: str, tree: Path, folder: Path, session: aiohttp.ClientSession, mix: str,
                     batches: int, workers: int) -> Side:
    url = f"sqlite:///{folder / name}.db"
    storage = Storage(url)
    ensure_keys(storage, datetime.now(timezone.utc))
    code = issue_code(storage, "压测旅馆", VenueKind.HOTEL, datetime.now(timezone.utc))
    storage.close()
    server, base = await start(str(SCRIPT), "serve", "--port", "0", "--db", url, "--rate", "1000000", "--burst",
                               "1000000", "--max-in-flight", "1000", "--workers", str(workers),
                               env={**os.environ, "PYTHONPATH": str(tree.resolve())})
    key = generate_device_key()
    async with session.post(base + ENROLL_PATH, json=enroll_request(code, {"kind": "hotel", "name": "压测旅馆"},
                                                                     key)) as resp:
        enrollment = read_enrollment(await resp.json())
    warm, timed = build_batches(mix, batches, 500)

    def sealed(groups: list[list[Any]]) -> list[SealedBatch]:
        return [seal_batch(Batch(enrollment.device_id, str(uuid.uuid4()), tuple(events)), enrollment.platform_key)
                for events in groups]

    return Side(name, server, base, key, enrollment, sealed(warm), sealed(timed))


async def send(session: aiohttp.ClientSession, side: Side, item: SealedBatch) -> None:
    headers = sign_request("POST", "/v1/batches", item.body, side.key, side.enrollment.device_id,
                           datetime.now(timezone.utc), item.headers())
    async with session.post(side.base + "/v1/batches", data=item.body, headers=headers) as resp:
        body = await resp.read()
        if resp.status != 200:
            raise SystemExit(f"{side.name}: batch refused: {resp.status} {body[:300]!r}")
        if any(r.status.value != "accepted" for r in verify_receipts(body, side.enrollment.receipt_public_key)):
            raise SystemExit(f"{side.name}: events not accepted")


async def one_round(session: aiohttp.ClientSession, side: Side, items: list[SealedBatch],
                    concurrency: int) -> tuple[float, float]:
    """(events/s, server CPU µs an event) for `items` sent `concurrency` at a time."""
    queue = list(items)
    cpu, started = cpu_seconds(side.server.pid), time.perf_counter()

    async def worker() -> None:
        while queue:
            await send(session, side, queue.pop(0))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    events = len(items) * 500
    return events / (time.perf_counter() - started), (cpu_seconds(side.server.pid) - cpu) / events * 1e6


async def compare(args: argparse.Namespace, folder: Path) -> None:
    sides: list[Side] = []
    async with aiohttp.ClientSession() as session:
        try:
            for name, tree in (("before", args.before), ("after", args.after)):
                sides.append(await start_side(name, tree, folder, session, args.mix, args.rounds * args.per_round,
                                              args.workers))
            for side in sides:
                for item in side.warm:
                    await send(session, side, item)
            ratios = []
            for number in range(args.rounds):
                figures = {}
                for side in (sides if number % 2 == 0 else sides[::-1]):
                    part = side.timed[number * args.per_round:(number + 1) * args.per_round]
                    figures[side.name] = await one_round(session, side, part, args.concurrency)
                (before, before_cpu), (after, after_cpu) = figures["before"], figures["after"]
                ratios.append(after / before)
                print(f"round {number}: before {before:8,.0f} events/s {before_cpu:5.1f} us   "
                      f"after {after:8,.0f} events/s {after_cpu:5.1f} us   after/before {ratios[-1]:.3f}", flush=True)
            print(f"after/before: median {statistics.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f} "
                  f"({args.rounds} rounds of {args.per_round} batches, mix {args.mix}, {args.concurrency} in flight)")
        finally:
            for side in sides:
                side.server.send_signal(signal.SIGTERM)
                await side.server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="source tree of the code before")
    parser.add_argument("--after", type=Path, default=Path("."), help="source tree of the code after (default: .)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=100, help="batches of 500 events per server per round")
    parser.add_argument("--mix", choices=["hotel", "registrations", "departures"], default="hotel")
    parser.add_argument("--concurrency", type=int, default=2, help="batches in flight at once")
    parser.add_argument("--workers", type=int, default=2, help="the servers' checker processes")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dengji-paired-"))
    try:
        asyncio.run(compare(args, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
