"""Figures for the uploader (issue 5): backlog drain end to end, and the idle daemon's footprint.

    .venv/bin/python bench/uploader_figures.py [--events 100000] [--idle-seconds 60] [--suites hybrid,x25519,gm]

- drain: `--events` registrations waiting in a venue's outbox are sent by the real `Sender` (read, seal,
  sign, POST, verify receipts, write them back) to a `dengji-receiver serve --workers <cores>` process
  on 127.0.0.1 with SQLite. Baseline, same run: the batches the sender sealed and stored, read back
  in order and POSTed one at a time (the same bytes, signed before the clock starts) to a second
  receiver started from a copy of the platform's database taken before the drain; answers are read,
  not verified, nothing is written back. It is the platform's own pace, so the ratio is what the
  uploader adds. Also printed: the same rows POSTed to a sink that only reads them (no platform at
  all). Targets: >= 10,000 events/s and within 3x of the baseline. `--suites` drains once per suite in
  the same run, each with a platform serving `--require-suite` that suite (the agent follows by itself);
  `--idle-seconds 0` skips the idle figures.
- idle: `dengji agent run` with nothing to send, its watch, send and duties ticks sped up so that `--idle-seconds`
  hold an hour of ticks at the normal 3 s; RSS at start and end against the import floor of the stack
  (sqlmodel + aiohttp + apscheduler + keyring + cryptography loaded in a bare interpreter as the daemon
  uses them: the SQLite dialect, the asyncio scheduler, a keyring backend, HPKE and Ed25519), and voluntary
  context switches per minute at the normal intervals (a proxy for wake-ups). Targets: RSS within 1.2x
  of the floor, no growth, CPU ~0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from receiver_ingest import cpu_seconds  # noqa: E402  (a process and its checker processes, from /proc)

from agent.cli.demo_people import sample_registration  # noqa: E402
from agent.domain import CHINA_TIME  # noqa: E402
from agent.domain.event_ids import new_event_id  # noqa: E402
from agent.register.registry import Registry  # noqa: E402
from agent.store.database import Store  # noqa: E402
from agent.store.opening import open_store  # noqa: E402
from agent.validation.registration import check_registration  # noqa: E402
from agent.validation.venue import VenueDetails
from protocol.keys import CipherSuite  # noqa: E402
from protocol.sealing import SealedBatch  # noqa: E402
from protocol.signatures import sign_request  # noqa: E402
from uploader.device import Device, load_device  # noqa: E402
from uploader.enrollment import enroll  # noqa: E402
from uploader.outbox import MAX_EVENTS  # noqa: E402
from uploader.sender import BATCHES_PATH, Sender, send_until_idle  # noqa: E402
from uploader.transport import Transport  # noqa: E402

BIN = Path(sys.executable).parent


SUITES = {"hybrid": CipherSuite.MLKEM768_X25519, "x25519": CipherSuite.X25519, "gm": CipherSuite.GM}


def start_receiver(db: str, suite: CipherSuite | None = None) -> tuple[subprocess.Popen[str], str]:
    required = ["--require-suite", suite.value] if suite is not None else []
    proc = subprocess.Popen([str(BIN / "dengji-receiver"), "serve", "--port", "0", "--db", db, "--workers",
                             str(os.cpu_count() or 1), *required],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return proc, found.group(1)
    raise SystemExit("receiver did not start")


def drain_seconds(store: Store, device: Device) -> float:
    """Seconds the real `Sender` takes to send everything pending, until the outbox is idle."""
    async def drain() -> float:
        async with Transport(device.platform_url) as transport:
            start = time.perf_counter()
            step = await send_until_idle(Sender(store, device, transport), keep_trying=True)
            assert step.kind == "idle", step
            return time.perf_counter() - start

    return asyncio.run(drain())


def fill_outbox(registry: Registry, count: int) -> None:
    """Pending registration events as `Registry.register` writes them, inserted in bulk (set-up only)."""
    vault = registry.store.vault
    db = sqlite3.connect(registry.store.engine.url.database, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    arrived = datetime.now(CHINA_TIME).replace(microsecond=0).isoformat()
    db.execute("BEGIN")
    for start in range(0, count, 10_000):
        events, outbox = [], []
        for i in range(start, min(count, start + 10_000)):
            data = check_registration(sample_registration(i, "stay", arrived)).data
            assert data is not None
            data["registration_id"] = str(i + 1)
            sealed = vault.seal(json.dumps(data, ensure_ascii=False), "event.payload")
            events.append((i + 1, new_event_id(), "registration", now, sealed, now))
            outbox.append((i + 1, "pending", 0, now))
        db.executemany("INSERT INTO event (seq, event_id, type, occurred_at, payload_sealed, created_at) "
                       "VALUES (?,?,?,?,?,?)", events)
        db.executemany("INSERT INTO outbox (event_seq, state, attempts, updated_at) VALUES (?,?,?,?)", outbox)
    db.execute("COMMIT")
    db.close()


async def sink_rate(db_path: str, count: int, batch: int) -> float:
    """Read the same rows, POST the same bytes in the same batches to a sink that only reads them: the
    loopback and the database alone, without any platform."""
    async def sink(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="{}")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/sink", sink)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    db = sqlite3.connect(db_path)
    t0 = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for offset in range(0, count, batch):
            rows = db.execute("SELECT payload_sealed FROM event ORDER BY seq LIMIT ? OFFSET ?", (batch, offset)).fetchall()
            async with session.post(f"http://127.0.0.1:{port}/sink", data=b"".join(r[0] for r in rows)) as resp:
                await resp.read()
    elapsed = time.perf_counter() - t0
    db.close()
    await runner.cleanup()
    return count / elapsed


async def platform_rate(db_path: str, platform_db: Path, device: Device, count: int,
                        suite: CipherSuite | None = None) -> float:
    """The baseline: the sealed batches the sender stored, read back in order and POSTed one at a time,
    the same bytes, to a second receiver started from a copy of the platform's database taken before the
    drain - signed before the clock starts, answers read but not verified, nothing written back. This is
    the platform's own pace for that stream; the drain over it is what the uploader adds."""
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT batch_id, key_id, suite, body FROM outbox_batch ORDER BY created_at").fetchall()
    db.close()
    assert sum(1 for _ in rows) * MAX_EVENTS >= count, "the sender's batches were not kept"
    now = datetime.now(UTC)
    requests = [(body, sign_request("POST", BATCHES_PATH, body, device.signer_for(CipherSuite(name)), device.device_id,
                                    now, SealedBatch(key_id, CipherSuite(name), body, batch_id).headers()))
                for batch_id, key_id, name, body in rows]
    receiver, url = start_receiver(f"sqlite:///{platform_db}", suite)
    try:
        async with aiohttp.ClientSession() as session:
            t0 = time.perf_counter()
            for body, headers in requests:
                async with session.post(url + BATCHES_PATH, data=body, headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
            elapsed = time.perf_counter() - t0
    finally:
        receiver.terminate()
        receiver.wait(10)
    return count / elapsed


def bench_drain(root: Path, count: int, suite: CipherSuite | None = None) -> None:
    home = root / "venue"
    os.environ["DENGJI_PASSPHRASE"] = "bench"
    receiver, url = start_receiver(f"sqlite:///{root / 'platform.sqlite3'}", suite)
    try:
        registry = Registry(open_store(home, create=True))
        venue = registry.set_venue(VenueDetails(kind="hotel", name="bench"))
        code = subprocess.run([str(BIN / "dengji-receiver"), "issue-code", "--venue", "bench", "--db",
                               f"sqlite:///{root / 'platform.sqlite3'}"], capture_output=True, text=True,
                              check=True).stdout.split()[-1]
        asyncio.run(enroll(registry.store, venue, code, url))
        platform_copy = root / "platform-before-drain.sqlite3"
        with sqlite3.connect(root / "platform.sqlite3") as live, sqlite3.connect(platform_copy) as copy:
            live.backup(copy)
        t0 = time.perf_counter()
        fill_outbox(registry, count)
        print(f"set-up: {count:,} pending events in {time.perf_counter() - t0:.1f} s")
        device = load_device(registry.store)

        uploader_cpu, platform_cpu = time.process_time(), cpu_seconds(receiver.pid)
        elapsed = drain_seconds(registry.store, device)
        uploader_cpu = (time.process_time() - uploader_cpu) / count
        platform_cpu = (cpu_seconds(receiver.pid) - platform_cpu) / count
        counts = registry.outbox_counts()
        assert counts["sent"] == count, counts
        rate = count / elapsed
        db_path = str(registry.store.engine.url.database)
        base = asyncio.run(platform_rate(db_path, platform_copy, device, count, suite))
        sink = asyncio.run(sink_rate(db_path, count, MAX_EVENTS))
        used = {name for (name,) in sqlite3.connect(db_path).execute("SELECT DISTINCT suite FROM outbox_batch")}
        print(f"suite {', '.join(sorted(used))}:")
        print(f"drain {count:,} events end to end: {rate:9,.0f} events/s ({elapsed:.1f} s)   "
              f"baseline {base:9,.0f} events/s (the stored batches to the same platform)   ratio {base / rate:5.2f}x"
              f"   [sink only: {sink:,.0f} events/s, {sink / rate:.0f}x]")
        print(f"CPU per event during the drain: uploader {uploader_cpu * 1e6:.0f} us, platform "
              f"{platform_cpu * 1e6:.0f} us (its checker processes included); the two cores allow at most "
              f"{(os.cpu_count() or 1) / (uploader_cpu + platform_cpu):,.0f} events/s")
        registry.store.dispose()
    finally:
        receiver.terminate()
        receiver.wait(10)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def switches(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    return 0


def bench_idle(root: Path, seconds: float) -> None:
    home = root / "venue"  # enrolled by bench_drain, nothing left to send
    def floor_rss(modules: str) -> int:
        floor = subprocess.Popen([sys.executable, "-c", f"import time, {modules}; time.sleep(30)"])
        time.sleep(3)  # let the bare interpreter finish importing before reading its RSS
        kib = rss_kib(floor.pid)
        floor.kill()
        return kib

    bare_kib = floor_rss("sqlmodel, aiohttp, apscheduler, keyring, cryptography")
    # The floor proper: the stack loaded as the daemon uses it - SQLite's dialect, aiohttp's client,
    # apscheduler's asyncio scheduler and interval trigger, a keyring backend resolved (which reads the
    # installed packages' entry points), cryptography's HPKE and Ed25519 (its native bindings).
    # `import cryptography` or `import keyring` alone loads none of that. This is the "about 72 MB".
    floor_kib = floor_rss("sqlmodel, sqlalchemy.dialects.sqlite, aiohttp, apscheduler.schedulers.asyncio, "
                          "apscheduler.triggers.interval, keyring, cryptography.hazmat.primitives.hpke, "
                          "cryptography.hazmat.primitives.asymmetric.ed25519; keyring.get_keyring()")
    tick = 3 * seconds / 3600  # an hour of 3-second ticks within `seconds`
    env = {**os.environ, "DENGJI_HOME": str(home)}
    fast = subprocess.Popen([str(BIN / "dengji"), "agent", "run", "--watch-interval", f"{tick}", "--send-interval",
                             f"{tick}", "--duties-interval", f"{600 * tick / 3}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(5)
    start_kib = rss_kib(fast.pid)
    time.sleep(seconds / 2)
    half_kib = rss_kib(fast.pid)
    time.sleep(seconds / 2)
    end_kib = rss_kib(fast.pid)
    fast.terminate()
    fast.wait(10)
    normal = subprocess.Popen([str(BIN / "dengji"), "agent", "run"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(5)
    before, cpu_before = switches(normal.pid), cpu_seconds(normal.pid)
    time.sleep(60)
    per_minute = switches(normal.pid) - before
    cpu_per_minute = cpu_seconds(normal.pid) - cpu_before
    normal.terminate()
    normal.wait(10)
    print(f"idle daemon RSS: {start_kib / 1024:.1f} MiB after start, {half_kib / 1024:.1f} MiB after half an hour"
          f" of ticks, {end_kib / 1024:.1f} MiB after an hour"
          f"   stack floor {floor_kib / 1024:.1f} MiB   ratio {end_kib / floor_kib:.2f}x"
          f"   (bare imports only {bare_kib / 1024:.1f} MiB, ratio {end_kib / bare_kib:.2f}x)")
    print(f"idle daemon at normal intervals: {per_minute} voluntary context switches per minute, "
          f"{cpu_per_minute * 1000:.0f} ms CPU per minute ({cpu_per_minute / 60:.2%} of a core)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--suites", default=None, help="drain once per suite (hybrid, x25519, gm; comma-separated), "
                                                       "each platform requiring it; default: one drain, no requirement")
    args = parser.parse_args()
    suites = [SUITES[name.strip()] for name in args.suites.split(",")] if args.suites else [None]
    with tempfile.TemporaryDirectory(prefix="dengji-bench-") as tmp:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, in {tmp}")
        for i, suite in enumerate(suites):
            root = Path(tmp) / f"run{i}"
            root.mkdir()
            bench_drain(root, args.events, suite)
        if args.idle_seconds > 0:
            bench_idle(Path(tmp) / "run0", args.idle_seconds)


if __name__ == "__main__":
    main()
