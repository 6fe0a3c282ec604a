"""Receiver ingest rate: events per second for batches of 500 over loopback, SQLite or PostgreSQL.

Starts `dengji-receiver serve` as a process of its own (so that the client and the server each have a
core), enrolls a device, seals every batch before the clock starts (a venue seals once and resends),
then sends them - signing each request when it goes - and prints events/s. Every event must come back
`accepted`, or the run fails: a fast receiver that drops events measures nothing.

    .venv/bin/python bench/receiver_ingest.py                       # SQLite in a temporary folder
    .venv/bin/python bench/receiver_ingest.py --db postgresql://dengji:dengji@127.0.0.1/dengji_test
    .venv/bin/python bench/receiver_ingest.py --mix registrations   # only registrations (costliest)
    .venv/bin/python bench/receiver_ingest.py --suites x25519,gm    # each suite in turn, in the same run

Mixes: `hotel` (default: a registration and a departure per guest, the steady state of a hotel),
`registrations`, `departures` (cheapest: no identity document to validate).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import sqlalchemy
from aiohttp import web
from sqlalchemy.engine import make_url

from agent.domain import CHINA_TIME, EventType, VenueKind
from protocol.enrollment import ENROLL_PATH, enroll_request, read_enrollment
from protocol.gm import SoftwareSm2Key
from protocol.keys import CipherSuite, generate_device_key
from protocol.messages import Batch, Event, new_event
from protocol.receipts import PinnedKey, verify_receipts
from protocol.sealing import SealedBatch, seal_batch
from protocol.signatures import sign_request
from receiver.enrollment import issue_code
from receiver.storage import Storage, normalise_url

SCRIPT = Path(sys.executable).parent / "dengji-receiver"
ARRIVED = datetime.now(CHINA_TIME) - timedelta(hours=2)
SUITES = {"hybrid": CipherSuite.MLKEM768_X25519, "x25519": CipherSuite.X25519, "gm": CipherSuite.GM}


def registration(rid: str) -> Event:
    return new_event(EventType.REGISTERED, {
        "registration_id": rid, "kind": "stay", "unit": "302", "arrived_at": ARRIVED.isoformat(),
        "person": {"doc_type": "resident_id", "doc_number": "11010519491231002X", "name": "张三",
                   "phone": "13800138000", "address": "北京市朝阳区建国路 1 号"}}, ARRIVED)


def departure(rid: str) -> Event:
    left = ARRIVED + timedelta(hours=1)
    return new_event(EventType.DEPARTED, {"registration_id": rid, "departed_at": left.isoformat()}, left)


def build_batches(mix: str, count: int, size: int) -> tuple[list[list[Event]], list[list[Event]]]:
    """(warm-up batches, timed batches). Departures only refer to registrations of the warm-up, which
    is recorded before the clock starts: batches in flight together may be recorded in any order."""
    departures = {"registrations": 0, "departures": size, "hotel": size // 2}[mix]
    arrivals = size - departures
    known = [f"W-{k}" for k in range(count * departures)]
    warm_up = [registration(rid) for rid in known] or [registration("W-0")]
    timed = [[registration(f"R{i}-{j}") for j in range(arrivals)]
             + [departure(rid) for rid in known[i * departures:(i + 1) * departures]] for i in range(count)]
    return [warm_up[k:k + size] for k in range(0, len(warm_up), size)], timed


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


@dataclass
class Figures:
    rate: float  # events/s, wall clock
    server_cpu: float  # CPU seconds per event, the server and its checker processes
    client_cpu: float  # CPU seconds per event, this process (signing requests, verifying receipts)


async def sink(request: web.Request) -> web.Response:
    """The baseline's server: reads the body, answers at once."""
    await request.read()
    return web.Response(text="{}")


async def serve_sink() -> None:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/batches", sink)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    print(f"sink listening on http://{host}:{port}", flush=True)
    await asyncio.Event().wait()  # until SIGTERM


async def start(*command: str, env: dict[str, str] | None = None) -> tuple[asyncio.subprocess.Process, str]:
    """A server process and its base URL, from the line it prints when it listens."""
    server = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE, env=env)
    assert server.stdout is not None
    line = (await asyncio.wait_for(server.stdout.readline(), 60)).decode()
    return server, line.split("listening on ")[1].split()[0]


async def run(url: str, batches: int, size: int, mix: str, concurrency: int, workers: int,
              baseline: bool = False, suite: CipherSuite = CipherSuite.MLKEM768_X25519) -> Figures:
    storage = Storage(url)
    from receiver.keyring import ensure_keys

    ensure_keys(storage, datetime.now(timezone.utc))
    code = issue_code(storage, "压测旅馆", VenueKind.HOTEL, datetime.now(timezone.utc))
    storage.close()
    server, base = await start(str(SCRIPT), "serve", "--port", "0", "--db", url, "--rate", "1000000", "--burst",
                               "1000000", "--max-in-flight", "1000", "--workers", str(workers))
    sink_server = None
    try:
        sm2_key = SoftwareSm2Key.generate()
        device_key = generate_device_key()
        key = sm2_key if suite is CipherSuite.GM else device_key  # what signs a request in `suite`
        async with aiohttp.ClientSession() as session:
            async with session.post(base + ENROLL_PATH, json=enroll_request(
                    code, {"kind": "hotel", "name": "压测旅馆"}, device_key, (suite,), sm2_key)) as resp:
                enrollment = read_enrollment(await resp.json())
            pinned = PinnedKey(enrollment.receipt_public_key, enrollment.receipt_sm2_public_key)
            warm_up, timed_events = build_batches(mix, batches, size)
            warm, timed = ([seal_batch(Batch(enrollment.device_id, str(uuid.uuid4()), tuple(events)),
                                       enrollment.platform_key, (suite,)) for events in group]
                           for group in (warm_up, timed_events))

            async def send(item: SealedBatch) -> None:
                headers = sign_request("POST", "/v1/batches", item.body, key, enrollment.device_id,
                                       datetime.now(timezone.utc), item.headers())
                async with session.post(base + "/v1/batches", data=item.body, headers=headers) as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        raise SystemExit(f"batch refused: {resp.status} {body[:300]!r}")
                receipts = verify_receipts(body, pinned)  # as the uploader reads them
                refused = [r for r in receipts if r.status.value != "accepted"]
                if refused:
                    raise SystemExit(f"{len(refused)} events not accepted, e.g. {refused[0].problem}")

            async def post_only(item: SealedBatch) -> None:
                headers = sign_request("POST", "/v1/batches", item.body, key, enrollment.device_id,
                                       datetime.now(timezone.utc), item.headers())
                async with session.post(base + "/v1/batches", data=item.body, headers=headers) as resp:
                    await resp.read()

            for item in warm:
                await send(item)
            target = server
            if baseline:  # the same signed requests with the same bodies, to a server that only reads them
                sink_server, base = await start(sys.executable, __file__, "--serve-sink")
                target = sink_server
            queue = list(timed)
            server_cpu, client_cpu = cpu_seconds(target.pid), time.process_time()
            started = time.perf_counter()

            async def worker() -> None:
                while queue:
                    await (post_only if baseline else send)(queue.pop(0))

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
            events = batches * size
            return Figures(events / elapsed, (cpu_seconds(target.pid) - server_cpu) / events,
                           (time.process_time() - client_cpu) / events)
    finally:
        for process in (server, sink_server):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                await process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--mix", choices=["hotel", "registrations", "departures"], default="hotel")
    parser.add_argument("--concurrency", type=int, default=2, help="batches in flight at once")
    parser.add_argument("--workers", type=int, default=2, help="the server's checker processes (serve --workers)")
    parser.add_argument("--suites", default="hybrid",
                        help="cipher suites to measure, each in turn in this run: hybrid, x25519, gm (comma-separated)")
    parser.add_argument("--serve-sink", action="store_true", help=argparse.SUPPRESS)  # the baseline's server
    args = parser.parse_args()
    if args.serve_sink:
        return asyncio.run(serve_sink())
    folder = None
    url, schema = args.db, None
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="dengji-bench-"))
        url = f"sqlite:///{folder / 'receiver.db'}"
    elif not normalise_url(url).startswith("sqlite"):
        schema = f"bench_{uuid.uuid4().hex[:12]}"  # a fresh schema, dropped afterwards
        admin = sqlalchemy.create_engine(normalise_url(url))
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = make_url(normalise_url(url)).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        for name in args.suites.split(","):
            suite = SUITES[name.strip()]
            figures = asyncio.run(run(url, args.batches, args.size, args.mix, args.concurrency, args.workers,
                                      suite=suite))
            base = asyncio.run(run(url, args.batches, args.size, args.mix, args.concurrency, args.workers, True,
                                   suite=suite))
            kind = "SQLite" if schema is None else "PostgreSQL"
            print(f"{kind}, suite {name.strip()}: {figures.rate:,.0f} events/s ({args.batches} batches of "
                  f"{args.size}, mix {args.mix}, {args.concurrency} in flight, {args.workers} checker processes)   "
                  f"baseline {base.rate:,.0f} events/s (same signed requests to a sink that only reads them)   "
                  f"ratio {base.rate / figures.rate:.1f}x")
            cores = os.cpu_count() or 1
            cpu = figures.server_cpu + figures.client_cpu
            print(f"CPU per event: server {figures.server_cpu * 1e6:.0f} us (checkers included), client "
                  f"{figures.client_cpu * 1e6:.0f} us; {cores} idle cores would allow at most "
                  f"{cores / cpu:,.0f} events/s")
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        if schema is not None:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


if __name__ == "__main__":
    main()
